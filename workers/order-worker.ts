// The order worker: runs order workflows and their activities on the orders task queue(s).
// `createOrderWorkers` builds it from dependencies (used by tests and the dev runtime): one
// Temporal Worker per queue of the lanes it serves (WORKER_TASK_QUEUES, infra/task-queues.ts);
// run this file to start a worker process that drains on SIGINT/SIGTERM, serves its metrics
// at WORKER_METRICS_PORT and traces when OTEL_EXPORTER_OTLP_ENDPOINT is set.

import { bundleWorkflowCode, Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { payloadDataConverter } from '../infra/codec';
import { loadConfig, type Config } from '../infra/config';
import { connectDatabase } from '../infra/db';
import { createSandboxCourierNetwork } from '../infra/dispatch/couriers';
import { createSandboxCustomerNotifier } from '../infra/dispatch/customer-notifier';
import { createSandboxVideoSessions } from '../infra/dispatch/video-sessions';
import { createSandboxVoucherIssuer } from '../infra/dispatch/vouchers';
import { createLogger, type Logger } from '../infra/logger';
import { createSandboxGateway } from '../infra/payments/sandbox';
import { useSecretKeys } from '../infra/provider-secrets';
import { appEventTaskQueue, workerTaskQueues } from '../infra/task-queues';
import { startWorkerMetricsServer, type MetricsServer } from '../infra/telemetry/metrics-server';
import {
  WORKFLOW_INTERCEPTOR_MODULES,
  workerTracingOptions,
} from '../infra/telemetry/temporal-tracing';
import { startTracing } from '../infra/telemetry/tracing';
import { createWorkerMetrics, observeWebhooks } from '../infra/telemetry/worker-metrics';
import { installWorkerRuntime } from '../infra/telemetry/worker-runtime';
import { connectWorkerConnection } from '../infra/temporal';
import { createWebhookClient, type WebhookClient } from '../infra/webhook-client';
import { registerSchedules } from './schedules';
import type { Connection } from 'mongoose';
import { countDatabaseCommands } from '../infra/telemetry/db-commands';
import { createDirectory, type Directory } from '../infra/directory';
import type { Models } from '../infra/db';
import { createListingCopies } from '../infra/listing-copies';
import { startListingRepairs } from '../infra/listing-repair';

/** Orders per listing write: a bulk write stays well below the database's message size. */
const LISTING_MAX_BATCH = 200;

export function activityDeps(
  models: Models,
  logger: Logger,
  webhooks: WebhookClient,
  config: Pick<Config, 'appEvents' | 'temporal' | 'directoryCacheMs' | 'worker'>,
  directory: Directory = createDirectory(models, { keepMs: config.directoryCacheMs, logger }),
): ActivityDeps {
  const notifier = createSandboxCustomerNotifier(models.DispatchRecord);
  return {
    models,
    listing: createListingCopies(models, {
      windowMs: config.worker.listingWindowMs,
      maxBatch: LISTING_MAX_BATCH,
      onError: (error, copies) =>
        logger.warn({ err: error, copies }, 'listing copies not written; trying again'),
    }),
    ...directory,
    gateway: createSandboxGateway(models, { slowResponseMs: config.worker.sandboxSlowPaymentMs }),
    couriers: createSandboxCourierNetwork(models.DispatchRecord),
    vouchers: createSandboxVoucherIssuer(models.DispatchRecord, notifier),
    videoSessions: createSandboxVideoSessions(models.DispatchRecord, notifier),
    logger,
    webhooks,
    clock: () => new Date(),
    appEvents: { ...config.appEvents, taskQueue: appEventTaskQueue(config.temporal) },
    answerWithPublication: config.worker.checkoutAnswerWithPublication,
  };
}

/** The Temporal Workers of one worker process, one per task queue, run and stopped together. */
export interface OrderWorkers {
  taskQueues: readonly string[];
  /** Resolves once every queue's worker has drained after shutdown(); rejects if one fails. */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createOrderWorkers(options: {
  config: Readonly<Config>;
  connection: NativeConnection;
  deps: ActivityDeps;
}): Promise<OrderWorkers> {
  const { config, connection, deps } = options;
  const taskQueues = workerTaskQueues(config.temporal, config.worker.lanes);
  const bundlePath = config.worker.workflowBundlePath;
  // Webhooks and app events are signed with secrets encrypted at rest under these keys.
  useSecretKeys(deps.models, config.secretEncryptionKeys);
  const workflowsPath = require.resolve('../workflows');
  // Several queues share one bundle rather than each bundling the same code again.
  const workflowBundle = bundlePath
    ? { codePath: bundlePath }
    : taskQueues.length > 1
      ? await bundleWorkflowCode({
          workflowsPath,
          workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
        })
      : undefined;
  const workers = await Promise.all(
    taskQueues.map((taskQueue) =>
      createOrderWorker({ config, connection, deps, taskQueue, workflowBundle, workflowsPath }),
    ),
  );
  return {
    taskQueues,
    run: async () => {
      // One queue's worker failing stops the others too: the process is no longer whole.
      const runs = workers.map((worker) => worker.run());
      const stopRepairs = startListingRepairs(deps.models, deps.logger);
      try {
        await Promise.all(runs);
      } catch (error) {
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.allSettled(runs);
        throw error;
      } finally {
        // The drained activities' copies go in before the process lets go of the database.
        await stopRepairs();
        await deps.listing.flush();
      }
    },
    shutdown: () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    },
  };
}

function createOrderWorker(options: {
  config: Readonly<Config>;
  connection: NativeConnection;
  deps: ActivityDeps;
  taskQueue: string;
  workflowBundle?: { codePath: string } | { code: string };
  workflowsPath: string;
}): Promise<Worker> {
  const { config, connection, deps, taskQueue, workflowBundle, workflowsPath } = options;
  const tracing = workerTracingOptions();
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    // A prebuilt bundle already holds the workflow interceptors (WORKFLOW_INTERCEPTOR_MODULES).
    ...(workflowBundle
      ? { workflowBundle, interceptors: tracing.interceptors }
      : {
          workflowsPath,
          interceptors: {
            ...tracing.interceptors,
            workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES],
          },
        }),
    sinks: tracing.sinks,
    activities: createActivities(deps),
    // The same payload encryption as the client (infra/codec.ts); plain payloads still decode.
    dataConverter: payloadDataConverter(config.temporal.payloadEncryptionKeys),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    // On shutdown, running activities get this long to finish before they are cancelled.
    shutdownGraceTime: '20s',
  });
}

