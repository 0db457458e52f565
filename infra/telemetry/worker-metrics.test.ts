// Webhook deliveries counted by outcome and retry, and the worker's /metrics when the SDK's
// exporter cannot be read: orderflow's metrics still served, the gap reported.

import { createServer } from 'node:net';
import type { WebhookClient } from '../webhook-client';
import { DELIVERY_ATTEMPT_HEADER } from '../webhook-client';
import { startWorkerMetricsServer } from './metrics-server';
import { createWorkerMetrics, observeWebhooks } from './worker-metrics';

/** A webhook client answering each call with the next of `answers` (a status or an error). */
function scripted(answers: (number | Error)[]): WebhookClient {
  return {
    async post() {
      const next = answers.shift();
      if (next === undefined) throw new Error('no answer scripted');
      if (next instanceof Error) throw next;
      return { status: next };
    },
    close: async () => undefined,
  };
}

const attempt = (n: number) => ({
  headers: { [DELIVERY_ATTEMPT_HEADER]: String(n) },
  body: '{}',
  timeoutMs: 1000,
});

test('deliveries are counted by outcome, retries apart from first tries', async () => {
  const metrics = createWorkerMetrics();
  const client = observeWebhooks(scripted([503, new Error('ECONNRESET'), 204]), metrics);
  expect(await client.post('https://p.example/h', attempt(1))).toEqual({ status: 503 });
  await expect(client.post('https://p.example/h', attempt(2))).rejects.toThrow('ECONNRESET');
  expect(await client.post('https://p.example/h', attempt(3))).toEqual({ status: 204 });

  const counted = (await metrics.webhookDeliveries.get()).values.map((v) => [v.labels, v.value]);
  expect(counted).toEqual(
    expect.arrayContaining([
      [{ outcome: 'rejected', retry: 'false' }, 1],
      [{ outcome: 'failed', retry: 'true' }, 1],
      [{ outcome: 'delivered', retry: 'true' }, 1],
    ]),
  );
  expect(counted).toHaveLength(3);
  const timed = (await metrics.webhookDuration.get()).values.find(
    (v) => v.metricName === 'orderflow_webhook_delivery_duration_seconds_count',
  );
  expect(timed?.value).toBe(3);
});

test("an unreadable SDK exporter: orderflow's metrics are still served, with sdk_metrics_up 0", async () => {
  // A port nothing listens on.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const metrics = createWorkerMetrics();
  const server = await startWorkerMetricsServer({
    host: '127.0.0.1',
    port: 0,
    registry: metrics.registry,
    sdkMetricsUrl: `http://127.0.0.1:${closedPort}/metrics`,
  });
  try {
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('orderflow_worker_sdk_metrics_up 0');
    expect(text).toContain('# TYPE orderflow_webhook_deliveries_total counter');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
  } finally {
    await server.close();
  }
});
