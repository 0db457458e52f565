// The Temporal SDK's runtime for a worker process: its logs into ours and, when the worker
// serves metrics, the SDK's own (schedule-to-start and workflow task latencies, sticky cache,
// slots...) from its Prometheus exporter on a private loopback port, which the worker's
// /metrics merges with orderflow's (infra/telemetry/metrics-server.ts).

import { createServer } from 'node:net';
import { Runtime } from '@temporalio/worker';
import { temporalLogger, type Logger } from '../logger';

/** A port free on the loopback now (the SDK's exporter cannot say which one it took for 0). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no loopback port');
  return address.port;
}

/**
 * Installs the process's Temporal runtime (once, before any connection). With `metrics`, the
 * answer says where the SDK's Prometheus text is.
 */
export async function installWorkerRuntime(options: {
  logger: Logger;
  metrics: boolean;
  /** Signals that make the runtime drain its workers; the SDK's default (SIGINT, SIGTERM...) if unset. */
  shutdownSignals?: NodeJS.Signals[];
}): Promise<{ sdkMetricsUrl?: string }> {
  const sdkPort = options.metrics ? await freeLoopbackPort() : undefined;
  Runtime.install({
    logger: temporalLogger(options.logger),
    ...(options.shutdownSignals ? { shutdownSignals: options.shutdownSignals } : {}),
    ...(sdkPort
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: { bindAddress: `127.0.0.1:${sdkPort}`, useSecondsForDurations: true },
            },
          },
        }
      : {}),
  });
  return sdkPort ? { sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics` } : {};
}
