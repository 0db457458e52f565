// The read model never goes back in time, even when a stale write lands on the listing copy
// last (FerretDB evaluates the revision guard and the replace separately, so it can). The
// stale write is made here directly, unguarded, as FerretDB lets it land; reads by id follow
// the insert-only publications past it, and the repair sweep mends the copy.

import type { OrderSnapshot } from '../domain/order';
import { createListingCopies } from '../infra/listing-copies';
import { repairListing, startListingRepairs } from '../infra/listing-repair';
import { createLogger } from '../infra/logger';
import { publicationId, unixMinute } from '../infra/models/order-publication';
import { publishSnapshot, readOrder } from '../infra/read-model';
import { useHarness } from './support/harness';
import { getOrder, groceryOrder, placeOrder } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

const models = () => harness.database.models;

/** Copies written only when a test flushes them, as a worker writes them after its window. */
function listingCopies() {
  return createListingCopies(models(), {
    windowMs: 60_000,
    maxBatch: 100,
    onError: (error) => {
      throw error;
    },
  });
}

/** What a stale write does when it lands last: replaces the listing copy, whatever it held. */
async function landStaleWrite(snapshot: OrderSnapshot, publication: number) {
  await models().Order.replaceOne(
    { _id: snapshot.orderId },
    { _id: snapshot.orderId, ...snapshot, publication },
  );
}

function snapshotOf(orderId: string, revision: number, status: OrderSnapshot['status']) {
  return { orderId, revision, status, vertical: 'grocery' } as unknown as OrderSnapshot;
}

async function listed(orderId: string) {
  return models().Order.findById(orderId).lean<OrderSnapshot & { publication?: number }>();
}

describe('reading an order by id', () => {
  it('answers the newest publication when an older one landed on the listing last, which the sweep mends', async () => {
    const orderId = `ord_rm_${Date.now()}`;
    const listing = listingCopies();
    await publishSnapshot(models(), listing, snapshotOf(orderId, 1, 'pending_payment'), 1);
    await publishSnapshot(models(), listing, snapshotOf(orderId, 3, 'awaiting_confirmation'), 2);
    await publishSnapshot(models(), listing, snapshotOf(orderId, 4, 'confirmed'), 3);
    await listing.flush();
    expect(await listed(orderId)).toMatchObject({ revision: 4, publication: 3 });
    await landStaleWrite(snapshotOf(orderId, 1, 'pending_payment'), 1);

    const order = await readOrder(models(), orderId);

    expect(order).toMatchObject({ revision: 4, status: 'confirmed' });
    expect(order).not.toHaveProperty('publication');
    expect(order).not.toHaveProperty('_id');
    const minute = unixMinute(new Date());
    await repairListing(models(), { from: minute - 1, to: minute });
    expect(await listed(orderId)).toMatchObject({ revision: 4, publication: 3 });
  });

  it('keeps the first snapshot of a publication written twice (a retried attempt)', async () => {
    const orderId = `ord_rm_retry_${Date.now()}`;
    const listing = listingCopies();
    await publishSnapshot(models(), listing, snapshotOf(orderId, 2, 'awaiting_confirmation'), 1);
    await publishSnapshot(models(), listing, snapshotOf(orderId, 2, 'awaiting_confirmation'), 1);

    expect(await models().OrderPublication.countDocuments({ orderId })).toBe(1);
    expect(await readOrder(models(), orderId)).toMatchObject({ revision: 2 });
  });

  it('finds an order whose listing copy is still queued, and writes nothing', async () => {
    const orderId = `ord_rm_queued_${Date.now()}`;
    const listing = listingCopies();
    await publishSnapshot(models(), listing, snapshotOf(orderId, 2, 'awaiting_confirmation'), 1);
    expect(await listed(orderId)).toBeNull();

    expect(await readOrder(models(), orderId)).toMatchObject({ revision: 2 });
    expect(await listed(orderId)).toBeNull();
    await listing.flush();
    expect(await listed(orderId)).toMatchObject({ revision: 2, publication: 1 });
  });

  it('finds an order whose listing copy was never written', async () => {
    const orderId = `ord_rm_nocopy_${Date.now()}`;
    await models().OrderPublication.create({
      _id: publicationId(orderId, 1),
      orderId,
      publication: 1,
      snapshot: snapshotOf(orderId, 2, 'awaiting_confirmation'),
    });

    expect(await readOrder(models(), orderId)).toMatchObject({ revision: 2 });
  });

  it('reads a copy written before publications were numbered', async () => {
    const orderId = `ord_rm_legacy_${Date.now()}`;
    await publishSnapshot(models(), listingCopies(), snapshotOf(orderId, 5, 'completed'));

    expect(await readOrder(models(), orderId)).toMatchObject({ revision: 5, status: 'completed' });
    expect(await readOrder(models(), `ord_rm_missing_${Date.now()}`)).toBeNull();
  });

  it('GET after a stale write shows the order as its workflow last published it', async () => {
    const placed = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.orderId;
    const confirmed = await harness.store.client.confirm(orderId, { decision: 'accept' });
    expect(confirmed.status).toBe(200);
    const publications = await models()
      .OrderPublication.find({ orderId })
      .sort({ publication: 1 })
      .lean();
    expect(publications.length).toBeGreaterThanOrEqual(2);
    const first = publications[0]!;
    const newest = publications[publications.length - 1]!;
    expect(newest.snapshot.status).not.toBe(first.snapshot.status);
    await landStaleWrite(first.snapshot, first.publication);

    const response = await getOrder(harness.apiUrl, orderId);

    expect(response.status).toBe(200);
    expect(response.body.status).toBe(newest.snapshot.status);
    expect(response.body.updatedAt).toBe(newest.snapshot.updatedAt);
    expect(response.body).not.toHaveProperty('publication');
  });
});

