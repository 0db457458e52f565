// App events to the app's backend. A publication that carries events records one delivery per
// event and endpoint and wakes each endpoint's relay (workflows/app-event-relay.ts); the
// relay's rounds attempt what is due, each attempt signed per Standard Webhooks
// (infra/app-endpoints.ts) and recorded for admins. Deliveries recorded before the relay are
// attempted one at a time by their own delivery workflows (`attemptAppEvent`).

import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import {
  afterAttempt,
  freshSchedule,
  lanesByOrder,
  nextRoundAt,
  RELAY_WAKE_SPACING_MS,
  type AfterAttempt,
  type AttemptOutcome,
  type RetryPolicy,
} from '../domain/app-event-relay';
import { appEvent, type AppEventType } from '../domain/app-events';
import type { OrderSnapshot } from '../domain/order';
import { endpointSigner } from '../infra/app-endpoints';
import { insertNewValidated } from '../infra/insert-validated';
import type {
  AppEndpointDocument,
  AppEventAttemptDocument,
  AppEventDeliveryDocument,
  DeliveryStatus,
} from '../infra/models/app-event';
import { targetRefusalOf } from '../infra/webhook-client';
import {
  appEventDeliveryWorkflowId,
  appEventRelayWorkflowId,
  appEventsRecordedSignal,
  type AppEventRelayWorkflow,
  type AppEventRoundInput,
} from '../workflows/app-event-messages';
import type { ActivityDeps } from './deps';

/** One attempt waits this long for the endpoint: a slow endpoint only slows its own relay. */
const APP_EVENT_REQUEST_TIMEOUT_MS = 10_000;
/**
 * A round attempts at most this many deliveries, this many orders' at once, so that it ends
 * within the relay's timeout even when every attempt waits for its full 10 s.
 */
const ROUND_BATCH = 48;
const ROUND_CONCURRENCY = 16;

type AppEventDeps = Pick<
  ActivityDeps,
  'models' | 'appEndpoints' | 'webhooks' | 'logger' | 'clock' | 'appEvents'
>;

const retryPolicyOf = ({ appEvents }: Pick<AppEventDeps, 'appEvents'>): RetryPolicy => ({
  initialMs: appEvents.retryInitialMs,
  maximumMs: appEvents.retryMaximumMs,
});

/**
 * Records the deliveries of `types` (events of `snapshot`, the order's `publication`-th) to
 * every endpoint registered now, in one write, and wakes each endpoint's relay (starting it if
 * it is not running). Called by the activities that store a snapshot, after storing it. A
 * retried activity records nothing twice (deliveries are keyed by endpoint and event) and at
 * most wakes a relay again.
 */
export async function announceAppEvents(
  deps: AppEventDeps,
  snapshot: OrderSnapshot,
  publication: number | undefined,
  types: readonly AppEventType[] | undefined,
): Promise<void> {
  if (!types?.length) return;
  const endpoints = await deps.appEndpoints.live();
  if (endpoints.length === 0) return;
  const now = deps.clock();
  const retry = retryPolicyOf(deps);
  const deliveries = types.flatMap((type) => {
    const event = appEvent(snapshot, type, publication);
    const body = JSON.stringify(event);
    return endpoints.map((endpoint): AppEventDeliveryDocument => ({
      _id: appEventDeliveryWorkflowId(endpoint._id, event.id),
      endpointId: endpoint._id,
      eventId: event.id,
      type,
      orderId: event.orderId,
      sequence: event.sequence,
      body,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      ...freshSchedule(now, retry),
    }));
  });
  await insertNewValidated(deps.models.AppEventDelivery, deliveries);
  const { client } = Context.current();
  await Promise.all(
    endpoints.map(async (endpoint) => {
      const relayId = appEventRelayWorkflowId(endpoint._id);
      const key = `${deps.appEvents.taskQueue}/${relayId}`;
      const wokenAt = lastWakeUps.get(key);
      const now = performance.now();
      if (wokenAt !== undefined && now - wokenAt < RELAY_WAKE_SPACING_MS) return;
      lastWakeUps.set(key, now);
      try {
        await client.workflow.signalWithStart<AppEventRelayWorkflow, []>('appEventRelayWorkflow', {
          workflowId: relayId,
          taskQueue: deps.appEvents.taskQueue,
          args: [{ endpointId: endpoint._id, retry }],
          signal: appEventsRecordedSignal,
          signalArgs: [],
        });
      } catch (error) {
        // Not woken: the next publication wakes it (and this activity's retry, at once).
        if (lastWakeUps.get(key) === now) lastWakeUps.delete(key);
        throw error;
      }
    }),
  );
}

