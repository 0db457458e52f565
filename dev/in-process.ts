// orderflow in one process — database and Temporal connections, the order worker and the
// API — for `npm start`, the integration tests and the benchmarks. Production runs the API
// (api/server.ts) and workers (workers/order-worker.ts) as separate processes instead.

import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { startApi } from '../api/server';
import type { Config } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { createDirectory } from '../infra/directory';
import type { Logger } from '../infra/logger';
import { connectClient, connectWorkerConnection } from '../infra/temporal';
import { createWebhookClient } from '../infra/webhook-client';
import {
  activityDeps,
  createOrderWorkers,
  startWorkerMetrics,
  type OrderWorkers,
} from '../workers/order-worker';
import { ensureSchedules } from '../workers/schedules';

export interface InProcessOrderflow {
  apiUrl: string;
  /** The worker's Prometheus /metrics, when WORKER_METRICS_PORT is set. */
  workerMetricsUrl?: string;
  database: Database;
  temporal: Client;
  /** Starts the order worker (done at start unless `withWorker` was false). */
  startWorker(): Promise<void>;
  /** Resolves when the worker stops; rejects if it fails. */
  workerStopped(): Promise<void>;
  /** Writes the listing copies the worker has queued (infra/listing-copies.ts) now. */
  flushListing(): Promise<void>;
  /**
   * API first (in-flight requests finish, the callback log is written), then the worker
   * drains, then the connections; with `dropDatabase` (a test's own database) the database
   * is dropped once nothing writes to it any more.
   */
  close(options?: { dropDatabase?: boolean }): Promise<void>;
}

export async function startInProcess(
  config: Readonly<Config>,
  logger: Logger,
  options: {
    withWorker?: boolean;
    /** The Temporal SDK's Prometheus exporter, served on the worker's /metrics too. */
    sdkMetricsUrl?: string;
  } = {},
): Promise<InProcessOrderflow> {
  const database = await connectDatabase(config.mongodbUri, logger);
  // One process: its API and worker keep one directory, so an admin's change reaches both.
  const directory = createDirectory(database.models, { keepMs: config.directoryCacheMs, logger });
  const temporal = await connectClient(config.temporal);
  await ensureSchedules(temporal, config);
  const workerConnection: NativeConnection = await connectWorkerConnection(config.temporal);
  const { webhooks, server: metricsServer } = await startWorkerMetrics({
    config,
    webhooks: createWebhookClient(config.webhooks),
    sdkMetricsUrl: options.sdkMetricsUrl,
  });
  let worker: OrderWorkers | undefined;
  let workerRun: Promise<void> = Promise.resolve();
  const deps = activityDeps(
    database.models,
    logger.child({ component: 'worker' }),
    webhooks,
    config,
    directory,
  );
  const startWorker = async () => {
    worker = await createOrderWorkers({ config, connection: workerConnection, deps });
    workerRun = worker.run();
  };
  if (options.withWorker !== false) await startWorker();
  const api = await startApi({
    config,
    database,
    temporal,
    logger: logger.child({ component: 'api' }),
    directory,
  });

  return {
    apiUrl: api.url,
    ...(metricsServer ? { workerMetricsUrl: metricsServer.url } : {}),
    database,
    temporal,
    startWorker,
    workerStopped: () => workerRun,
    flushListing: () => deps.listing.flush(),
    async close({ dropDatabase = false } = {}) {
      await api.close();
      worker?.shutdown();
      await workerRun;
      await webhooks.close();
      await metricsServer?.close();
      await workerConnection.close();
      await temporal.connection.close();
      if (dropDatabase) await database.connection.dropDatabase().catch(() => undefined);
      await database.close();
    },
  };
}
