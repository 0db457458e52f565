// Admission control for checkout. An API that takes every call while its dependencies fall
// behind makes every caller wait up to CHECKOUT_WAIT_SECONDS, answers "try again" late, and
// the retries pile on (measured: an overloaded run went from ~40 to 110 database commands an
// order). Beyond a limit of checkouts in flight this process answers at once
// `503 server_busy` with `Retry-After`, before it reads or writes anything: nothing is charged,
// the Idempotency-Key stays free, and the checkouts already admitted keep their pace.
//
// The limit adapts (additive increase, multiplicative decrease, as TCP's congestion window):
// each checkout answered within the latency target lets it grow by 1/limit, a slower one
// shrinks it by the ratio of the target to its latency (by a tenth to a half), between a floor
// and CHECKOUT_MAX_IN_FLIGHT; it starts at a quarter of the maximum. Like TCP, it shrinks once
// per round: checkouts admitted before the last cut say nothing new about the cut limit (a
// backlog draining would otherwise cut it to the floor in one burst). By Little's law the
// checkouts in flight divided by the rate served is the time each one waits, so holding the
// latency near the target holds the queue to what the machine serves in that time.
//
// An outage is not an overload. While a dependency is down (a checkout fails because the
// database did not answer, say) slow checkouts still cut the limit, so few callers wait
// on it; but the machine has lost no capacity, so once a checkout is answered in time again
// the limit climbs back as TCP's slow start does, by one per checkout answered in time
// (doubling each round), to the limit checkouts were last answered in time at before the
// outage, and only then by 1/limit. Additive increase alone needed over a hundred fast answers
// to climb from the floor of 4 back to 16 while a limit of 4 admits few (measured: the limit
// not back within 30 s of a 15 s database outage; docs/RELIABILITY.md, finding 8). Two kinds of
// answers say nothing about capacity and are not counted: a failure because a dependency was
// down, when it comes fast (it must not grow the limit during the outage), and a slow answer
// of a checkout that began before the outage was over (it measured the outage). A slow answer
// of a checkout begun after it is overload again: it cuts, and ends the slow start.

import { ApiError } from './errors';

export interface AdmissionOptions<T = unknown> {
  /** The most checkouts in flight, however fast they are answered. */
  maxInFlight: number;
  /** The fewest the limit shrinks to. */
  minInFlight: number;
  /** Where the limit starts; a quarter of the maximum unless said. */
  initialInFlight?: number;
  /** A checkout answered slower than this counts as a sign of overload. */
  targetLatencyMs: number;
  retryAfterSeconds: number;
  /** Whether a checkout's outcome says a dependency was down (none is, unless said). */
  dependencyWasDown?: (outcome: PromiseSettledResult<T>) => boolean;
  onShed?: () => void;
  now?: () => number;
}

export interface Admission<T = unknown> {
  /** Runs `work` if fewer than the limit are in flight; otherwise refuses at once. */
  admit(work: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
  readonly limit: number;
}

export function createAdmission<T = unknown>(options: AdmissionOptions<T>): Admission<T> {
  const now = options.now ?? (() => performance.now());
  const dependencyWasDown = options.dependencyWasDown ?? (() => false);
  const floor = Math.min(options.minInFlight, options.maxInFlight);
  // Starts at a quarter of the maximum: a process that has just started under a surge must not
  // admit the whole maximum before it knows how fast checkouts are answered.
  let limit = Math.min(
    options.maxInFlight,
    Math.max(floor, options.initialInFlight ?? options.maxInFlight / 4),
  );
  let inFlight = 0;
  let lastCutAt = -Infinity;
  /** The limit at which a checkout was last answered in time. */
  let goodLimit = limit;
  /** While a dependency is down: the limit to climb back to once it is back. */
  let outage: { recoverTo: number } | undefined;
  /** When the last outage was over (its first checkout answered in time). */
  let recoveredAt = -Infinity;
  /** While climbing back after an outage: the limit slow start ends at. */
  let slowStartTo: number | undefined;

  const cut = (startedAt: number, answeredAt: number) => {
    if (startedAt < lastCutAt) return;
    const ratio = options.targetLatencyMs / (answeredAt - startedAt);
    limit = Math.max(floor, limit * Math.min(0.9, Math.max(0.5, ratio)));
    lastCutAt = answeredAt;
  };

  const grow = (answeredAt: number) => {
    if (outage) {
      slowStartTo = outage.recoverTo;
      outage = undefined;
      recoveredAt = answeredAt;
    }
    if (slowStartTo !== undefined && limit < slowStartTo) {
      limit = Math.min(slowStartTo, limit + 1);
    } else {
      slowStartTo = undefined;
      limit = Math.min(options.maxInFlight, limit + 1 / limit);
    }
    goodLimit = limit;
  };

  const answered = (startedAt: number, answeredAt: number, outcome: PromiseSettledResult<T>) => {
    const slow = answeredAt - startedAt > options.targetLatencyMs;
    if (dependencyWasDown(outcome)) {
      // A second outage during the climb back still returns to the limit before the first.
      outage ??= { recoverTo: Math.max(goodLimit, slowStartTo ?? 0) };
      if (slow) cut(startedAt, answeredAt);
    } else if (!slow) {
      grow(answeredAt);
    } else if (outage || startedAt >= recoveredAt) {
      cut(startedAt, answeredAt);
      if (!outage) slowStartTo = undefined;
    }
  };

  return {
    get inFlight() {
      return inFlight;
    },
    get limit() {
      return limit;
    },
    async admit(work) {
      if (inFlight >= Math.floor(limit)) {
        options.onShed?.();
        throw new ApiError(
          503,
          'server_busy',
          'too many checkouts in progress; nothing was charged, retry shortly with the same Idempotency-Key',
          undefined,
          { 'Retry-After': String(options.retryAfterSeconds) },
        );
      }
      inFlight += 1;
      const startedAt = now();
      let outcome: PromiseSettledResult<T>;
      try {
        outcome = { status: 'fulfilled', value: await work() };
      } catch (reason) {
        outcome = { status: 'rejected', reason };
      }
      inFlight -= 1;
      answered(startedAt, now(), outcome);
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    },
  };
}