/**
 * When this process last woke each relay (by task queue and relay), on a monotonic clock: at
 * most one wake-up per `RELAY_WAKE_SPACING_MS` (domain/app-event-relay.ts says why that is
 * safe). One entry per endpoint and task queue.
 */
const lastWakeUps = new Map<string, number>();

/** What a relay's round did: `more` when a full batch was due (the next round runs at once). */
export interface RelayRound {
  endpointDeleted?: true;
  more: boolean;
  /** When the earliest pending delivery is due, in epoch ms; none pending: undefined. */
  nextRoundAt?: number;
}

type Delivery = Pick<
  AppEventDeliveryDocument,
  '_id' | 'eventId' | 'orderId' | 'sequence' | 'body' | 'retryWaitMs' | 'giveUpAt'
>;

export function createAppEventActivities(deps: AppEventDeps) {
  const { models, webhooks, logger, clock } = deps;

  /** POSTs one delivery's event once, signed; the attempt as admins will see it. */
  async function attemptOnce(
    endpoint: Pick<AppEndpointDocument, 'url'>,
    sign: ReturnType<typeof endpointSigner>,
    delivery: Pick<AppEventDeliveryDocument, '_id' | 'eventId' | 'body'>,
  ): Promise<{ outcome: AttemptOutcome; attempt: AppEventAttemptDocument }> {
    const at = clock();
    const headers = sign({ id: delivery.eventId, body: delivery.body, now: at });
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
    const attempt: AppEventAttemptDocument = {
      _id: randomUUID(),
      deliveryId: delivery._id,
      at,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(failure !== undefined ? { error: failure } : {}),
      delivered: outcome === 'delivered',
      durationMs: clock().getTime() - at.getTime(),
    };
    return { outcome, attempt };
  }

  async function settle(deliveryId: string, status: DeliveryStatus): Promise<void> {
    await models.AppEventDelivery.updateOne(
      { _id: deliveryId },
      { $set: { status, updatedAt: clock() } },
    );
  }

  return {
    /**
     * One round of an endpoint's relay: attempts the deliveries that are due (and those an
     * admin asked to send now), then records the attempts and each delivery's next step in
     * one write each. The relay is each delivery's only writer once it is recorded.
     */
    async relayAppEvents({
      endpointId,
      retry,
      retryNow = [],
      checkEndpoint,
    }: AppEventRoundInput): Promise<RelayRound> {
      const kept = checkEndpoint
        ? undefined
        : (await deps.appEndpoints.live()).find((live) => live._id === endpointId);
      const endpoint = kept ?? (await models.AppEndpoint.findById(endpointId).lean());
      const relayed = { endpointId, status: 'pending', nextAttemptAt: { $exists: true } };
      if (!endpoint || endpoint.deletedAt) {
        // Deleted endpoints get nothing more: what was still pending has failed.
        await models.AppEventDelivery.updateMany(relayed, {
          $set: { status: 'failed', updatedAt: clock() },
        });
        return { endpointDeleted: true, more: false };
      }
      const now = clock();
      const pending = await models.AppEventDelivery.find(relayed)
        .sort({ nextAttemptAt: 1, _id: 1 })
        .limit(ROUND_BATCH + 1)
        .lean();
      const isDue = (d: AppEventDeliveryDocument) => d.nextAttemptAt!.getTime() <= now.getTime();
      // Read by `_id` each (an admin's few): FerretDB looks an `_id` up, and scans for `$in`.
      const asked = (
        await Promise.all(
          retryNow.map((id) =>
            models.AppEventDelivery.findOne({
              _id: id,
              endpointId,
              nextAttemptAt: { $exists: true },
            }).lean(),
          ),
        )
      ).filter((d) => d !== null);
      // An admin's retry: sent now, whatever its status, with a fresh 72 hours.
      const askedIds = new Set(asked.map((d) => d._id));
      const round: Delivery[] = [
        ...asked.map((d) => ({ ...d, ...freshSchedule(now, retry) })),
        ...pending.slice(0, ROUND_BATCH).filter((d) => isDue(d) && !askedIds.has(d._id)),
      ];
      const waiting = pending.filter((d) => !isDue(d) && !askedIds.has(d._id));

      const sign = endpointSigner(models, endpoint);
      const attempts: AppEventAttemptDocument[] = [];
      const outcomes = new Map<string, AttemptOutcome>();
      await inLanes(lanesByOrder(round), ROUND_CONCURRENCY, async (delivery) => {
        const { outcome, attempt } = await attemptOnce(endpoint, sign, delivery);
        attempts.push(attempt);
        outcomes.set(delivery._id, outcome);
      });

      await insertNewValidated(models.AppEventAttempt, attempts);
      // Backoffs count from the round's end, so that deliveries that failed alike share their
      // next attempt and their write.
      const roundEnd = clock();
      const next = new Map(
        round.map((d) => [
          d._id,
          afterAttempt(outcomes.get(d._id)!, scheduleOf(d), roundEnd, retry),
        ]),
      );
      // One `updateMany` per way the due deliveries came out, not a bulk of updates: FerretDB
      // 1.x keeps a pooled PostgreSQL connection for good when its client goes away in the
      // middle of a multi-statement update (a worker killed mid-round), and stops answering
      // after a dozen (docs/RELIABILITY.md, finding G). Filtered by endpoint and status, which
      // FerretDB answers from the index (it filters `$in` itself, over those alone).
      const write = (filter: object, set: object) =>
        models.AppEventDelivery.updateMany(filter, { $set: { ...set, updatedAt: roundEnd } });
      const due = round.filter((d) => !askedIds.has(d._id));
      const retried = round.filter((d) => askedIds.has(d._id));
      await Promise.all([
        ...alike(due, next).map(({ ids, set }) =>
          write({ endpointId, status: 'pending', _id: { $in: ids } }, set),
        ),
        // An admin's retry, one by one: their status may be any, and they had a fresh 72 hours.
        ...retried.map((d) => write({ _id: d._id }, { ...next.get(d._id)!, giveUpAt: d.giveUpAt })),
      ]);
      const tally = (status: DeliveryStatus) =>
        [...next.values()].filter((n) => n.status === status).length;
      logger.info(
        {
          endpointId,
          attempted: round.length,
          delivered: tally('delivered'),
          retrying: tally('pending'),
          failed: tally('failed'),
        },
        'app event round',
      );
      const more = pending.length > ROUND_BATCH && isDue(pending[ROUND_BATCH]!);
      const times = [
        ...[...next.values()].flatMap((n) => (n.status === 'pending' ? [n.nextAttemptAt] : [])),
        ...waiting.map((d) => d.nextAttemptAt!),
      ];
      const at = nextRoundAt(times);
      return { more, ...(at !== undefined ? { nextRoundAt: at } : {}) };
    },

    /** A delivery workflow's attempt (deliveries recorded before the relay): one POST. */
    async attemptAppEvent(deliveryId: string): Promise<{ outcome: AttemptOutcome }> {
      const delivery = await models.AppEventDelivery.findById(deliveryId).lean();
      if (!delivery) throw new Error(`app event delivery ${deliveryId} is not recorded`);
      const endpoint = await models.AppEndpoint.findById(delivery.endpointId).lean();
      if (!endpoint || endpoint.deletedAt) return { outcome: 'endpoint_deleted' };
      const { outcome, attempt } = await attemptOnce(
        endpoint,
        endpointSigner(models, endpoint),
        delivery,
      );
      await insertNewValidated(models.AppEventAttempt, [attempt]);
      if (outcome === 'delivered') await settle(deliveryId, 'delivered');
      logger.info(
        { deliveryId, endpointId: endpoint._id, httpStatus: attempt.httpStatus, outcome },
        'app event attempt',
      );
      return { outcome };
    },

    /** A delivery workflow's delivery status, written only by that workflow. */
    async settleAppEventDelivery(deliveryId: string, status: DeliveryStatus): Promise<void> {
      await settle(deliveryId, status);
    },
  };
}

/** Deliveries grouped by their next step, so that each group takes one write. */
function alike(
  deliveries: readonly Delivery[],
  next: ReadonlyMap<string, AfterAttempt>,
): { ids: string[]; set: AfterAttempt }[] {
  const groups = new Map<string, { ids: string[]; set: AfterAttempt }>();
  for (const delivery of deliveries) {
    const set = next.get(delivery._id)!;
    const key = JSON.stringify(set);
    const group = groups.get(key);
    if (group) group.ids.push(delivery._id);
    else groups.set(key, { ids: [delivery._id], set });
  }
  return [...groups.values()];
}

/** The schedule an attempt continues from (fields every relayed delivery has). */
function scheduleOf(delivery: Delivery) {
  return { retryWaitMs: delivery.retryWaitMs!, giveUpAt: delivery.giveUpAt! };
}

/** Runs each lane's items one after another, up to `limit` lanes at a time. */
async function inLanes<D>(
  lanes: readonly D[][],
  limit: number,
  run: (item: D) => Promise<void>,
): Promise<void> {
  let taken = 0;
  const worker = async () => {
    while (taken < lanes.length) {
      const lane = lanes[taken++]!;
      for (const item of lane) await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, lanes.length) }, worker));
}
