// The Express application: middleware in order (request context, metrics), one router per
// user of the API, then the single error translation. It also owns the process's order change
// feed, which the app's long polls wait on, and answers them when the server shuts down.

import express from 'express';
import type { Client } from '@temporalio/client';
import type { Vertical } from '../domain/order';
import type { Config } from '../infra/config';
import type { Database } from '../infra/db';
import type { Logger } from '../infra/logger';
import { appEventTaskQueue, orderTaskQueue } from '../infra/task-queues';
import { createAdmission } from './admission';
import { createCheckout, dependencyWasDown, type CheckoutResult } from './checkout';
import { errorHandler, notFoundHandler } from './errors';
import { createApiMetrics } from './metrics';
import { bearerAuth } from './middleware/auth';
import { jsonBody, limitBodySize } from './middleware/body';
import { createCallbackLog } from './middleware/callback-log';
import { requestContext } from './middleware/request-context';
import { serverTiming } from './middleware/server-timing';
import { securityHeaders } from './middleware/security-headers';
import { traceRequests } from './middleware/tracing';
import { verifyProviderSignature } from './middleware/signature';
import { adminAppEndpointsRouter } from './admin/app-endpoints';
import { adminProvidersRouter } from './admin/routes';
import { codecRouter } from './codec/routes';
import { consoleRouter } from './console/routes';
import { opsRouter } from './ops/routes';
import { createOrderWaits } from './orders/order-waits';
import { ordersRouter } from './orders/routes';
import { providersRouter } from './providers/routes';
import { supportRouter, whoAmI } from './support/routes';
import { supportHistoryRouter } from './support/history-routes';
import { countDatabaseCommands } from '../infra/telemetry/db-commands';
import { createDirectory, type Directory } from '../infra/directory';
import type { LedgerEntry } from '../infra/models/sandbox-payment';
import { createSandboxGateway } from '../infra/payments/sandbox';
import { useSecretKeys } from '../infra/provider-secrets';
import { webhookUrlRefusal } from '../infra/webhook-client';
import { createOrderChangeFeed } from '../infra/order-change-feed';
import { activeTracing } from '../infra/telemetry/tracing';

export interface AppDeps {
  config: Readonly<Config>;
  database: Database;
  temporal: Client;
  logger: Logger;
  /** The payment ledger support reads; the sandbox gateway's books by default. */
  paymentLedger?: (orderId: string) => Promise<LedgerEntry[]>;
  /** What the process keeps of providers and app endpoints; its own unless shared. */
  directory?: Directory;
}

export function createApp({
  config,
  database,
  temporal,
  logger,
  paymentLedger,
  directory = createDirectory(database.models, { keepMs: config.directoryCacheMs, logger }),
}: AppDeps) {
  const app = express();
  app.disable('x-powered-by');
  // Whose X-Forwarded-* headers count (TRUST_PROXY): `req.secure` behind a TLS proxy sets the
  // codec cookie's Secure flag.
  app.set('trust proxy', config.http.trustProxy);
  const metrics = createApiMetrics();
  const admission = createAdmission<CheckoutResult>({
    maxInFlight: config.checkout.maxInFlight,
    minInFlight: config.checkout.minInFlight,
    targetLatencyMs: config.checkout.targetLatencyMs,
    retryAfterSeconds: config.checkout.busyRetryAfterSeconds,
    dependencyWasDown,
    onShed: () => metrics.checkoutsShed.inc(),
  });
  metrics.observeAdmission(admission);
  const { models } = database;
  useSecretKeys(models, config.secretEncryptionKeys);
  const orderFeed = createOrderChangeFeed(models, logger);
  const orderWaits = createOrderWaits(orderFeed);
  const callbackLog = createCallbackLog(models, logger);
  metrics.observeOrderWaits(orderWaits);
  countDatabaseCommands(database.connection, metrics.registry);
  metrics.observeAppEventBacklog(() =>
    models.AppEventDelivery.countDocuments({ status: 'pending' }).exec(),
  );
  const requireRole = bearerAuth(config.apiClients);
  const json = jsonBody();

  app.use(serverTiming());
  if (activeTracing()) app.use(traceRequests());
  app.use(requestContext(logger));
  app.use(securityHeaders);
  app.use(metrics.observeRequests);
  app.use('/v1', limitBodySize);

  app.use(opsRouter({ connection: database.connection, temporal, metrics }));
  const taskQueueFor = (vertical: Vertical) => orderTaskQueue(config.temporal, vertical);
  const afterSales = {
    taskQueueFor,
    idleSeconds: config.support.afterSalesIdleSeconds,
  };
  app.use(
    providersRouter({
      models,
      temporal,
      afterSales,
      verifySignature: verifyProviderSignature(
        directory.providers,
        config.signatureToleranceSeconds,
      ),
      callbackLog,
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
      admission,
      orderWaits,
      placeOrder: createCheckout({
        models,
        providers: directory.providers,
        temporal,
        taskQueueFor,
        maxOrderAmount: config.maxOrderAmount,
        waitMs: config.checkout.waitMs,
        paymentWindowMs: config.checkout.paymentWindowMs,
        refundWindowSeconds: config.support.refundWindowSeconds,
        deliveryOverdueGraceSeconds: config.deliveryOverdueGraceSeconds,
        settlementAttentionSeconds: config.settlementAttentionSeconds,
      }),
    }),
  );

  app.use(
    '/v1/admin/providers',
    requireRole('admin'),
    json,
    adminProvidersRouter({
      models,
      providers: directory.providers,
      defaultGraceSeconds: config.secretRotationGraceSeconds,
      webhookUrlRefusal: (url) => webhookUrlRefusal(url, config.webhooks),
    }),
  );

  app.use(
    '/v1/admin/app-endpoints',
    requireRole('admin'),
    json,
    adminAppEndpointsRouter({
      models,
      endpoints: directory.appEndpoints,
      temporal,
      // An admin's retry runs where every delivery does, apart from the orders.
      taskQueue: appEventTaskQueue(config.temporal),
      retry: {
        initialMs: config.appEvents.retryInitialMs,
        maximumMs: config.appEvents.retryMaximumMs,
      },
      webhookUrlRefusal: (url) => webhookUrlRefusal(url, config.webhooks),
    }),
  );

  app.get('/v1/support/me', requireRole('support', 'admin'), whoAmI);
  app.use(
    '/v1/support/orders',
    requireRole('support', 'admin'),
    json,
    supportRouter({
      models,
      temporal,
      afterSales,
      paymentLedger: paymentLedger ?? createSandboxGateway(models).ledger,
      refundApprovalThreshold: config.support.refundApprovalThreshold,
    }),
  );

  app.use(
    '/v1/support/orders',
    requireRole('support', 'admin'),
    supportHistoryRouter({ temporal, models }),
  );
  app.use(consoleRouter());
  // The Temporal Web UI's codec server (support, admin): payloads decrypted for operators.
  app.use(
    codecRouter({
      codecs: temporal.options.loadedDataConverter.payloadCodecs,
      clients: config.apiClients,
      corsOrigins: config.codec.corsOrigins,
      sessionModel: models.CodecSession,
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler);
  /** At shutdown: long polls answer now (with the order as it is) and the feed stops. */
  const answerWaitsNow = () => {
    orderWaits.answerAll();
    orderFeed.stop();
  };
  /** Once the server has closed: the callback log's last batch is written. */
  const flushLogs = () => callbackLog.flush();
  return { app, metrics, answerWaitsNow, flushLogs };
}
