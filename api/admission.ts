// Admission control for checkout. An API that takes every call while its dependencies fall
// behind makes every caller wait up to CHECKOUT_WAIT_SECONDS, answers "try again" late, and
// the retries pile on (measured: an overloaded run went from ~40 to 110 database commands an
// order). Past a number of checkouts in flight this process answers at once
// `503 server_busy` with `Retry-After`, before it reads or writes anything: nothing is charged,
// the Idempotency-Key stays free, and the checkouts already admitted keep their pace.

import { ApiError } from './errors';

export interface Admission {
  /** Runs `work` if fewer than the limit are in flight; otherwise refuses at once. */
  admit<T>(work: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
}

export function createAdmission(options: {
  maxInFlight: number;
  retryAfterSeconds: number;
  onShed?: () => void;
}): Admission {
  let inFlight = 0;
  return {
    get inFlight() {
      return inFlight;
    },
    async admit(work) {
      if (inFlight >= options.maxInFlight) {
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
      try {
        return await work();
      } finally {
        inFlight -= 1;
      }
    },
  };
}
