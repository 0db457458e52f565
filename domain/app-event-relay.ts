// How an endpoint's relay schedules app events (../shared/API.md, "App events": at least once,
// retried with backoff for up to 72 hours). Pure: the relay's round (activities/app-events.ts)
// reads the due deliveries, attempts them and writes back what these functions decide.

/** How long an event keeps being retried before its delivery counts as failed. */
export const GIVE_UP_AFTER_MS = 72 * 60 * 60 * 1000;

/**
 * Waking a relay costs a signal and a workflow task, so a worker process wakes each relay at
 * most this often: a publication that finds the relay woken by its process less than this ago
 * records its deliveries and leaves them to the round that follows every wake-up,
 * `RELAY_FOLLOW_UP_MS` after it. That round reads after every delivery recorded without a
 * wake-up (the spacing is half the follow-up, and both are durations, so no clocks are
 * compared). Under load one wake-up and one round serve several events; an event waits at
 * most about a second for its round.
 */
export const RELAY_WAKE_SPACING_MS = 500;
export const RELAY_FOLLOW_UP_MS = 1_000;

/** `retry`: the endpoint may still take it later; the others end the delivery. */
export type AttemptOutcome = 'delivered' | 'retry' | 'refused' | 'endpoint_deleted';

/** Backoff between attempts (APP_EVENT_RETRY_INITIAL_SECONDS, APP_EVENT_RETRY_MAX_SECONDS). */
export interface RetryPolicy {
  initialMs: number;
  maximumMs: number;
}

/** What the relay keeps on a pending delivery to schedule its next attempt. */
export interface RelaySchedule {
  nextAttemptAt: Date;
  /** The wait after the next failed attempt: doubles up to the policy's maximum. */
  retryWaitMs: number;
  giveUpAt: Date;
}

/** A new delivery (or one an admin asked to send again): due now, with a full 72 hours. */
export function freshSchedule(now: Date, retry: RetryPolicy): RelaySchedule {
  return {
    nextAttemptAt: now,
    retryWaitMs: retry.initialMs,
    giveUpAt: new Date(now.getTime() + GIVE_UP_AFTER_MS),
  };
}

export type AfterAttempt =
  | { status: 'delivered' }
  | { status: 'failed' }
  | { status: 'pending'; nextAttemptAt: Date; retryWaitMs: number };

/** What becomes of a delivery after an attempt at `now` ended with `outcome`. */
export function afterAttempt(
  outcome: AttemptOutcome,
  schedule: Pick<RelaySchedule, 'retryWaitMs' | 'giveUpAt'>,
  now: Date,
  retry: RetryPolicy,
): AfterAttempt {
  if (outcome === 'delivered') return { status: 'delivered' };
  if (outcome !== 'retry') return { status: 'failed' };
  const next = now.getTime() + schedule.retryWaitMs;
  if (next > schedule.giveUpAt.getTime()) return { status: 'failed' };
  return {
    status: 'pending',
    nextAttemptAt: new Date(next),
    retryWaitMs: Math.min(schedule.retryWaitMs * 2, retry.maximumMs),
  };
}

/**
 * The deliveries of one round in lanes, one per order, each in the order's sequence: lanes
 * run side by side, a lane's deliveries one after another, so an app hears of an order's
 * changes in the order they happened whenever the endpoint answers at once.
 */
export function lanesByOrder<D extends { orderId: string; sequence: number }>(
  deliveries: readonly D[],
): D[][] {
  const lanes = new Map<string, D[]>();
  for (const delivery of deliveries) {
    const lane = lanes.get(delivery.orderId);
    if (lane) lane.push(delivery);
    else lanes.set(delivery.orderId, [delivery]);
  }
  return [...lanes.values()].map((lane) => lane.sort((a, b) => a.sequence - b.sequence));
}

/** When the relay should run its next round, in epoch ms (undefined: nothing is pending). */
export function nextRoundAt(pendingTimes: readonly Date[]): number | undefined {
  if (pendingTimes.length === 0) return undefined;
  return Math.min(...pendingTimes.map((at) => at.getTime()));
}
