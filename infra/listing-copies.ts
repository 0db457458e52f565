// The order listing (`orders`): a copy of each order's latest publication, which listings and
// support search query (infra/read-model.ts keeps reads by id exact without it).
//
// A worker writes the copies a moment after their publications, gathered across orders: the
// newest queued copy of each order, one bulk replace (and one insert for new orders) per
// window. A busy worker sends two commands per window instead of one per publication, and an
// order that moved twice within the window is copied once. The listing is a second behind at
// most; a copy lost with its process, or overwritten by a stale write on FerretDB, is rewritten
// from the publications by the repair sweep (infra/listing-repair.ts).

import type { mongo } from 'mongoose';
import type { OrderSnapshot } from '../domain/order';
import { onlyDuplicateKeyErrors } from './duplicate-key';
import type { Models } from './db';
import { unixMinute } from './models/order-publication';

/** An order's snapshot for the listing, with the number of the publication it copies. */
export interface ListingCopy {
  snapshot: OrderSnapshot;
  /** Absent for runs that published before publications were numbered. */
  publication?: number;
  /**
   * Whether the order may have no copy yet (then it is inserted as well); unless said, it may.
   * A worker knows: only its first publication's copy, or one queued in its place, is new.
   */
  mayBeNew?: boolean;
}

type ListingModels = Pick<Models, 'Order'>;

/**
 * Whether `copy` is newer than `held`: by publication number when both have one, as a read by
 * id orders them. A lost try of a workflow task can publish a higher revision than the run
 * that outlives it ever reaches, under a lower number (docs/RELIABILITY.md, findings C and F);
 * the higher number is the order's truth. Copies of runs from before numbering go by revision.
 */
function isNewerCopy(copy: ListingCopy, held: ListingCopy): boolean {
  if (copy.publication !== undefined && held.publication !== undefined)
    return copy.publication >= held.publication;
  return copy.snapshot.revision >= held.snapshot.revision;
}

/** The stored copies `copy` may replace: older publications (and unnumbered copies), else older revisions. */
function olderThan(copy: ListingCopy): Record<string, unknown> {
  return copy.publication !== undefined
    ? {
        $or: [{ publication: { $lt: copy.publication } }, { publication: { $exists: false } }],
      }
    : { revision: { $lt: copy.snapshot.revision } };
}

/**
 * Writes `copies`, each only over an older copy of its order (a newer copy stands): one
 * bulk replace of the copies that exist and one insert of those that may not, at once. An
 * upsert would do both in one command, but FerretDB ends a bulk update at its first error and
 * an upsert that loses to a newer copy is one. Answers the error that kept some copies out, if
 * any; writing them all again is harmless.
 */
export async function writeListingCopies(
  models: ListingModels,
  copies: readonly ListingCopy[],
  now: Date = new Date(),
): Promise<{ error?: unknown }> {
  if (copies.length === 0) return {};
  // The minute it was written in: the repair sweep finds recent copies by it.
  const listedMinute = unixMinute(now);
  const documents = copies.map(({ snapshot, publication }) => ({
    _id: snapshot.orderId,
    ...snapshot,
    ...(publication !== undefined ? { publication } : {}),
    listedMinute,
  }));
  // The driver's own types take every `_id` for an ObjectId; ours are strings.
  const replaces = documents.map((document, index): mongo.AnyBulkWriteOperation => ({
    replaceOne: {
      filter: { _id: document._id as never, ...olderThan(copies[index]!) },
      replacement: document,
    },
  }));
  const inserts = documents.filter((_document, index) => copies[index]!.mayBeNew !== false);
  const [replaced, inserted] = await Promise.allSettled([
    models.Order.collection.bulkWrite(replaces, { ordered: false }),
    inserts.length > 0 &&
      models.Order.collection.insertMany(inserts as never[], { ordered: false }),
  ]);
  if (replaced.status === 'rejected') return { error: replaced.reason };
  if (inserted.status === 'rejected' && !onlyDuplicateKeyErrors(inserted.reason))
    return { error: inserted.reason };
  return {};
}

export interface ListingCopies {
  /** Queues the copy; an older queued copy of the same order is dropped. */
  queue(copy: ListingCopy): void;
  /** Writes what is queued now; resolves when written (what failed is queued again). */
  flush(): Promise<void>;
}

export interface ListingCopiesOptions {
  /** How long the first queued copy waits for others before the batch is written. */
  windowMs: number;
  /** A batch of this many orders is written at once. */
  maxBatch: number;
  /** A write that failed (its copies are queued again), with how many copies it held. */
  onError(error: unknown, copies: number): void;
}

export function createListingCopies(
  models: ListingModels,
  { windowMs, maxBatch, onError }: ListingCopiesOptions,
): ListingCopies {
  let queued = new Map<string, ListingCopy>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const keepNewest = (copy: ListingCopy) => {
    const held = queued.get(copy.snapshot.orderId);
    const newest = !held || isNewerCopy(copy, held) ? copy : held;
    // The order's first copy may be one this replaces: then the newest is inserted in its place.
    const mayBeNew = held?.mayBeNew === true || copy.mayBeNew === true;
    queued.set(copy.snapshot.orderId, { ...newest, mayBeNew });
  };

  const schedule = () => {
    if (queued.size >= maxBatch) void flush();
    else if (!timer && queued.size > 0) {
      timer = setTimeout(() => void flush(), windowMs);
      // Queued copies do not keep the process alive; shutdown flushes them.
      timer.unref();
    }
  };

  // The batches' chain must never reject: a failing reporter would stop every later batch.
  const report = (error: unknown, copies: number) => {
    try {
      onError(error, copies);
    } catch {
      // Nothing else to tell.
    }
  };

  const write = async (batch: ListingCopy[]) => {
    const { error } = await writeListingCopies(models, batch);
    if (!error) return;
    report(error, batch.length);
    // Tried again with the next window, unless a newer copy of the order came meanwhile.
    for (const copy of batch) keepNewest(copy);
    schedule();
  };

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = [...queued.values()];
    queued = new Map();
    // One batch at a time, in order: a newer copy is never overtaken by an older batch.
    writing = writing
      .then(() => (batch.length > 0 ? write(batch) : undefined))
      .catch((error: unknown) => report(error, batch.length));
    return writing;
  }

  return {
    queue(copy) {
      keepNewest({ ...copy, mayBeNew: (copy.publication ?? 1) <= 1 });
      schedule();
    },
    flush,
  };
}
