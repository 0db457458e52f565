// The bare worker process: runs bare orders (bench/bare/workflow.ts) on its own task queue
// with the order worker's settings (WORKER_MAX_CONCURRENT_*, the same connection and shutdown
// grace) and no payload codec. Started by the load generator; drains on SIGINT/SIGTERM.

import { Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../infra/config';
import { createLogger, temporalLogger } from '../../infra/logger';
import { connectWorkerConnection } from '../../infra/temporal';
import { createBareActivities } from './activities';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'bare-worker' });
  Runtime.install({ logger: temporalLogger(logger.child({ component: 'temporal' })) });
  const connection = await connectWorkerConnection(config.temporal);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('./workflow'),
    activities: createBareActivities(),
    maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
    maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    shutdownGraceTime: '20s',
  });
  logger.info({ taskQueue: config.temporal.taskQueue }, 'bare worker started');
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `bare worker failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
