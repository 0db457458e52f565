// What the listing writer (infra/listing-copies.ts) sends and tries again, with a stand-in
// collection whose writes answer as the MongoDB driver's do: their failures are hard to provoke
// on demand against a real server (test/order-listing.e2e.test.ts covers the rest).

import type { OrderSnapshot } from '../domain/order';
import type { Models } from './db';
import { createListingCopies, type ListingCopy } from './listing-copies';

type Operation = { replaceOne: { filter: { _id: string }; replacement: { revision: number } } };
type Written = { orderId: string; revision: number };

/**
 * A collection whose bulk replaces answer with the next of `replaceOutcomes` and inserts with
 * the next of `insertOutcomes` (then succeed), recording what each was sent.
 */
function collectionAnswering(replaceOutcomes: unknown[] = [], insertOutcomes: unknown[] = []) {
  const writes: Written[][] = [];
  const inserts: Written[][] = [];
  const answer = (outcomes: unknown[]) => {
    const outcome = outcomes.shift();
    return outcome ? Promise.reject(outcome) : Promise.resolve({});
  };
  const models = {
    Order: {
      collection: {
        bulkWrite: (operations: Operation[]) => {
          writes.push(
            operations.map(({ replaceOne }) => ({
              orderId: replaceOne.filter._id,
              revision: replaceOne.replacement.revision,
            })),
          );
          return answer(replaceOutcomes);
        },
        insertMany: (documents: { _id: string; revision: number }[]) => {
          inserts.push(documents.map(({ _id, revision }) => ({ orderId: _id, revision })));
          return answer(insertOutcomes);
        },
      },
    },
  } as unknown as Pick<Models, 'Order'>;
  return { models, writes, inserts };
}

const copy = (orderId: string, revision: number, publication = revision): ListingCopy => ({
  snapshot: { orderId, revision } as OrderSnapshot,
  publication,
});

/** An error shaped as the driver's MongoBulkWriteError (a write error per failed operation). */
const bulkWriteError = (failures: { index: number; code: number }[]) =>
  Object.assign(new Error('bulk write failed'), { writeErrors: failures });

function writer(models: Pick<Models, 'Order'>, reports: number[] = []) {
  return createListingCopies(models, {
    windowMs: 60_000,
    maxBatch: 3,
    onError: (_error, copies) => reports.push(copies),
  });
}

it('writes the newest queued copy of each order, all orders in one bulk write', async () => {
  const { models, writes } = collectionAnswering();
  const listing = writer(models);
  listing.queue(copy('a', 2));
  listing.queue(copy('b', 1));
  listing.queue(copy('a', 4));
  listing.queue(copy('a', 3)); // late, older than the one queued: dropped
  await listing.flush();

  expect(writes).toEqual([
    [
      { orderId: 'a', revision: 4 },
      { orderId: 'b', revision: 1 },
    ],
  ]);
});

it("keeps the higher publication queued, even when a lost try's copy has a higher revision", async () => {
  const { models, writes } = collectionAnswering();
  const listing = writer(models);
  listing.queue(copy('a', 3, 1)); // a lost try's: revision 3 as publication 1
  listing.queue(copy('a', 2, 2)); // the run's decline: revision 2 as publication 2
  await listing.flush();

  expect(writes).toEqual([[{ orderId: 'a', revision: 2 }]]);
});

it('writes at once when a batch is full', async () => {
  const { models, writes } = collectionAnswering();
  const listing = writer(models);
  for (const orderId of ['a', 'b', 'c']) listing.queue(copy(orderId, 1));
  await listing.flush(); // waits for the write the third copy started

  expect(writes).toHaveLength(1);
  expect(writes[0]).toHaveLength(3);
});

it('inserts only the copies of first publications; the rest replace older copies', async () => {
  const { models, writes, inserts } = collectionAnswering();
  const listing = writer(models);
  listing.queue(copy('a', 1));
  listing.queue(copy('b', 3));
  await listing.flush();

  expect(writes).toEqual([
    [
      { orderId: 'a', revision: 1 },
      { orderId: 'b', revision: 3 },
    ],
  ]);
  expect(inserts).toEqual([[{ orderId: 'a', revision: 1 }]]);
});

it('inserts the newest copy in place of a first one it replaced in the queue', async () => {
  const { models, inserts } = collectionAnswering();
  const listing = writer(models);
  listing.queue(copy('a', 1));
  listing.queue(copy('a', 2)); // the order moved on within the window
  await listing.flush();

  expect(inserts).toEqual([[{ orderId: 'a', revision: 2 }]]);
});

it('tries a batch again whole when its replace failed (a lost connection)', async () => {
  const { models, writes } = collectionAnswering([bulkWriteError([])]);
  const reports: number[] = [];
  const listing = writer(models, reports);
  listing.queue(copy('a', 1));
  listing.queue(copy('b', 2));
  await listing.flush();
  await listing.flush();

  expect(reports).toEqual([2]);
  expect(writes).toHaveLength(2);
  expect(writes[1]).toEqual(writes[0]);
});

it('takes an insert refused only by copies already there as done', async () => {
  const { models, writes } = collectionAnswering([], [bulkWriteError([{ index: 0, code: 11000 }])]);
  const reports: number[] = [];
  const listing = writer(models, reports);
  listing.queue(copy('a', 1));
  await listing.flush();
  await listing.flush();

  expect(reports).toEqual([]);
  expect(writes).toHaveLength(1);
});

it('tries a batch again when its insert failed for another reason', async () => {
  const { models, inserts } = collectionAnswering(
    [],
    [
      bulkWriteError([
        { index: 0, code: 11000 },
        { index: 1, code: 121 },
      ]),
    ],
  );
  const reports: number[] = [];
  const listing = writer(models, reports);
  listing.queue(copy('a', 1));
  listing.queue(copy('b', 1));
  await listing.flush();
  await listing.flush();

  expect(reports).toEqual([2]);
  expect(inserts[1]).toEqual(inserts[0]);
});

it('does not try an old copy again once a newer one of its order is queued', async () => {
  const { models, writes } = collectionAnswering([new Error('topology closed')]);
  const listing = writer(models);
  listing.queue(copy('a', 1));
  const failing = listing.flush();
  listing.queue(copy('a', 2)); // queued while the first write is under way
  await failing;
  await listing.flush();

  expect(writes[1]).toEqual([{ orderId: 'a', revision: 2 }]);
});

it('keeps writing after a reporter threw', async () => {
  const { models, writes } = collectionAnswering([new Error('down')]);
  const listing = createListingCopies(models, {
    windowMs: 60_000,
    maxBatch: 100,
    onError: () => {
      throw new Error('reporter broke');
    },
  });
  listing.queue(copy('a', 1));
  await listing.flush();
  await listing.flush();

  expect(writes).toHaveLength(2);
});
