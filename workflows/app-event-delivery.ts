// One app event to one endpoint, recorded before the endpoints' relays took over delivering
// (workflows/app-event-relay.ts): kept so that those deliveries, and an admin's retry of one,
// still run. Attempts with backoff until the endpoint answers 2xx, for at most 72 hours
// (../shared/API.md, "App events"). The backoff is a durable timer here rather than an
// activity retry policy, so that an admin's retry can cut it short.

import {
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { GIVE_UP_AFTER_MS } from '../domain/app-event-relay';
import { retryAppEventSignal, type AppEventDeliveryInput } from './app-event-messages';
import { workflowNow } from './clock';

/**
 * One attempt: the HTTP call itself gives up after 10 s (activities/app-events.ts); what the
 * endpoint answers is a result, not an error, so retries here are only for our own failures
 * (the database), quickly.
 */
const attemptOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
} as const;
type Attempts = Pick<OrderActivities, 'attemptAppEvent'>;
const { attemptAppEvent: attemptInTask } = proxyLocalActivities<Attempts>(attemptOptions);
/** Runs started before the change `app-event-attempt-local` attempt through the task queue. */
const { attemptAppEvent: attemptThroughQueue } = proxyActivities<Attempts>(attemptOptions);

/** The delivery record's status: a local database write, retried until it lands. */
const { settleAppEventDelivery } = proxyLocalActivities<
  Pick<OrderActivities, 'settleAppEventDelivery'>
>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

export async function appEventDeliveryWorkflow(input: AppEventDeliveryInput): Promise<string> {
  // Attempts run inside the workflow task: one task per attempt instead of two and an activity
  // task, for every event to every endpoint (docs/BENCHMARKS.md, sixth round).
  const attemptAppEvent = patched('app-event-attempt-local') ? attemptInTask : attemptThroughQueue;
  let retryNow = false;
  setHandler(retryAppEventSignal, () => {
    retryNow = true;
  });
  if (input.again) await settleAppEventDelivery(input.deliveryId, 'pending');
  const giveUpAt = workflowNow().getTime() + GIVE_UP_AFTER_MS;
  let waitMs = input.retry.initialMs;
  for (;;) {
    retryNow = false;
    const { outcome } = await attemptAppEvent(input.deliveryId);
    // Asked to send it again while the attempt went (or as it ended): send it again now.
    if (outcome === 'delivered' && retryNow) continue;
    // Delivered: the attempt recorded it. Refused or deleted: retrying cannot change that.
    if (outcome !== 'retry') {
      if (outcome !== 'delivered') await settleAppEventDelivery(input.deliveryId, 'failed');
      return outcome;
    }
    const leftMs = giveUpAt - workflowNow().getTime();
    if (leftMs <= 0) {
      await settleAppEventDelivery(input.deliveryId, 'failed');
      return 'gave_up';
    }
    await condition(() => retryNow, Math.min(waitMs, leftMs));
    waitMs = Math.min(waitMs * 2, input.retry.maximumMs);
  }
}
