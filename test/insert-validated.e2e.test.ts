// The hot paths' plain inserts (infra/insert-validated.ts) keep what Model.create promised:
// the schema checks the record first, and a primary-key race still surfaces as the duplicate
// key error the insert-only records rely on; a batch keeps what an earlier try stored. Against
// the suite's real database.

import type { OrderSnapshot } from '../domain/order';
import { isDuplicateKeyError } from '../infra/duplicate-key';
import { insertNewValidated, insertValidated } from '../infra/insert-validated';
import type { OrderPublicationDocument } from '../infra/models/order-publication';
import { useHarness } from './support/harness';

const harness = useHarness({ providers: [] });
const models = () => harness.database.models;

const publication = (orderId: string, revision = 1): OrderPublicationDocument => ({
  _id: `${orderId}/1`,
  orderId,
  publication: 1,
  snapshot: { orderId, revision, status: 'awaiting_confirmation' } as OrderSnapshot,
  createdAt: new Date(),
  createdSecond: Math.floor(Date.now() / 1000),
  createdMinute: Math.floor(Date.now() / 60_000),
});

it('stores the record as the schema casts it', async () => {
  const orderId = `ord_iv_${Date.now()}`;
  await insertValidated(models().OrderPublication, {
    ...publication(orderId),
    // A number given as a string is cast by the schema, as Model.create would.
    publication: '1' as unknown as number,
  } as never);
  const stored = await models().OrderPublication.findById(`${orderId}/1`).lean();
  expect(stored).toMatchObject({ orderId, publication: 1, snapshot: { revision: 1 } });
  expect(typeof stored!.publication).toBe('number');
});

it('refuses a record its schema refuses, and writes nothing', async () => {
  const orderId = `ord_iv_bad_${Date.now()}`;
  const { orderId: _missing, ...withoutOrderId } = publication(orderId);
  await expect(
    insertValidated(models().OrderPublication, withoutOrderId as never),
  ).rejects.toMatchObject({ name: 'ValidationError' });
  expect(await models().OrderPublication.findById(`${orderId}/1`).lean()).toBeNull();
});

it('loses a primary-key race with the duplicate key error, keeping the first record', async () => {
  const orderId = `ord_iv_dup_${Date.now()}`;
  await insertValidated(models().OrderPublication, publication(orderId));
  const error = await insertValidated(models().OrderPublication, publication(orderId, 2)).catch(
    (caught: unknown) => caught,
  );
  expect(isDuplicateKeyError(error)).toBe(true);
  const stored = await models().OrderPublication.findById(`${orderId}/1`).lean();
  expect(stored!.snapshot).toMatchObject({ revision: 1 });
});

describe('insertNewValidated (many records in one command)', () => {
  const secondOf = (orderId: string, revision = 1): OrderPublicationDocument => ({
    ...publication(orderId, revision),
    _id: `${orderId}/2`,
    publication: 2,
  });

  it('stores the new records and leaves those already stored as they were', async () => {
    const orderId = `ord_inv_${Date.now()}`;
    await insertValidated(models().OrderPublication, publication(orderId));
    // An earlier try stored the first; this try has both, the first as it would write it now.
    await insertNewValidated(models().OrderPublication, [
      publication(orderId, 9),
      secondOf(orderId),
    ]);
    const stored = await models()
      .OrderPublication.find({ orderId })
      .sort({ publication: 1 })
      .lean();
    expect(stored.map((p) => [p._id, p.snapshot.revision])).toEqual([
      [`${orderId}/1`, 1],
      [`${orderId}/2`, 1],
    ]);
    // All of them stored already: nothing changes, nothing fails.
    await insertNewValidated(models().OrderPublication, [secondOf(orderId, 7)]);
    expect(
      (await models().OrderPublication.findById(`${orderId}/2`).lean())!.snapshot,
    ).toMatchObject({ revision: 1 });
  });

  it('refuses the batch when a record fails its schema, and writes none of it', async () => {
    const orderId = `ord_inv_bad_${Date.now()}`;
    const { orderId: _missing, ...withoutOrderId } = secondOf(orderId);
    await expect(
      insertNewValidated(models().OrderPublication, [
        publication(orderId),
        withoutOrderId as never,
      ]),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    expect(await models().OrderPublication.countDocuments({ orderId })).toBe(0);
  });
});
