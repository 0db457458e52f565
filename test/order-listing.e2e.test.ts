// The order listing on the real database: copies written in one bulk write never go back in
// time, a worker lists a new order within its window without anyone reading it, and the repair
// sweep rewrites the copies a dead worker never wrote (infra/listing-copies.ts,
// infra/listing-repair.ts).

import type { OrderSnapshot } from '../domain/order';
import { createLogger } from '../infra/logger';
import { writeListingCopies } from '../infra/listing-copies';
import { repairListing, startListingRepairs } from '../infra/listing-repair';
import type { OrderDocument } from '../infra/models/order';
import { publicationId, unixMinute } from '../infra/models/order-publication';
import { readOrder } from '../infra/read-model';
import { eventually, useHarness } from './support/harness';
import { groceryOrder, placeOrder } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });
const models = () => harness.database.models;

let sequence = 0;
const newOrderId = (what: string) => `ord_listing_${what}_${Date.now()}_${sequence++}`;

function snapshotOf(orderId: string, revision: number, status: OrderSnapshot['status']) {
  return { orderId, revision, status, vertical: 'grocery' } as unknown as OrderSnapshot;
}

const listed = (orderId: string) => models().Order.findById(orderId).lean<OrderDocument>();

/** Stores a publication as if it had been stored in the Unix minute `minute`. */
async function storePublication(snapshot: OrderSnapshot, publication: number, minute: number) {
  const createdAt = new Date(minute * 60_000 + 30_000);
  await models().OrderPublication.create({
    _id: publicationId(snapshot.orderId, publication),
    orderId: snapshot.orderId,
    publication,
    snapshot,
    createdAt,
    createdSecond: Math.floor(createdAt.getTime() / 1000),
    createdMinute: minute,
  });
}

describe('writing listing copies', () => {
  it('writes many orders at once, and an older copy never replaces a newer one', async () => {
    const [first, second] = [newOrderId('a'), newOrderId('b')];
    const written = await writeListingCopies(models(), [
      { snapshot: snapshotOf(first, 3, 'confirmed'), publication: 2 },
      { snapshot: snapshotOf(second, 1, 'awaiting_confirmation'), publication: 1 },
    ]);
    expect(written).toEqual({});

    // A late batch carrying an older copy of the first order, and a newer one of the second.
    const late = await writeListingCopies(models(), [
      { snapshot: snapshotOf(first, 2, 'awaiting_confirmation'), publication: 1 },
      { snapshot: snapshotOf(second, 4, 'completed'), publication: 3 },
    ]);

    expect(late).toEqual({});
    expect(await listed(first)).toMatchObject({ revision: 3, status: 'confirmed', publication: 2 });
    expect(await listed(second)).toMatchObject({ revision: 4, status: 'completed' });
    expect((await listed(second))?.listedMinute).toBe(unixMinute(new Date()));
  });

  it("goes by publication number: a lost try's higher revision gives way to the run's next publication", async () => {
    const orderId = newOrderId('lost-try');
    // A lost try of the first task authorised and published revision 3 as publication 1;
    // the run that outlived it declined the order at revision 2, as publication 2.
    const lostTry = snapshotOf(orderId, 3, 'awaiting_confirmation');
    const declined = snapshotOf(orderId, 2, 'payment_declined');
    const now = unixMinute(new Date());
    await storePublication(lostTry, 1, now);
    await storePublication(declined, 2, now);
    await writeListingCopies(models(), [{ snapshot: lostTry, publication: 1 }]);
    await writeListingCopies(models(), [{ snapshot: declined, publication: 2 }]);
    // The listing says what a read by id says.
    expect(await readOrder(models(), orderId)).toMatchObject({ status: 'payment_declined' });
    expect(await listed(orderId)).toMatchObject({
      revision: 2,
      status: 'payment_declined',
      publication: 2,
    });
  });

  it('keeps going by revision for copies written before publications were numbered', async () => {
    const orderId = newOrderId('unnumbered');
    await writeListingCopies(models(), [{ snapshot: snapshotOf(orderId, 3, 'confirmed') }]);
    await writeListingCopies(models(), [
      { snapshot: snapshotOf(orderId, 2, 'awaiting_confirmation') },
    ]);
    expect(await listed(orderId)).toMatchObject({ revision: 3, status: 'confirmed' });
    // A numbered copy (the order's first numbered publication) replaces an unnumbered one.
    await writeListingCopies(models(), [
      { snapshot: snapshotOf(orderId, 1, 'awaiting_confirmation'), publication: 1 },
    ]);
    expect(await listed(orderId)).toMatchObject({ revision: 1, publication: 1 });
  });
});

