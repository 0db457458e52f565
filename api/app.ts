// The Express application: middleware in order (request context, metrics), one router per
// user of the API, then the single error translation.

import express from 'express';
import type { Client } from '@temporalio/client';
import type { Config } from '../infra/config';
import type { Database } from '../infra/db';
import type { Logger } from '../infra/logger';
import { createCheckout } from './checkout';
import { errorHandler, notFoundHandler } from './errors';
import { createApiMetrics } from './metrics';
import { bearerAuth } from './middleware/auth';
import { requestContext } from './middleware/request-context';
import { verifyProviderSignature } from './middleware/signature';
import { opsRouter } from './routes/ops';
import { ordersRouter } from './routes/orders';
import { providersRouter } from './routes/providers';

export interface AppDeps {
  config: Readonly<Config>;
  database: Database;
  temporal: Client;
  logger: Logger;
}

export function createApp({ config, database, temporal, logger }: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const metrics = createApiMetrics();
  const { models } = database;
  const requireRole = bearerAuth(config.apiClients);
  const json = express.json({ limit: '256kb', strict: true });

  app.use(requestContext(logger));
  app.use(metrics.observeRequests);

  app.use(opsRouter({ connection: database.connection, temporal, metrics }));
  app.use(
    providersRouter({
      models,
      temporal,
      verifySignature: verifyProviderSignature(models, config.signatureToleranceSeconds),
    }),
  );
  app.use(
    '/v1/orders',
    requireRole('app'),
    json,
    ordersRouter({
      models,
      temporal,
      metrics,
      placeOrder: createCheckout({
        models,
        temporal,
        taskQueue: config.temporal.taskQueue,
        maxOrderAmount: config.maxOrderAmount,
        waitMs: config.checkout.waitMs,
        paymentWindowMs: config.checkout.paymentWindowMs,
      }),
    }),
  );

  app.use(notFoundHandler);
  app.use(errorHandler);
  return { app, metrics };
}
