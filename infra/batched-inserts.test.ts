// How a failed batch is counted (infra/batched-inserts.ts), with a stand-in model whose insert
// fails as the MongoDB driver's does: the driver's errors are hard to provoke on demand against
// a real server (test/batched-inserts.e2e.test.ts covers the rest there).

import type { Model } from 'mongoose';
import { createBatchedInserts } from './batched-inserts';

interface Entry {
  _id: string;
}

/** A model that validates everything and whose insertMany fails with `error`. */
function failingModel(error: unknown) {
  return {
    validate: (record: Entry) => Promise.resolve(record),
    collection: { insertMany: () => Promise.reject(error) },
  } as unknown as Model<Entry>;
}

/** An error shaped as the driver's MongoBulkWriteError. */
const bulkWriteError = (insertedCount: number, codes: number[]) =>
  Object.assign(new Error('bulk write failed'), {
    insertedCount,
    writeErrors: codes.map((code) => ({ code })),
  });

async function reportedAfter(error: unknown, records: number) {
  const reports: number[] = [];
  const inserts = createBatchedInserts(failingModel(error), {
    windowMs: 60_000,
    maxBatch: 100,
    onError: (_error, count) => reports.push(count),
  });
  for (let n = 0; n < records; n++) inserts.add({ _id: `r${n}` });
  await inserts.flush();
  return reports;
}

it('reports the whole batch when the connection failed under a bulk write (no write errors)', async () => {
  expect(await reportedAfter(bulkWriteError(0, []), 3)).toEqual([3]);
});

it('reports only what neither went in nor was already there', async () => {
  // Of four: one inserted, two duplicates, one refused.
  expect(await reportedAfter(bulkWriteError(1, [11000, 11000, 121]), 4)).toEqual([1]);
});

it('reports nothing when the only failures are duplicates', async () => {
  expect(await reportedAfter(bulkWriteError(2, [11000]), 3)).toEqual([]);
});

it('reports the batch for any other error', async () => {
  expect(await reportedAfter(new Error('topology closed'), 2)).toEqual([2]);
});

it('keeps writing later batches after a reporter threw', async () => {
  let calls = 0;
  const inserts = createBatchedInserts(failingModel(new Error('down')), {
    windowMs: 60_000,
    maxBatch: 100,
    onError: () => {
      calls += 1;
      throw new Error('the reporter failed');
    },
  });
  inserts.add({ _id: 'a' });
  await inserts.flush();
  inserts.add({ _id: 'b' });
  await expect(inserts.flush()).resolves.toBeUndefined();
  expect(calls).toBe(2);
});