describe('a worker listing orders', () => {
  it('lists a new order at its latest status within its window, without a read by id', async () => {
    const placed = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.orderId;

    const copy = await eventually(
      async () => (await listed(orderId)) ?? undefined,
      5_000,
      'the listing copy',
    );

    const newest = await models()
      .OrderPublication.findOne({ orderId })
      .sort({ publication: -1 })
      .lean();
    expect(copy).toMatchObject({ status: 'awaiting_confirmation' });
    expect(copy.publication).toBe(newest?.publication);
  });
});

describe('repairing the listing', () => {
  it('rewrites missing and stale copies of the minutes swept, and leaves current ones', async () => {
    // Older than a worker's own sweeps reach back (the harness runs one).
    const minute = unixMinute(new Date()) - 30;
    const [missing, stale, current, later] = ['missing', 'stale', 'current', 'later'].map(
      newOrderId,
    ) as [string, string, string, string];
    await storePublication(snapshotOf(missing, 2, 'awaiting_confirmation'), 1, minute);
    await storePublication(snapshotOf(stale, 2, 'awaiting_confirmation'), 1, minute);
    await storePublication(snapshotOf(stale, 3, 'confirmed'), 2, minute);
    await storePublication(snapshotOf(current, 2, 'awaiting_confirmation'), 1, minute);
    // Published again after the minutes swept, and listed at that newer publication.
    await storePublication(snapshotOf(later, 2, 'awaiting_confirmation'), 1, minute);
    await storePublication(snapshotOf(later, 5, 'completed'), 2, minute + 2);
    await writeListingCopies(models(), [
      { snapshot: snapshotOf(stale, 2, 'awaiting_confirmation'), publication: 1 },
      { snapshot: snapshotOf(current, 2, 'awaiting_confirmation'), publication: 1 },
      { snapshot: snapshotOf(later, 5, 'completed'), publication: 2 },
    ]);

    const repair = await repairListing(models(), { from: minute, to: minute });

    expect(repair).toEqual({ orders: 4, repaired: 2 });
    expect(await listed(missing)).toMatchObject({ revision: 2, publication: 1 });
    expect(await listed(stale)).toMatchObject({ revision: 3, status: 'confirmed' });
    expect(await listed(later)).toMatchObject({ revision: 5, status: 'completed' });
    // A second sweep finds nothing left to do.
    expect(await repairListing(models(), { from: minute, to: minute })).toEqual({
      orders: 4,
      repaired: 0,
    });
  });

  it('mends a backlog larger than one batch, a batch at a time', async () => {
    const minute = unixMinute(new Date()) - 40;
    const orderIds = Array.from({ length: 7 }, () => newOrderId('backlog'));
    for (const orderId of orderIds)
      await storePublication(snapshotOf(orderId, 2, 'confirmed'), 1, minute);

    expect(await repairListing(models(), { from: minute, to: minute }, { batchSize: 3 })).toEqual({
      orders: 7,
      repaired: 7,
    });
    for (const orderId of orderIds)
      expect(await listed(orderId)).toMatchObject({ revision: 2, status: 'confirmed' });
  });

  it('sweeps the settled minutes as a worker starts: what a dead one never wrote gets listed', async () => {
    const orderId = newOrderId('dead');
    await storePublication(snapshotOf(orderId, 2, 'confirmed'), 1, unixMinute(new Date()) - 3);

    const stop = startListingRepairs(models(), createLogger('silent'), {
      everyMs: 60_000,
      readPauseMs: 0,
    });
    try {
      await eventually(async () => (await listed(orderId))?.revision === 2, 30_000, 'the copy');
    } finally {
      await stop();
    }

    expect(await listed(orderId)).toMatchObject({ revision: 2, status: 'confirmed' });
  });
});
