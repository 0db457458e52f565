// Tracing stays off without a collector, and with OTEL_EXPORTER_OTLP_ENDPOINT's URL its spans
// reach that collector over OTLP/HTTP at /v1/traces (a local HTTP server stands in for it).

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { activeTracing, startTracing } from './tracing';

test('without an endpoint or a span processor, tracing stays off', () => {
  expect(startTracing({ serviceName: 'orderflow-test' })).toBeUndefined();
  expect(activeTracing()).toBeUndefined();
  // The global tracer is OpenTelemetry's no-op one: its spans record nothing.
  expect(trace.getTracer('t').startSpan('nothing').isRecording()).toBe(false);
});

test("with an endpoint, spans are exported to the collector's /v1/traces", async () => {
  const received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] =
    [];
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  try {
    const tracing = startTracing({
      serviceName: 'orderflow-test',
      otlpEndpoint: `http://127.0.0.1:${port}`,
    });
    expect(activeTracing()).toBe(tracing);
    trace.getTracer('t').startSpan('checkout-under-test').end();
    await tracing!.shutdown(); // flushes the batch
    expect(activeTracing()).toBeUndefined();
    expect(received.map((r) => [r.method, r.url])).toEqual([['POST', '/v1/traces']]);
    expect(received[0]!.body).toContain('checkout-under-test');
    expect(received[0]!.body).toContain('orderflow-test');
  } finally {
    await new Promise<void>((resolve) => collector.close(() => resolve()));
  }
});
