// Batched inserts (infra/batched-inserts.ts), the provider callback log's writer, against the
// suite's real database: records queued within the window share one insert command; an invalid
// record is reported and keeps none of the others out; a duplicate is dropped quietly; the
// batch waits for its window unless flushed or full; a batch the database never took is
// reported whole.

import mongoose from 'mongoose';
import { createBatchedInserts } from '../infra/batched-inserts';
import { defineAuditModels } from '../infra/models/audit';
import type { CallbackLogDocument } from '../infra/models/audit';
import { onDatabaseCommand, type DatabaseCommand } from '../infra/telemetry/db-commands';
import { eventually, useHarness } from './support/harness';

const harness = useHarness({ providers: [], withWorker: false });
const models = () => harness.database.models;

let run = 0;
const entry = (orderId: string, n: number): CallbackLogDocument => ({
  _id: `${orderId}-${n}`,
  orderId,
  providerId: 'prv_batched',
  kind: 'events',
  method: 'POST',
  requestId: `req-${n}`,
  status: 200,
  at: new Date(),
});

function setUp(options: { windowMs?: number; maxBatch?: number } = {}) {
  const orderId = `ord_batched_${Date.now()}_${run++}`;
  const errors: { error: unknown; records: number }[] = [];
  const inserts = createBatchedInserts(models().CallbackLog, {
    windowMs: options.windowMs ?? 60_000,
    maxBatch: options.maxBatch ?? 100,
    onError: (error, records) => errors.push({ error, records }),
  });
  const commands: DatabaseCommand[] = [];
  const stop = onDatabaseCommand(harness.database.connection, (command) => {
    if (command.collection === 'provider_callbacks') commands.push(command);
  });
  const stored = () => models().CallbackLog.find({ orderId }).sort({ _id: 1 }).lean();
  return { orderId, inserts, errors, commands, stop, stored };
}

it('writes the records queued within a window with one insert command', async () => {
  const { orderId, inserts, errors, commands, stop, stored } = setUp({ windowMs: 2_000 });
  try {
    for (let n = 1; n <= 5; n++) inserts.add(entry(orderId, n));
    expect(await stored()).toEqual([]);
    await eventually(async () => (await stored()).length === 5, 5_000, 'the batch');
  } finally {
    stop();
  }
  expect(commands.filter((c) => c.command === 'insert')).toHaveLength(1);
  expect((await stored()).map((record) => record.requestId)).toEqual([
    'req-1',
    'req-2',
    'req-3',
    'req-4',
    'req-5',
  ]);
  expect(errors).toEqual([]);
});

it('reports an invalid record and stores the others', async () => {
  const { orderId, inserts, errors, stop, stored } = setUp();
  stop();
  inserts.add(entry(orderId, 1));
  const { status: _missing, ...withoutStatus } = entry(orderId, 2);
  inserts.add(withoutStatus as CallbackLogDocument);
  inserts.add(entry(orderId, 3));
  await inserts.flush();
  expect((await stored()).map((record) => record._id)).toEqual([`${orderId}-1`, `${orderId}-3`]);
  expect(errors).toEqual([
    { error: expect.objectContaining({ name: 'ValidationError' }), records: 1 },
  ]);
});

it('drops a duplicate quietly and keeps the rest of its batch', async () => {
  const { orderId, inserts, errors, stop, stored } = setUp();
  stop();
  inserts.add(entry(orderId, 1));
  await inserts.flush();
  inserts.add({ ...entry(orderId, 1), status: 500 });
  inserts.add(entry(orderId, 2));
  await inserts.flush();
  const records = await stored();
  expect(records.map((record) => [record._id, record.status])).toEqual([
    [`${orderId}-1`, 200],
    [`${orderId}-2`, 200],
  ]);
  expect(errors).toEqual([]);
});

it('writes a full batch at once, without waiting for the window', async () => {
  const { orderId, inserts, errors, stop, stored } = setUp({ maxBatch: 3 });
  stop();
  for (let n = 1; n <= 4; n++) inserts.add(entry(orderId, n));
  // The window is a minute: only the full batch of three is written now.
  await eventually(async () => (await stored()).length === 3, 5_000, 'the full batch');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await stored()).toHaveLength(3);
  await inserts.flush();
  expect(await stored()).toHaveLength(4);
  expect(errors).toEqual([]);
});

it('reports the whole batch when the database cannot be reached', async () => {
  const connection = mongoose.createConnection(harness.config.mongodbUri, {
    bufferCommands: false,
  });
  await connection.asPromise();
  const { CallbackLog } = defineAuditModels(connection);
  await connection.close();
  const errors: { error: unknown; records: number }[] = [];
  const inserts = createBatchedInserts(CallbackLog, {
    windowMs: 60_000,
    maxBatch: 100,
    onError: (error, records) => errors.push({ error, records }),
  });
  const orderId = `ord_batched_down_${Date.now()}`;
  inserts.add(entry(orderId, 1));
  inserts.add(entry(orderId, 2));
  await inserts.flush();
  expect(errors).toEqual([{ error: expect.any(Error), records: 2 }]);
  expect(await models().CallbackLog.countDocuments({ orderId })).toBe(0);
});
