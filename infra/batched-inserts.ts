// Inserts for records that may land a moment late, written after the answer they describe was
// sent (the provider callback log): gathered for a short while and written with one
// `insertMany` however many came, instead of one command each. A busy API sends one insert per
// window; a quiet one the same single insert, later.
//
// Only for records a caller does not wait on and can lose with a crashed process: anything the
// order's correctness or money depends on is written before its answer, one record at a time.

import type { Model } from 'mongoose';
import { isDuplicateKeyError } from './duplicate-key';

export interface BatchedInserts<T> {
  /** Queues `record`; it is validated against the model's schema and inserted with the batch. */
  add(record: T): void;
  /** Writes what is queued now; resolves when it is stored (or its failure reported). */
  flush(): Promise<void>;
}

export interface BatchedInsertsOptions {
  /** How long the first queued record waits for others before the batch is written. */
  windowMs: number;
  /** A batch this large is written at once. */
  maxBatch: number;
  /** Records that failed validation or the insert (duplicates excepted), with the reason. */
  onError(error: unknown, records: number): void;
}

export function createBatchedInserts<T>(
  model: Model<T>,
  { windowMs, maxBatch, onError }: BatchedInsertsOptions,
): BatchedInserts<T> {
  let queued: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  // The batches' chain must never reject: a failing reporter would fail every later batch.
  const report = (error: unknown, records: number) => {
    try {
      onError(error, records);
    } catch {
      // Nothing else to tell.
    }
  };

  const write = async (records: T[]) => {
    // Validated here rather than on add: one invalid record is reported, the rest still go in.
    const checked = await Promise.allSettled(records.map((record) => model.validate(record)));
    const valid = checked.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value as T] : [],
    );
    const invalid = checked.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (invalid.length > 0) report(invalid[0], invalid.length);
    if (valid.length === 0) return;
    try {
      // Unordered: a duplicate (a record queued twice) does not keep the others out.
      await model.collection.insertMany(
        valid as Parameters<Model<T>['collection']['insertMany']>[0],
        { ordered: false },
      );
    } catch (error) {
      // A bulk write error says how many went in and which failed; a duplicate is not lost. The
      // driver reports a lost connection the same way, with no write errors and none inserted.
      const { insertedCount = 0, writeErrors = [] } = error as {
        insertedCount?: number;
        writeErrors?: unknown[];
      };
      const duplicates = writeErrors.filter(isDuplicateKeyError).length;
      const lost = valid.length - insertedCount - duplicates;
      if (lost > 0) report(error, lost);
    }
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = queued;
    queued = [];
    // One batch at a time, in order: a flush waits for the ones before it.
    const previous = writing;
    writing = previous
      .then(() => (batch.length > 0 ? write(batch) : undefined))
      .catch((error: unknown) => report(error, batch.length));
    return writing;
  };

  return {
    add(record) {
      queued.push(record);
      if (queued.length >= maxBatch) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), windowMs);
        // A pending batch does not keep the process alive; shutdown flushes it.
        timer.unref();
      }
    },
    flush,
  };
}
