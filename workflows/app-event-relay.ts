// One endpoint's relay: delivers the app events recorded for it, in rounds, until the endpoint
// is deleted (../shared/API.md, "App events"). A publication records its deliveries and wakes
// the relay; each round attempts what is due, in batches, and the relay sleeps until the next
// retry is due or new deliveries wake it. One workflow per endpoint instead of one per event
// to each endpoint: an event costs a record and a signal, not a workflow (docs/BENCHMARKS.md).
// A slow or dead endpoint slows only its own relay; each delivery keeps its own backoff.

import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { RELAY_FOLLOW_UP_MS } from '../domain/app-event-relay';
import {
  appEndpointDeletedSignal,
  appEventsRecordedSignal,
  retryAppEventDeliverySignal,
  type AppEventRelayInput,
} from './app-event-messages';
import { workflowNow } from './clock';

/**
 * A round's attempts run inside the workflow task. A round attempts a bounded batch, each
 * attempt giving up after 10 s (activities/app-events.ts), so it ends well within this; the
 * retries are for our own failures (the database), quickly.
 */
const { relayAppEvents } = proxyLocalActivities<Pick<OrderActivities, 'relayAppEvents'>>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** With nothing pending, the relay still looks this often (a wake-up it may have missed). */
const IDLE_LOOK_MS = 10 * 60 * 1000;
/** A fresh run's history stays short enough to replay quickly when a worker picks it up. */
const MAX_HISTORY_EVENTS = 2_000;

export async function appEventRelayWorkflow(input: AppEventRelayInput): Promise<string> {
  const retryNow = new Set(input.retryNow);
  // A run starts as if woken (by the signal that started it, or to carry on after the last).
  let woken = true;
  // Each run's first round reads the endpoint itself; later ones, as the worker keeps it, but
  // for the one after its deletion.
  let checkEndpoint = true;
  setHandler(appEventsRecordedSignal, () => {
    woken = true;
  });
  setHandler(retryAppEventDeliverySignal, (deliveryId) => {
    retryNow.add(deliveryId);
    woken = true;
  });
  setHandler(appEndpointDeletedSignal, () => {
    checkEndpoint = true;
    woken = true;
  });
  for (;;) {
    const followsWakeUp = woken;
    woken = false;
    const asked = [...retryNow];
    retryNow.clear();
    const round = await relayAppEvents({
      endpointId: input.endpointId,
      retry: input.retry,
      retryNow: asked,
      checkEndpoint,
    });
    checkEndpoint = false;
    if (round.endpointDeleted) return 'endpoint_deleted';
    const info = workflowInfo();
    const maxEvents = input.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
    if (info.continueAsNewSuggested || info.historyLength > maxEvents) {
      await condition(allHandlersFinished);
      // The next run starts with a round: nothing recorded meanwhile waits.
      return continueAsNew<typeof appEventRelayWorkflow>({ ...input, retryNow: [...retryNow] });
    }
    // A full batch, or woken while the round ran: the next round now, without a timer.
    if (round.more || woken) continue;
    const untilDue =
      round.nextRoundAt === undefined ? IDLE_LOOK_MS : round.nextRoundAt - workflowNow().getTime();
    const untilNext = followsWakeUp ? Math.min(untilDue, RELAY_FOLLOW_UP_MS) : untilDue;
    if (untilNext > 0) await condition(() => woken, untilNext);
  }
}
