// App events to the app's backend: starting one delivery workflow per (event, endpoint) when
// the workflow publishes a snapshot that carries events, and the deliveries' attempts, each
// signed per Standard Webhooks (infra/app-endpoints.ts) and recorded for admins.

import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { appEvent, type AppEventType } from '../domain/app-events';
import type { OrderSnapshot } from '../domain/order';
import { signedHeaders } from '../infra/app-endpoints';
import { isDuplicateKeyError } from '../infra/db';
import type { DeliveryStatus } from '../infra/models/app-event';
import { targetRefusalOf } from '../infra/webhook-client';
import {
  appEventDeliveryWorkflowId,
  type AppEventDeliveryInput,
} from '../workflows/app-event-messages';
import type { ActivityDeps } from './deps';

/** One attempt waits this long for the endpoint: a slow endpoint only slows its own delivery. */
const APP_EVENT_REQUEST_TIMEOUT_MS = 10_000;

/** `retry`: the endpoint may still take it later; the others end the delivery. */
export type AttemptOutcome = 'delivered' | 'retry' | 'refused' | 'endpoint_deleted';

type AppEventDeps = Pick<
  ActivityDeps,
  'models' | 'appEndpoints' | 'webhooks' | 'logger' | 'clock' | 'appEvents'
>;

/**
 * Starts the deliveries of `types` (events of `snapshot`) to every endpoint registered now.
 * Called by the activities that store a snapshot, after storing it. A retried activity starts
 * nothing twice: the records are keyed by delivery and the workflow ids refuse duplicates.
 */
export async function announceAppEvents(
  deps: AppEventDeps,
  snapshot: OrderSnapshot,
  types: readonly AppEventType[] | undefined,
): Promise<void> {
  if (!types?.length) return;
  const endpoints = await deps.appEndpoints.live();
  if (endpoints.length === 0) return;
  const { client } = Context.current();
  const starts = types.flatMap((type) => {
    const event = appEvent(snapshot, type);
    const body = JSON.stringify(event);
    return endpoints.map(async (endpoint) => {
      const deliveryId = appEventDeliveryWorkflowId(endpoint._id, event.id);
      const now = deps.clock();
      try {
        await deps.models.AppEventDelivery.create({
          _id: deliveryId,
          endpointId: endpoint._id,
          eventId: event.id,
          type,
          orderId: event.orderId,
          sequence: event.sequence,
          body,
          status: 'pending',
          createdAt: now,
          updatedAt: now,
        });
      } catch (error) {
        // An earlier try of this activity recorded it; its workflow may not have started.
        if (!isDuplicateKeyError(error)) throw error;
      }
      const input: AppEventDeliveryInput = {
        deliveryId,
        retry: {
          initialMs: deps.appEvents.retryInitialMs,
          maximumMs: deps.appEvents.retryMaximumMs,
        },
      };
      try {
        await client.workflow.start('appEventDeliveryWorkflow', {
          workflowId: deliveryId,
          taskQueue: deps.appEvents.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (error) {
        // Started and already finished by an earlier try.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
    });
  });
  await Promise.all(starts);
}

export function createAppEventActivities(deps: AppEventDeps) {
  const { models, webhooks, logger, clock } = deps;
  return {
    /** POSTs the delivery's event once, signed, and records the attempt. */
    async attemptAppEvent(deliveryId: string): Promise<{ outcome: AttemptOutcome }> {
      const delivery = await models.AppEventDelivery.findById(deliveryId).lean();
      if (!delivery) throw new Error(`app event delivery ${deliveryId} is not recorded`);
      const endpoint = await models.AppEndpoint.findById(delivery.endpointId).lean();
      if (!endpoint || endpoint.deletedAt) return { outcome: 'endpoint_deleted' };
      const at = clock();
      const headers = signedHeaders(models, endpoint, {
        id: delivery.eventId,
        body: delivery.body,
        now: at,
      });
      let httpStatus: number | undefined;
      let failure: string | undefined;
      let outcome: AttemptOutcome;
      try {
        ({ status: httpStatus } = await webhooks.post(endpoint.url, {
          headers,
          body: delivery.body,
          timeoutMs: APP_EVENT_REQUEST_TIMEOUT_MS,
        }));
        outcome = httpStatus >= 200 && httpStatus < 300 ? 'delivered' : 'retry';
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
        outcome = targetRefusalOf(error) ? 'refused' : 'retry';
      }
      await models.AppEventAttempt.create({
        deliveryId,
        at,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        ...(failure !== undefined ? { error: failure } : {}),
        delivered: outcome === 'delivered',
        durationMs: clock().getTime() - at.getTime(),
      });
      if (outcome === 'delivered') await settle(deliveryId, 'delivered');
      logger.info(
        { deliveryId, endpointId: endpoint._id, httpStatus, error: failure, outcome },
        'app event attempt',
      );
      return { outcome };
    },

    /** The delivery's status, written only by its one delivery workflow. */
    async settleAppEventDelivery(deliveryId: string, status: DeliveryStatus): Promise<void> {
      await settle(deliveryId, status);
    },
  };

  async function settle(deliveryId: string, status: DeliveryStatus): Promise<void> {
    await models.AppEventDelivery.updateOne(
      { _id: deliveryId },
      { $set: { status, updatedAt: clock() } },
    );
  }
}
