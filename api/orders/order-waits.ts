// Long polls of the app's order page (`GET /v1/orders/:id?afterRevision=N&wait=S`): the answer
// comes once the order's revision passes N, or after S seconds with the order as it is. A
// waiting request holds no database connection and no worker while nothing changes: only a
// listener on the process's change feed (infra/order-change-feed.ts) and a timer. A change of
// its order wakes it to read the order again, by id; a wait that runs out unchanged (or is
// answered at shutdown) reads it again only when the feed cannot vouch that nothing changed.

import type { OrderSnapshot } from '../../domain/order';
import type { OrderChangeFeed } from '../../infra/order-change-feed';

export interface OrderWaits {
  /** Requests waiting now (the `orderflow_order_waits` gauge). */
  readonly open: number;
  /**
   * The order as `read` gives it once its revision is above `afterRevision`, or after `waitMs`
   * (or at shutdown) as it is then; undefined when `abandoned` fires first (the client left).
   * `read` is called at once too (an order already past `afterRevision` answers at once), and
   * its errors (the app's 404) end the wait. At the end the order is read again unless the feed
   * heard every second since the wait began (then it is as first read).
   */
  untilRevisionAbove(
    orderId: string,
    afterRevision: number,
    waitMs: number,
    read: () => Promise<OrderSnapshot>,
    abandoned: AbortSignal,
  ): Promise<OrderSnapshot | undefined>;
  /** Answers every wait now, and every later one at once: the server is shutting down. */
  answerAll(): void;
}

/** A wake-up call that is kept when nobody is listening yet. */
function createNudge() {
  let pending = false;
  let wake: (() => void) | undefined;
  return {
    fire() {
      if (wake) {
        const woken = wake;
        wake = undefined;
        woken();
      } else pending = true;
    },
    next(): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => (wake = resolve));
    },
  };
}

export function createOrderWaits(feed: OrderChangeFeed): OrderWaits {
  const waiting = new Set<() => void>();
  let answeringAll = false;

  return {
    get open() {
      return waiting.size;
    },
    async untilRevisionAbove(orderId, afterRevision, waitMs, read, abandoned) {
      if (abandoned.aborted) return undefined;
      const nudge = createNudge();
      let timedOut = false;
      let changed = false;
      // Registered before the first read: a change stored after that read reaches the feed
      // later, so it is not missed between the two.
      const unwatch = feed.watch(orderId, (revision) => {
        if (revision <= afterRevision) return;
        changed = true;
        nudge.fire();
      });
      const timer = setTimeout(() => {
        timedOut = true;
        nudge.fire();
      }, waitMs);
      abandoned.addEventListener('abort', nudge.fire);
      waiting.add(nudge.fire);
      const startedAt = new Date(Date.now() - 1_000);
      try {
        let order = await read();
        for (;;) {
          if (order.revision > afterRevision) return order;
          if (timedOut || answeringAll) {
            // Unchanged, as far as the feed can tell: no read needed (a few thousand waits
            // running out, or answered at shutdown, cost the database nothing).
            return feed.heardAllSince(startedAt) ? order : await read();
          }
          await nudge.next();
          if (abandoned.aborted) return undefined;
          if (changed) {
            changed = false;
            order = await read();
          }
        }
      } finally {
        waiting.delete(nudge.fire);
        unwatch();
        clearTimeout(timer);
        abandoned.removeEventListener('abort', nudge.fire);
      }
    },
    answerAll() {
      answeringAll = true;
      for (const wake of waiting) wake();
    },
  };
}
