// The Temporal SDK's runtime for a worker process: its logs into ours and, when the worker
// serves metrics, the SDK's own (schedule-to-start and workflow task latencies, sticky cache,
// slots...) from its Prometheus exporter on a private loopback port, which the worker's
// /metrics merges with orderflow's (infra/telemetry/metrics-server.ts).

import { createServer } from 'node:net';
import { Runtime } from '@temporalio/worker';
import { temporalLogger, type Logger } from '../logger';

/**
 * Finer buckets (seconds) than the SDK's (0.1, 0.5, 1, 5...) for the latencies workers are
 * scaled and paged on (ops/prometheus/rules.yml), so that p95/p99 can be told apart.
 */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  workflow_task_schedule_to_start_latency: LATENCY_BUCKETS,
  activity_schedule_to_start_latency: LATENCY_BUCKETS,
  workflow_task_execution_latency: LATENCY_BUCKETS,
};

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
              prometheus: {
                bindAddress: `127.0.0.1:${sdkPort}`,
                useSecondsForDurations: true,
                histogramBucketOverrides: HISTOGRAM_BUCKETS,
              },
            },
          },
        }
      : {}),
  });
  return sdkPort ? { sdkMetricsUrl: `http://127.0.0.1:${sdkPort}/metrics` } : {};
}
