// A real order worker process that dies (SIGKILL: no cleanup, no reply to Temporal) the
// moment the payment gateway has done one operation (`DIES_AFTER=authorise` or `capture`), or
// once the payment decision is recorded and published (`decision`: checkout's answer says the
// order was placed). The money has moved at the gateway, and whatever the worker was in the
// middle of is lost with it. The fault suite kills workers at random; this kills one at the worst place, on purpose.
// Run by test/lost-workflow-task.e2e.test.ts.

import { loadConfig } from '../../infra/config';
import { connectDatabase, type Models } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import type { PaymentGateway } from '../../infra/payments/gateway';
import { connectWorkerConnection } from '../../infra/temporal';
import { createWebhookClient } from '../../infra/webhook-client';
import { activityDeps, createOrderWorkers } from '../../workers/order-worker';

/** `gateway`, but the process dies as soon as `operation` has gone through. */
function dyingAfter(operation: 'authorise' | 'capture', gateway: PaymentGateway): PaymentGateway {
  const done = gateway[operation].bind(gateway) as (request: unknown) => Promise<unknown>;
  return {
    ...gateway,
    [operation]: async (request: unknown) => {
      await done(request);
      process.kill(process.pid, 'SIGKILL');
      return new Promise(() => undefined);
    },
  };
}

/** `models`, but the process dies as soon as a publication of the order is stored. */
function dyingAfterPublishing(models: Models): Models {
  const publications = models.OrderPublication;
  // Publications are plain inserts into the model's collection (infra/insert-validated.ts);
  // the first goes in with checkout's answer, in one insertMany (infra/checkout-answers.ts).
  const collection = publications.collection;
  const dyingAfter = (insert: 'insertOne' | 'insertMany') => {
    const stored = collection[insert].bind(collection) as (...args: unknown[]) => Promise<unknown>;
    return async (...args: unknown[]) => {
      await stored(...args);
      process.kill(process.pid, 'SIGKILL');
      return new Promise(() => undefined);
    };
  };
  const dyingCollection = new Proxy(collection, {
    get: (target, property, receiver) =>
      property === 'insertOne' || property === 'insertMany'
        ? dyingAfter(property)
        : Reflect.get(target, property, receiver),
  });
  const dying = new Proxy(publications, {
    get: (target, property, receiver) =>
      property === 'collection' ? dyingCollection : Reflect.get(target, property, receiver),
  });
  return { ...models, OrderPublication: dying };
}

async function main(): Promise<void> {
  const operation = process.env.DIES_AFTER;
  if (operation !== 'authorise' && operation !== 'capture' && operation !== 'decision')
    throw new Error('DIES_AFTER must be authorise, capture or decision');
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'worker-dying-after-payment' });
  const database = await connectDatabase(config.mongodbUri, logger);
  const connection = await connectWorkerConnection(config.temporal);
  const webhooks = createWebhookClient(config.webhooks);
  const deps = activityDeps(database.models, logger, webhooks, config);
  const workers = await createOrderWorkers({
    config,
    connection,
    deps:
      operation === 'decision'
        ? { ...deps, models: dyingAfterPublishing(deps.models) }
        : { ...deps, gateway: dyingAfter(operation, deps.gateway) },
  });
  logger.info(`worker started, dying after the gateway's next ${operation}`);
  await workers.run();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
