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

import { ApiError } from './errors';

export interface AdmissionOptions {
  /** The most checkouts in flight, however fast they are answered. */
  maxInFlight: number;
  /** The fewest the limit shrinks to. */
  minInFlight: number;
  /** Where the limit starts; a quarter of the maximum unless said. */
  initialInFlight?: number;
  /** A checkout answered slower than this counts as a sign of overload. */
  targetLatencyMs: number;
  retryAfterSeconds: number;
  onShed?: () => void;
  now?: () => number;
}

export interface Admission {
  /** Runs `work` if fewer than the limit are in flight; otherwise refuses at once. */
  admit<T>(work: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
  readonly limit: number;
}

export function createAdmission(options: AdmissionOptions): Admission {
  const now = options.now ?? (() => performance.now());
  const floor = Math.min(options.minInFlight, options.maxInFlight);
  // Starts at a quarter of the maximum: a process that has just started under a surge must not
  // admit the whole maximum before it knows how fast checkouts are answered.
  let limit = Math.min(
    options.maxInFlight,
    Math.max(floor, options.initialInFlight ?? options.maxInFlight / 4),
  );
  let inFlight = 0;
  let lastCutAt = -Infinity;

  const answered = (startedAt: number, answeredAt: number) => {
    if (answeredAt - startedAt <= options.targetLatencyMs) {
      limit = Math.min(options.maxInFlight, limit + 1 / limit);
    } else if (startedAt >= lastCutAt) {
      const ratio = options.targetLatencyMs / (answeredAt - startedAt);
      limit = Math.max(floor, limit * Math.min(0.9, Math.max(0.5, ratio)));
      lastCutAt = answeredAt;
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
      try {
        return await work();
      } finally {
        inFlight -= 1;
        answered(startedAt, now());
      }
    },
  };
}