/**
 * The worker's metrics: provider webhooks counted on orderflow's registry and, when
 * `config.worker.metricsPort` is set, one /metrics serving them beside the SDK's.
 */
export async function startWorkerMetrics(options: {
  config: Readonly<Config>;
  webhooks: WebhookClient;
  /** Where the SDK's Prometheus exporter answers (installWorkerRuntime). */
  sdkMetricsUrl?: string;
  /** The worker's own database connection, its commands counted (not one an API shares). */
  database?: Connection;
}): Promise<{ webhooks: WebhookClient; server?: MetricsServer }> {
  const { config, sdkMetricsUrl } = options;
  const metrics = createWorkerMetrics();
  if (options.database) countDatabaseCommands(options.database, metrics.registry);
  const webhooks = observeWebhooks(options.webhooks, metrics);
  if (config.worker.metricsPort === undefined) return { webhooks };
  const server = await startWorkerMetricsServer({
    host: config.http.host,
    port: config.worker.metricsPort,
    registry: metrics.registry,
    sdkMetricsUrl,
  });
  return { webhooks, server };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'order-worker' });
  const tracing = startTracing({
    serviceName: 'orderflow-worker',
    otlpEndpoint: config.telemetry.otlpEndpoint,
  });
  const { sdkMetricsUrl } = await installWorkerRuntime({
    logger: logger.child({ component: 'temporal' }),
    metrics: config.worker.metricsPort !== undefined,
  });

  const database = await connectDatabase(config.mongodbUri, logger);
  const connection = await connectWorkerConnection(config.temporal);
  await registerSchedules(config);
  const { webhooks, server: metricsServer } = await startWorkerMetrics({
    config,
    webhooks: createWebhookClient(config.webhooks),
    sdkMetricsUrl,
    database: database.connection,
  });
  const worker = await createOrderWorkers({
    config,
    connection,
    deps: activityDeps(database.models, logger, webhooks, config),
  });
  logger.info(
    {
      taskQueues: worker.taskQueues,
      namespace: config.temporal.namespace,
      metricsUrl: metricsServer?.url,
      tracing: tracing !== undefined,
    },
    'order worker started',
  );
  // Worker.run resolves after the Runtime's SIGINT/SIGTERM handling has drained the worker.
  await worker.run();
  await webhooks.close();
  await connection.close();
  await database.close();
  await metricsServer?.close();
  await tracing?.shutdown();
  logger.info('order worker stopped');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `order worker failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
