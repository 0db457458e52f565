// Idempotency records expire: a Temporal Schedule registered at start runs, every hour, a
// workflow that deletes checkout's idempotency records older than the retention together with
// the answers recorded for their orders. Recent records stay, and so does a record whose order
// is not decided yet. After the retention a retry with the same key places a new order. The
// same run deletes expired codec sign-in sessions and old announcements of directory changes
// (FerretDB has no TTL index for them either).

import { readCheckoutAnswer } from '../infra/checkout-answers';
import { announceChange } from '../infra/directory-changes';
import { answerBesidePublicationsId, attemptOrderId } from '../infra/models/idempotency';
import { createMaintenanceActivities } from '../activities/maintenance';
import { CHECKOUT_TIMEOUT } from '../domain/checkout';
import type { OrderStatus } from '../domain/order';
import { createLogger } from '../infra/logger';
import { ensureSchedules, purgeScheduleId, registerSchedules } from '../workers/schedules';
import type { PurgeTotals } from '../workflows/maintenance';
import { eventually, useHarness } from './support/harness';
import { GROCERY_TOTAL, groceryOrder, placeOrder } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

const HOUR_MS = 3_600_000;
const pastRetention = () => new Date(Date.now() - 25 * HOUR_MS);
const models = () => harness.database.models;
const schedule = () =>
  harness.temporal.schedule.getHandle(purgeScheduleId(harness.config.temporal.taskQueue));

/** A key record created `createdAt` (past the retention by default), as checkout writes it. */
async function keyRecord(name: string, createdAt = pastRetention()) {
  const orderId = `ord_${name}_${Date.now()}`;
  await models().IdempotencyRecord.create({
    _id: `checkout:${name}-${Date.now()}`,
    requestHash: 'h',
    orderId,
    createdAt,
  });
  return orderId;
}

/**
 * Checkout's recorded answer for an order (`beside` the order's publications, as a worker
 * writes it with the first one, or alone), and (when decided) the order's document.
 */
async function answered(
  orderId: string,
  status: OrderStatus,
  options: { retryable?: boolean; published?: boolean; beside?: boolean } = {},
) {
  const snapshot = {
    orderId,
    status,
    ...(options.retryable ? { failure: CHECKOUT_TIMEOUT } : {}),
    revision: 2,
  };
  const place = options.beside
    ? models().CheckoutAnswerBesidePublications
    : models().CheckoutAnswer;
  await place.create({
    _id: options.beside ? answerBesidePublicationsId(orderId) : orderId,
    answer: snapshot,
    createdAt: pastRetention(),
  });
  if (options.published !== false) {
    await models().Order.create({
      _id: orderId,
      ...snapshot,
      vertical: 'grocery',
      customerId: 'cust_1',
      providerId: harness.store.providerId,
      createdAt: pastRetention().toISOString(),
    });
  }
}

const recordExists = async (orderId: string) =>
  (await models().IdempotencyRecord.exists({ orderId })) !== null;
const answerExists = async (orderId: string) =>
  (await readCheckoutAnswer(models(), orderId)) !== null;

/** Triggers the schedule now and waits for that run's result. */
async function triggerPurge(): Promise<PurgeTotals> {
  // The purge asks the listing which orders are decided: their copies go in first.
  await harness.flushListing();
  const before = (await schedule().describe()).info.recentActions.length;
  await schedule().trigger();
  const action = await eventually(
    async () => (await schedule().describe()).info.recentActions[before],
    15_000,
    'the triggered purge to start',
  );
  return harness.temporal.workflow
    .getHandle<() => Promise<PurgeTotals>>(action.action.workflow.workflowId)
    .result();
}

test('the schedule is registered at start: hourly, an overlapping run skipped, on this task queue', async () => {
  const description = await schedule().describe();
  expect(description.spec.intervals).toEqual([expect.objectContaining({ every: HOUR_MS })]);
  expect(description.policies.overlap).toBe('SKIP');
  expect(description.state.paused).toBe(false);
  expect(description.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'purgeExpiredIdempotencyRecords',
    taskQueue: harness.config.temporal.taskQueue,
    args: [{ retentionHours: 24 }],
  });
  expect(purgeScheduleId('orders')).toBe('purge-idempotency-records');
});

test('registering again changes nothing; a new retention updates the schedule', async () => {
  const { config, temporal } = harness;
  const id = purgeScheduleId(config.temporal.taskQueue);
  expect(await ensureSchedules(temporal, config)).toEqual({ [id]: 'unchanged' });
  // What a worker process does at start, with a connection of its own.
  expect(await registerSchedules(config)).toEqual({ [id]: 'unchanged' });
  expect(await ensureSchedules(temporal, { ...config, idempotencyRetentionHours: 48 })).toEqual({
    [id]: 'updated',
  });
  expect((await schedule().describe()).action.args).toEqual([{ retentionHours: 48 }]);
  expect(await ensureSchedules(temporal, config)).toEqual({ [id]: 'updated' });
  expect((await schedule().describe()).action.args).toEqual([{ retentionHours: 24 }]);
});

