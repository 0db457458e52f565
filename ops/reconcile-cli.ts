// `npm run reconcile`: checks every order's workflow, document and payment ledger against the
// rules in ops/reconcile.ts, configured like the worker (MONGODB_URI, TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, TLS...). Prints a summary table and one line per
// breach, or the report as JSON with --json; `--order <id>` (repeatable) checks only those.
// Exit code: 0 all checked and clean, 1 breaches found, 2 could not check (all or some).

import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger } from '../infra/logger';
import { createSandboxGateway } from '../infra/payments/sandbox';
import { workerTaskQueues } from '../infra/task-queues';
import { connectClient } from '../infra/temporal';
import { exitCodeOf, formatReport } from './reconcile';
import { reconcile } from './reconcile-runner';

const USAGE = 'usage: npm run reconcile -- [--json] [--order <orderId>]...\n';

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        order: { type: 'string', multiple: true },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  let config;
  try {
    // The reconciler serves no API: the API's required tokens are not needed to run it.
    config = loadConfig({ API_TOKENS: 'reconcile:support:not-used-by-reconcile', ...env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`reconcile: ${error.message}\n`);
    return 2;
  }
  // Logs go to stderr: stdout carries the report.
  const logger = createLogger(
    config.logLevel,
    { service: 'reconcile' },
    pino.destination({ dest: 2, sync: true }),
  );

  let database: Database | undefined;
  let temporal: Client | undefined;
  try {
    database = await connectDatabase(config.mongodbUri, logger);
    temporal = await connectClient(config.temporal);
    const report = await reconcile({
      temporal,
      models: database.models,
      gateway: createSandboxGateway(database.models),
      taskQueues: workerTaskQueues(config.temporal),
      ...(options.order ? { orderIds: options.order } : {}),
    });
    process.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
    );
    return exitCodeOf(report);
  } catch (error) {
    process.stderr.write(
      `reconcile: could not check the orders: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  } finally {
    await temporal?.connection.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `reconcile failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = 2;
    },
  );
}
