// Mending the order listing from the publications: a copy queued by a worker that died before
// writing it, or overwritten by a stale write on FerretDB, would otherwise leave the order
// listed as it was until its next publication (infra/listing-copies.ts); reads by id follow
// the publications but write nothing.
//
// Publications carry the second they were stored in, copies the minute they were written in;
// both are equalities FerretDB answers from an index (it pushes down no range or `$in`). For the
// minutes swept, every order's newest publication is compared with the copies written since
// the first of those minutes (a publication's copy, or a newer one, is written after it). An
// order with no such copy is copied again from that publication, over an older copy only.
//
// The sweep reads every publication of its minutes, about half a millisecond of the database's
// CPU each on FerretDB, so it is paced and shared: one second's publications at a time, one
// query after another (FerretDB runs on one core, and a minute's read in one query held every
// checkout's insert behind it for up to half a second, once a minute), and each settled minute
// is swept by the first worker to reach it, which records it (infra/models/listing-sweep.ts).
// Two workers reaching a minute at the same moment both sweep it, harmlessly.

import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from './logger';
import type { Models } from './db';
import { writeListingCopies } from './listing-copies';
import { isDuplicateKeyError } from './duplicate-key';
import { insertValidated } from './insert-validated';
import { publicationId, unixMinute } from './models/order-publication';

type RepairModels = Pick<Models, 'Order' | 'OrderPublication'>;
type SweepModels = RepairModels & Pick<Models, 'ListingSweep'>;

/** The sweep's reads carry this `comment`: what an order costs the database is counted without them. */
export const LISTING_REPAIR_COMMENT = 'listing-repair';

const minutesFrom = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/**
 * Each order's newest publication stored in minutes `from`…`to`, read one second's
 * publications at a time, one query after another.
 */
async function newestPublications(
  models: RepairModels,
  { from, to }: { from: number; to: number },
  pause: () => Promise<void>,
): Promise<Map<string, number>> {
  const newest = new Map<string, number>();
  for (const minute of minutesFrom(from, to)) {
    await pause();
    // A minute with no publication (a quiet one, or one the first sweep looks back to) costs
    // one read, not sixty.
    const published = models.OrderPublication.exists({ createdMinute: minute });
    if (!(await published.comment(LISTING_REPAIR_COMMENT))) continue;
    for (let second = minute * 60; second < (minute + 1) * 60; second++) {
      await pause();
      const inSecond = await models.OrderPublication.find(
        { createdSecond: second },
        { orderId: 1, publication: 1 },
      )
        .comment(LISTING_REPAIR_COMMENT)
        .lean();
      for (const { orderId, publication } of inSecond)
        newest.set(orderId, Math.max(newest.get(orderId) ?? 0, publication));
    }
  }
  return newest;
}

export interface RepairOptions {
  /** The time the sweep runs at (copies written are dated with it). */
  now?: Date;
  /** How many behind orders' publications are read, and their copies written, at once. */
  batchSize?: number;
  /** Awaited between two reads: the workers' sweep spaces its reads out with it. */
  pause?: () => Promise<void>;
}

/**
 * Rewrites the copy of every order whose newest publication stored in minutes `from`…`to`
 * (Unix minutes) has no copy as new written since. Answers how many orders it looked at and
 * how many it copied again.
 */
export async function repairListing(
  models: RepairModels,
  { from, to }: { from: number; to: number },
  { now = new Date(), batchSize = 100, pause = async () => undefined }: RepairOptions = {},
): Promise<{ orders: number; repaired: number }> {
  const newest = await newestPublications(models, { from, to }, pause);
  if (newest.size === 0) return { orders: 0, repaired: 0 };

  const copied = new Map<string, number>();
  for (const listedMinute of minutesFrom(from, unixMinute(now))) {
    await pause();
    const listed = await models.Order.find({ listedMinute }, { publication: 1 })
      .comment(LISTING_REPAIR_COMMENT)
      .lean<{ _id: string; publication?: number }[]>();
    for (const { _id, publication = 0 } of listed)
      copied.set(_id, Math.max(copied.get(_id) ?? 0, publication));
  }

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
  /**
   * The pause between two of a sweep's reads: a minute's 60-odd reads spread over about
   * 60 × this, instead of keeping the database busy until they are done.
   */
  readPauseMs?: number;
  clock?: () => Date;
}

/** Ends a sweep paused between two reads when its worker stops. */
class SweepStopped extends Error {}

/** Minutes swept stay recorded this long past the lookback, then the sweep deletes them. */
const SWEEPS_KEPT_MINUTES = 60;

/**
 * Sweeps every `everyMs` the minutes settled since the last sweep that worked, the first time
 * back `lookbackMinutes`, skipping those another worker has swept. Returns `stop`, which
 * resolves once the sweep under way has stopped at its next read (a minute left half swept is
 * not recorded, and is swept again).
 */
export function startListingRepairs(
  models: SweepModels,
  logger: Logger,
  {
    everyMs = 60_000,
    settleMinutes = 2,
    lookbackMinutes = 15,
    readPauseMs = 250,
    clock = () => new Date(),
  }: ListingRepairsOptions = {},
): () => Promise<void> {
  // A minute still filling must not be recorded as swept.
  const settle = Math.max(1, settleMinutes);
  let sweptThrough: number | undefined;
  let sweeping: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const pause = async () => {
    if (readPauseMs > 0 && !stopped) await delay(readPauseMs, undefined, { ref: false });
    if (stopped) throw new SweepStopped();
  };

  const sweepMinute = async (minute: number) => {
    if (await models.ListingSweep.exists({ _id: minute }).comment(LISTING_REPAIR_COMMENT)) return;
    // Read now, not when the sweep began: a paced sweep through many minutes takes minutes.
    const now = clock();
    const { orders, repaired } = await repairListing(
      models,
      { from: minute, to: minute },
      { now, pause },
    );
    if (repaired > 0) logger.warn({ orders, repaired, minute }, 'listing copies repaired');
    try {
      await insertValidated(models.ListingSweep, { _id: minute, sweptAt: now });
    } catch (error) {
      // Another worker swept it at the same moment.
      if (!isDuplicateKeyError(error)) throw error;
    }
    if (minute % SWEEPS_KEPT_MINUTES === 0) {
      await models.ListingSweep.deleteMany({
        _id: { $lt: minute - lookbackMinutes - SWEEPS_KEPT_MINUTES },
      });
    }
  };

  const sweep = async () => {
    const to = unixMinute(clock()) - settle;
    const from = Math.max((sweptThrough ?? -Infinity) + 1, to - lookbackMinutes + 1);
    for (let minute = from; minute <= to && !stopped; minute++) {
      try {
        await sweepMinute(minute);
        sweptThrough = minute;
      } catch (error) {
        // The next sweep starts again at this minute.
        if (error instanceof SweepStopped) return;
        logger.warn({ err: error, minute }, 'listing repair sweep failed');
        return;
      }
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