test('a triggered run purges records past the retention with their answers; recent and undecided ones stay', async () => {
  // A real order placed just now: its key and answer are well within the retention.
  const recent = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  expect(recent.status).toBe(201);
  const recentOrderId: string = recent.body.orderId;

  const decided = await keyRecord('decided');
  await answered(decided, 'completed');
  // "Try again" first, then a second order under the same key: both answers go, the second
  // from beside its publications.
  const retried = await keyRecord('retried');
  await answered(retried, 'payment_declined', { retryable: true });
  await answered(attemptOrderId(retried, 1), 'cancelled', { beside: true });
  const neverAnswered = await keyRecord('never-answered');
  // Checkout said "nothing was charged" and the order's workflow has not published yet: the
  // answer must stay until it has, so the key stays too.
  const undecided = await keyRecord('undecided');
  await answered(undecided, 'payment_declined', { retryable: true, published: false });

  const totals = await triggerPurge();
  expect(totals).toEqual({ recordsDeleted: 3, answersDeleted: 3, recordsKept: 1 });

  for (const orderId of [decided, retried, neverAnswered])
    expect(await recordExists(orderId)).toBe(false);
  for (const orderId of [decided, retried, attemptOrderId(retried, 1)])
    expect(await answerExists(orderId)).toBe(false);
  expect(await recordExists(undecided)).toBe(true);
  expect(await answerExists(undecided)).toBe(true);
  expect(await recordExists(recentOrderId)).toBe(true);
  expect(await answerExists(recentOrderId)).toBe(true);
  // Order documents are not idempotency records: they stay.
  expect(await models().Order.exists({ _id: decided })).not.toBeNull();
});

test('a triggered run deletes expired codec sign-in sessions; live ones stay', async () => {
  const session = (name: string, expiresAt: Date) => ({
    _id: `${name}-${Date.now()}`.padEnd(64, '0'),
    clientName: 'support',
    role: 'support' as const,
    tokenBinding: '0'.repeat(64),
    createdAt: new Date(expiresAt.getTime() - 8 * HOUR_MS),
    expiresAt,
  });
  const expired = session('expired', new Date(Date.now() - 1000));
  const live = session('live', new Date(Date.now() + HOUR_MS));
  await models().CodecSession.create([expired, live]);

  await triggerPurge();
  expect(await models().CodecSession.exists({ _id: expired._id })).toBeNull();
  expect(await models().CodecSession.exists({ _id: live._id })).not.toBeNull();
});

test('a triggered run deletes announced directory changes older than an hour; recent ones stay', async () => {
  const subject = `provider:changes-${Date.now()}`;
  await announceChange(models(), subject, new Date(Date.now() - 2 * HOUR_MS));
  await announceChange(models(), subject, new Date(Date.now() - 60_000));
  expect(await models().DirectoryChange.countDocuments({ subject })).toBe(2);

  await triggerPurge();
  const left = await models().DirectoryChange.find({ subject }).lean();
  expect(left).toHaveLength(1);
  expect(left[0]!.at.getTime()).toBeGreaterThan(Date.now() - HOUR_MS);
});

test('records go in batches; a repeated batch deletes nothing more', async () => {
  const purge = createMaintenanceActivities({
    models: models(),
    logger: createLogger('silent'),
  }).purgeIdempotencyRecords;
  const orderIds = [];
  for (let i = 0; i < 5; i++) orderIds.push(await keyRecord(`batch-${i}`));
  const olderThan = new Date(Date.now() - 24 * HOUR_MS).toISOString();

  const first = await purge({ olderThan, batchSize: 2 });
  expect(first.recordsDeleted + first.recordsKept).toBe(2);
  expect(first.next).toBeDefined();
  let deleted = first.recordsDeleted;
  for (let next = first.next; next !== undefined;) {
    const batch = await purge({ olderThan, after: next, batchSize: 2 });
    deleted += batch.recordsDeleted;
    next = batch.next;
  }
  expect(deleted).toBeGreaterThanOrEqual(5);
  for (const orderId of orderIds) expect(await recordExists(orderId)).toBe(false);
  expect(await purge({ olderThan, batchSize: 2 })).toMatchObject({ recordsDeleted: 0 });
});

test('after the retention, a retry with the same Idempotency-Key places a new order', async () => {
  const body = groceryOrder(harness.store.providerId);
  const first = await placeOrder(harness.apiUrl, body, { key: 'kept-for-a-day' });
  expect(first.status).toBe(201);
  const replay = await placeOrder(harness.apiUrl, body, { key: 'kept-for-a-day' });
  expect(replay.body.orderId).toBe(first.body.orderId);
  expect(replay.headers['idempotent-replayed']).toBe('true');

  // A day passes: the key's record is as old as the retention.
  const record = await models().IdempotencyRecord.findOne({ orderId: first.body.orderId }).lean();
  await models().IdempotencyRecord.deleteOne({ _id: record!._id });
  await models().IdempotencyRecord.create({ ...record!, createdAt: pastRetention() });
  await triggerPurge();
  expect(await recordExists(first.body.orderId)).toBe(false);

  const later = await placeOrder(harness.apiUrl, body, { key: 'kept-for-a-day' });
  expect(later.status).toBe(201);
  expect(later.body.orderId).not.toBe(first.body.orderId);
  expect(later.headers['idempotent-replayed']).toBeUndefined();
  expect(await harness.ledgerOf(later.body.orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
});
