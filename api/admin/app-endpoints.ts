// The app's event endpoints (role `admin`, mounted at /v1/admin/app-endpoints): register one
// (its signing secret is shown once), list and delete them, list an endpoint's deliveries
// with their attempts, and send one again now. Deliveries are made by the endpoint's relay in
// the worker (activities/app-events.ts, workflows/app-event-relay.ts); those recorded before
// the relay, by their own delivery workflows (workflows/app-event-delivery.ts).

import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router, type Request } from 'express';
import { endpointView, registerEndpoint, type KeptEndpoints } from '../../infra/app-endpoints';
import type { Models } from '../../infra/db';
import { deliveryView, withAttempts } from '../../infra/app-event-deliveries';
import {
  appEndpointDeletedSignal,
  appEventRelayWorkflowId,
  retryAppEventDeliverySignal,
  retryAppEventSignal,
  type AppEventDeliveryInput,
  type AppEventRelayWorkflow,
} from '../../workflows/app-event-messages';
import type { appEventDeliveryWorkflow } from '../../workflows/app-event-delivery';
import { ApiError } from '../errors';
import {
  AppEndpointParamsSchema,
  AppEventDeliveryParamsSchema,
  ListDeliveriesQuerySchema,
  RegisterAppEndpointRequestSchema,
} from './app-endpoint-schemas';

export function adminAppEndpointsRouter(deps: {
  models: Pick<Models, 'AppEndpoint' | 'AppEventDelivery' | 'AppEventAttempt' | 'ProviderSecret'>;
  /** What processes keep of the live endpoints: told of every change made here. */
  endpoints: Pick<KeptEndpoints, 'changed'>;
  temporal: Client;
  taskQueue: string;
  /** The backoff a restarted delivery uses (config.appEvents). */
  retry: AppEventDeliveryInput['retry'];
  /** Why webhooks may not go to a URL (infra/webhook-client.ts), or undefined. */
  webhookUrlRefusal: (url: string) => Promise<string | undefined>;
}): Router {
  const router = Router();
  const { models } = deps;

  router.post('/', async (req, res) => {
    const body = RegisterAppEndpointRequestSchema.parse(req.body);
    const refusal = await deps.webhookUrlRefusal(body.url);
    if (refusal) {
      throw new ApiError(
        422,
        'webhook_url_not_allowed',
        'events may not be sent where this URL points',
        [{ path: 'url', message: refusal }],
      );
    }
    const endpoint = await registerEndpoint(models, body);
    await deps.endpoints.changed();
    req.log.info({ endpointId: endpoint.endpointId }, 'app endpoint registered');
    res
      .status(201)
      .location(`${req.baseUrl}/${endpoint.endpointId}`)
      .set('Cache-Control', 'no-store')
      .json(endpoint);
  });

  router.get('/', async (_req, res) => {
    const endpoints = await models.AppEndpoint.find({ deletedAt: { $exists: false } })
      .sort({ createdAt: -1, _id: -1 })
      .lean();
    res.json({ endpoints: endpoints.map(endpointView) });
  });

  router.delete('/:endpointId', async (req, res) => {
    const { endpointId } = AppEndpointParamsSchema.parse(req.params);
    await liveEndpoint(endpointId);
    // Only the admin API writes an endpoint after its registration, and only this field.
    await models.AppEndpoint.updateOne({ _id: endpointId }, { $set: { deletedAt: new Date() } });
    await deps.endpoints.changed();
    await wakeRelay(endpointId, req.log);
    req.log.info({ endpointId }, 'app endpoint deleted');
    res.status(204).end();
  });

  router.get('/:endpointId/deliveries', async (req, res) => {
    const { endpointId } = AppEndpointParamsSchema.parse(req.params);
    const query = ListDeliveriesQuerySchema.parse(req.query);
    await existingEndpoint(endpointId);
    const deliveries = await models.AppEventDelivery.find({
      endpointId,
      ...(query.status ? { status: query.status } : {}),
    })
      .sort({ createdAt: -1, _id: -1 })
      .limit(query.limit)
      .lean();
    res.json({ deliveries: (await withAttempts(models, deliveries)).map(deliveryView) });
  });

  router.post('/:endpointId/deliveries/:deliveryId/retry', async (req, res) => {
    const { endpointId, deliveryId } = AppEventDeliveryParamsSchema.parse(req.params);
    await liveEndpoint(endpointId);
    const delivery = await models.AppEventDelivery.findOne({ _id: deliveryId, endpointId }).lean();
    if (!delivery) throw new ApiError(404, 'delivery_not_found', 'no such delivery');
    // A delivery waiting for its next attempt makes it now; one that ended (failed, or
    // delivered and sent again on purpose) is sent again with the same id.
    if (delivery.nextAttemptAt) {
      await deps.temporal.workflow.signalWithStart<AppEventRelayWorkflow, [string]>(
        'appEventRelayWorkflow',
        {
          workflowId: appEventRelayWorkflowId(endpointId),
          taskQueue: deps.taskQueue,
          args: [{ endpointId, retry: deps.retry }],
          signal: retryAppEventDeliverySignal,
          signalArgs: [deliveryId],
        },
      );
    } else {
      // Recorded before the relay: its own workflow, started over under the same id.
      await deps.temporal.workflow.signalWithStart<typeof appEventDeliveryWorkflow, []>(
        'appEventDeliveryWorkflow',
        {
          workflowId: deliveryId,
          taskQueue: deps.taskQueue,
          args: [{ deliveryId, retry: deps.retry, again: true }],
          signal: retryAppEventSignal,
          signalArgs: [],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        },
      );
    }
    req.log.info({ endpointId, deliveryId }, 'app event delivery retried');
    const [retried] = await withAttempts(models, [{ ...delivery, status: 'pending' }]);
    res.status(202).json(deliveryView(retried!));
  });

  /**
   * A deleted endpoint's relay fails what was still pending and ends at its next round: woken
   * now, so that it does not wait for a retry or its idle look (at most 10 minutes).
   */
  async function wakeRelay(endpointId: string, log: Request['log']) {
    try {
      await deps.temporal.workflow
        .getHandle(appEventRelayWorkflowId(endpointId))
        .signal(appEndpointDeletedSignal);
    } catch (error) {
      // No relay: no event was recorded for it yet, or it has ended.
      if (error instanceof WorkflowNotFoundError) return;
      log.warn({ endpointId, error: String(error) }, 'app endpoint relay not woken');
    }
  }

  async function existingEndpoint(endpointId: string) {
    const endpoint = await models.AppEndpoint.findById(endpointId).lean();
    if (!endpoint) throw new ApiError(404, 'endpoint_not_found', 'no such app endpoint');
    return endpoint;
  }

  async function liveEndpoint(endpointId: string) {
    const endpoint = await existingEndpoint(endpointId);
    if (endpoint.deletedAt) throw new ApiError(404, 'endpoint_not_found', 'no such app endpoint');
    return endpoint;
  }

  return router;
}