describe("the listing's repair sweep, shared by the workers", () => {
  /** An order whose listing copy is behind its newest publication, and that publication's minute. */
  async function orderBehindItsListing(name: string) {
    const orderId = `ord_rm_${name}_${Date.now()}`;
    const listing = listingCopies();
    await publishSnapshot(models(), listing, snapshotOf(orderId, 1, 'pending_payment'), 1);
    await listing.flush();
    // The second copy stays queued in a worker that dies.
    await publishSnapshot(models(), listingCopies(), snapshotOf(orderId, 2, 'confirmed'), 2);
    const newest = await models().OrderPublication.findById(publicationId(orderId, 2)).lean();
    return { orderId, minute: newest!.createdMinute! };
  }

  /** One sweep by a worker whose clock says `minute` has settled, through to its last minute. */
  async function sweepAsWorker(minute: number) {
    const last = minute + 1;
    await models().ListingSweep.deleteOne({ _id: last });
    const stop = startListingRepairs(models(), createLogger('silent'), {
      everyMs: 3_600_000,
      settleMinutes: 2,
      readPauseMs: 0,
      clock: () => new Date((last + 2) * 60_000),
    });
    try {
      const until = Date.now() + 30_000;
      while (!(await models().ListingSweep.exists({ _id: last })) && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await stop();
    }
  }

  it('mends a minute no worker has swept yet, and records it', async () => {
    const { orderId, minute } = await orderBehindItsListing('unswept');
    await models().ListingSweep.deleteOne({ _id: minute });

    await sweepAsWorker(minute);

    expect(await listed(orderId)).toMatchObject({ revision: 2, publication: 2 });
    expect(await models().ListingSweep.exists({ _id: minute })).toBeTruthy();
  });

  it('leaves a minute another worker has swept', async () => {
    const { orderId, minute } = await orderBehindItsListing('swept');
    await models().ListingSweep.updateOne(
      { _id: minute },
      { $set: { sweptAt: new Date() } },
      { upsert: true },
    );

    await sweepAsWorker(minute);

    expect(await listed(orderId)).toMatchObject({ revision: 1, publication: 1 });
  });
  it('stops at its next read when its worker stops, leaving the minute for the next sweep', async () => {
    const { orderId, minute } = await orderBehindItsListing('stopped');
    await models().ListingSweep.deleteMany({ _id: { $gte: minute - 20 } });
    const stop = startListingRepairs(models(), createLogger('silent'), {
      everyMs: 3_600_000,
      readPauseMs: 60_000,
      clock: () => new Date((minute + 3) * 60_000),
    });
    const stopping = Date.now();
    await stop();

    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(await models().ListingSweep.exists({ _id: minute })).toBeNull();
    expect(await listed(orderId)).toMatchObject({ revision: 1, publication: 1 });
  });
});
