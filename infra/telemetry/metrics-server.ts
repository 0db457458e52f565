// A worker's one /metrics URL for Prometheus: the Temporal SDK's metrics (fetched from its
// exporter on the loopback, infra/telemetry/worker-runtime.ts) followed by orderflow's own.
// Both are Prometheus text; their names do not overlap (`temporal_*` against `orderflow_*`,
// `process_*`, `nodejs_*`), so the two texts concatenate into one valid exposition.

import { createServer } from 'node:http';
import { Gauge, type Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startWorkerMetricsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  /** The SDK's exporter; without it only orderflow's metrics are served. */
  sdkMetricsUrl?: string;
}): Promise<MetricsServer> {
  const { host, port, registry, sdkMetricsUrl } = options;
  // A scrape that could not read the SDK's metrics still serves orderflow's, and says so.
  const sdkUp = new Gauge({
    name: 'orderflow_worker_sdk_metrics_up',
    help: "1 if this scrape included the Temporal SDK's metrics, 0 if they could not be read",
    registers: [registry],
  });
  const sdkMetrics = async (): Promise<string> => {
    if (!sdkMetricsUrl) return '';
    try {
      const response = await fetch(sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      sdkUp.set(1);
      const text = await response.text();
      return text.endsWith('\n') || text === '' ? text : `${text}\n`;
    } catch {
      sdkUp.set(0);
      return '';
    }
  };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    sdkMetrics()
      .then(async (sdk) => `${sdk}${await registry.metrics()}`)
      .then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const boundPort = address && typeof address === 'object' ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${boundPort}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
