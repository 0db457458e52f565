// Operations endpoints, and the OpenAPI document's promise that it describes the server.

import request from 'supertest';
import { useHarness } from './support/harness';

const harness = useHarness();

test('healthz says the process is up; readyz checks Temporal and the database', async () => {
  expect((await request(harness.apiUrl).get('/healthz')).body).toEqual({ status: 'ok' });
  const ready = await request(harness.apiUrl).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', checks: { database: 'up', temporal: 'up' } });
});

test('metrics are Prometheus text with request timings by route pattern', async () => {
  await request(harness.apiUrl).get('/v1/orders/ord_unknown').set('Authorization', 'Bearer nope');
  const metrics = await request(harness.apiUrl).get('/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
  expect(metrics.text).toMatch(/orderflow_http_request_duration_seconds_count\{[^}]*status="401"/);
  expect(metrics.text).toContain('process_cpu_seconds_total');
});

test("every request gets an X-Request-Id, the caller's own when it sends a sane one", async () => {
  const own = await request(harness.apiUrl).get('/healthz').set('X-Request-Id', 'req-abc.123');
  expect(own.headers['x-request-id']).toBe('req-abc.123');
  const insane = await request(harness.apiUrl).get('/healthz').set('X-Request-Id', 'a b\tc');
  expect(insane.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
});

test('unknown routes are a JSON 404, not an HTML page', async () => {
  const response = await request(harness.apiUrl).get('/v1/nothing-here');
  expect(response.status).toBe(404);
  expect(response.body.error.code).toBe('route_not_found');
});

test('every operation in /openapi.json exists on the server', async () => {
  const document = (await request(harness.apiUrl).get('/openapi.json')).body as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
  };
  expect(document.openapi).toBe('3.1.0');
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method, path: path.replace(/\{(\w+)\}/g, 'x-$1') })),
  );
  expect(operations.length).toBeGreaterThanOrEqual(9);
  for (const { method, path } of operations) {
    const response = await request(harness.apiUrl)[method as 'get' | 'post'](path);
    expect({ method, path, code: response.body?.error?.code }).not.toEqual({
      method,
      path,
      code: 'route_not_found',
    });
  }
  expect(document.paths['/v1/orders']).toHaveProperty('post');
  expect(Object.keys(document.paths)).toEqual(
    expect.arrayContaining([
      '/v1/orders/{orderId}',
      '/v1/providers/{providerId}/orders/{orderId}/confirmation',
      '/v1/providers/{providerId}/orders/{orderId}/events',
      '/v1/providers/{providerId}/orders',
    ]),
  );
});
