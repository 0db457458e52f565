// One change feed per API process: which orders were published anew, so that requests waiting
// for an order to change (long polls) wake without each holding a query or a connection.
//
// FerretDB 1.x has no change streams, and its tailable cursors re-run their whole query every
// 10 ms while they wait, so the feed polls instead: every `intervalMs`, while anyone watches,
// it asks `order_publications` for the publications stored in each of the last few seconds
// (`createdSecond`, an equality FerretDB answers from an index whatever the collection's size;
// it pushes down no range filter), a handful of queries for all watchers together, and tells
// each watched order's listeners the revisions it has not told before. The lookback covers a
// publication whose insert lands a little after the second it was stamped with, and clocks a
// little apart; one later than that wakes nobody, and its waiters answer at their timeout with
// the order as it then is. Nobody watching, nothing is asked.

import type { Logger } from './logger';
import type { Models } from './db';
import { unixSecond } from './models/order-publication';

export type RevisionListener = (revision: number) => void;

export interface OrderChangeFeed {
  /** Calls `listener` with the revision of each publication of `orderId` seen from now on. */
  watch(orderId: string, listener: RevisionListener): () => void;
  /**
   * Whether the feed has asked about every second from `since` to the last one without a gap
   * or a failure, so that a watched order it told nothing about has had no publication since
   * (one stored later than its lookback aside).
   */
  heardAllSince(since: Date): boolean;
  /** Stops polling for good. */
  stop(): void;
}

export interface OrderChangeFeedOptions {
  /** How often it asks while anyone watches. */
  intervalMs?: number;
  /** How many seconds before the current one it asks about too. */
  lookbackSeconds?: number;
}

/** Logs a failing poll at most this often (the database being down fails every poll). */
const FAILURE_LOG_INTERVAL_MS = 30_000;

export function createOrderChangeFeed(
  models: Pick<Models, 'OrderPublication'>,
  logger: Logger,
  { intervalMs = 200, lookbackSeconds = 3 }: OrderChangeFeedOptions = {},
): OrderChangeFeed {
  const listeners = new Map<string, Set<RevisionListener>>();
  /** Publication ids already told, by the second they were stored in (pruned past the lookback). */
  const told = new Map<number, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastFailureLoggedAt = 0;
  /** The seconds asked about without a gap: from `heard.from` to `heard.to`, or none yet. */
  let heard: { from: number; to: number } | undefined;

  const schedule = () => {
    if (timer || stopped || listeners.size === 0) return;
    // Unref: the HTTP server, not the feed, keeps the process alive.
    timer = setTimeout(() => void tick(), intervalMs).unref();
  };

  async function tick() {
    try {
      await poll();
    } catch (error) {
      heard = undefined;
      if (Date.now() - lastFailureLoggedAt > FAILURE_LOG_INTERVAL_MS) {
        lastFailureLoggedAt = Date.now();
        logger.warn(
          { err: error },
          'order change feed: poll failed; waits answer at their timeout',
        );
      }
    } finally {
      timer = undefined;
      schedule();
    }
  }

  async function poll() {
    const now = unixSecond(new Date());
    for (const second of told.keys()) if (second < now - lookbackSeconds) told.delete(second);
    const seconds = Array.from({ length: lookbackSeconds + 1 }, (_, i) => now - i);
    const batches = await Promise.all(
      seconds.map((createdSecond) =>
        models.OrderPublication.find(
          { createdSecond },
          { _id: 1, orderId: 1, 'snapshot.revision': 1, createdSecond: 1 },
        ).lean(),
      ),
    );
    // A poll whose window does not reach back to the previous one's leaves a gap.
    const from = now - lookbackSeconds;
    heard = heard && from <= heard.to + 1 ? { from: heard.from, to: now } : { from, to: now };
    for (const publication of batches.flat()) {
      let ids = told.get(publication.createdSecond);
      if (!ids) told.set(publication.createdSecond, (ids = new Set()));
      if (ids.has(publication._id)) continue;
      ids.add(publication._id);
      for (const listener of listeners.get(publication.orderId) ?? [])
        listener(publication.snapshot.revision);
    }
  }

  return {
    watch(orderId, listener) {
      let forOrder = listeners.get(orderId);
      if (!forOrder) listeners.set(orderId, (forOrder = new Set()));
      forOrder.add(listener);
      schedule();
      return () => {
        forOrder.delete(listener);
        if (forOrder.size === 0 && listeners.get(orderId) === forOrder) listeners.delete(orderId);
      };
    },
    heardAllSince(since) {
      const now = unixSecond(new Date());
      // The last poll must be recent too: one second covers a poll in flight.
      return heard !== undefined && heard.from <= unixSecond(since) && heard.to >= now - 1;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
