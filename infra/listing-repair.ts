// Mending the order listing from the publications: a copy queued by a worker that died before
// writing it, or overwritten by a stale write on FerretDB, would otherwise leave the order
// listed as it was until its next publication (infra/listing-copies.ts); reads by id follow
// the publications but write nothing.
//
// Publications carry the minute they were stored in, copies the minute they were written in;
// both are equalities FerretDB answers from an index. For the minutes swept, every order's
// newest publication is compared with the copies written since the first of those minutes (a
// publication's copy, or a newer one, is written after it). An order with no such copy is
// copied again from that publication, over an older copy only. Each worker sweeps the
// minutes that have settled, a handful of queries a minute however many orders there were.

import type { Logger } from './logger';
import type { Models } from './db';
import { writeListingCopies } from './listing-copies';
import { publicationId, unixMinute } from './models/order-publication';

type RepairModels = Pick<Models, 'Order' | 'OrderPublication'>;

const minutesFrom = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/**
 * Rewrites the copy of every order whose newest publication stored in minutes `from`…`to`
 * (Unix minutes) has no copy as new written since. Answers how many orders it looked at and
 * how many it copied again.
 */
export async function repairListing(
  models: RepairModels,
  { from, to }: { from: number; to: number },
  now: Date = new Date(),
  /** How many behind orders' publications are read, and their copies written, at once. */
  batchSize = 100,
): Promise<{ orders: number; repaired: number }> {
  const published = await Promise.all(
    minutesFrom(from, to).map((createdMinute) =>
      models.OrderPublication.find({ createdMinute }, { orderId: 1, publication: 1 }).lean(),
    ),
  );
  const newest = new Map<string, number>();
  for (const { orderId, publication } of published.flat())
    newest.set(orderId, Math.max(newest.get(orderId) ?? 0, publication));
  if (newest.size === 0) return { orders: 0, repaired: 0 };

  const listed = await Promise.all(
    minutesFrom(from, unixMinute(now)).map((listedMinute) =>
      models.Order.find({ listedMinute }, { publication: 1 }).lean<
        { _id: string; publication?: number }[]
      >(),
    ),
  );
  const copied = new Map<string, number>();
  for (const { _id, publication = 0 } of listed.flat())
    copied.set(_id, Math.max(copied.get(_id) ?? 0, publication));

  const behind = [...newest].filter(([orderId, number]) => (copied.get(orderId) ?? 0) < number);
  let repaired = 0;
  // A batch at a time: after a long outage the backlog may be every order of a quarter hour.
  for (let start = 0; start < behind.length; start += batchSize) {
    const publications = await Promise.all(
      behind
        .slice(start, start + batchSize)
        .map(([orderId, number]) =>
          models.OrderPublication.findById(publicationId(orderId, number)).lean(),
        ),
    );
    const copies = publications.flatMap((found) =>
      found ? [{ snapshot: found.snapshot, publication: found.publication }] : [],
    );
    const { error } = await writeListingCopies(models, copies, now);
    if (error) throw error;
    repaired += copies.length;
  }
  return { orders: newest.size, repaired };
}

export interface ListingRepairsOptions {
  /** How often it sweeps. */
  everyMs?: number;
  /** Minutes a publication's copy is given before a sweep looks for it. */
  settleMinutes?: number;
  /** How far back the first sweep reaches (a worker restarted after a crash mends its copies). */
  lookbackMinutes?: number;
}

/**
 * Sweeps every `everyMs` the minutes settled since the last sweep that worked, the first time
 * back `lookbackMinutes`. Returns `stop`, which resolves once a sweep under way has ended.
 */
export function startListingRepairs(
  models: RepairModels,
  logger: Logger,
  { everyMs = 60_000, settleMinutes = 2, lookbackMinutes = 15 }: ListingRepairsOptions = {},
): () => Promise<void> {
  let sweptThrough: number | undefined;
  let sweeping: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const sweep = async () => {
    const now = new Date();
    const to = unixMinute(now) - settleMinutes;
    const from = Math.max((sweptThrough ?? -Infinity) + 1, to - lookbackMinutes + 1);
    if (from > to) return;
    try {
      const { orders, repaired } = await repairListing(models, { from, to }, now);
      sweptThrough = to;
      if (repaired > 0) logger.warn({ orders, repaired, from, to }, 'listing copies repaired');
    } catch (error) {
      // The next sweep covers these minutes again.
      logger.warn({ err: error, from, to }, 'listing repair sweep failed');
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      sweeping = sweep().finally(schedule);
    }, everyMs);
    // The worker, not its sweeps, keeps the process alive.
    timer.unref();
  };

  sweeping = sweep().finally(schedule);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await sweeping;
  };
}
