// Reconciliation finds nothing wrong with orders that went every legitimate way — completed,
// refunded by support, cancelled and refunded, expired, declined, still awaiting the store,
// waiting for a delivery report — and names each breach made on purpose afterwards by writing
// to the sandbox books and the read model behind the workflows' backs. The CLI says the same
// and exits 1.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { LedgerEntryType } from '../infra/models/sandbox-payment';
import { reconcile } from '../ops/reconcile-runner';
import type { BreachKind, ReconcileReport } from '../ops/reconcile';
import { orderWorkflowId } from '../workflows/messages';
import { eventually, useHarness, type RegisteredProvider } from './support/harness';
import {
  cancelOrder,
  getOrder,
  GROCERY_TOTAL,
  groceryOrder,
  placeOrder,
  waitForStatus,
} from './support/orders';
import { support } from './support/staff';

const harness = useHarness({
  env: { REFUND_WINDOW_SECONDS: '600', DELIVERY_OVERDUE_GRACE_SECONDS: '1' },
});
let store: RegisteredProvider;
/** Its deadline is a second: its orders expire. */
let slowStore: RegisteredProvider;

beforeAll(async () => {
  // A refund after an order's workflow ended runs in its after-sales workflow: the reconciler
  // reads the books there.
  store = await harness.registerProvider({ vertical: 'grocery' });
  slowStore = await harness.registerProvider({
    vertical: 'grocery',
    confirmationTimeoutSeconds: 1,
  });
});

const models = () => harness.database.models;
const finalOrder = (orderId: string) =>
  harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
const check = () =>
  reconcile({
    temporal: harness.temporal,
    models: models(),
    gateway: harness.gateway,
    taskQueues: [harness.config.temporal.taskQueue],
    batchSize: 3, // several batches
  });
const kinds = (report: ReconcileReport) =>
  report.breaches.map(({ orderId, kind }) => ({ orderId, kind }));

async function newOrder(options: { provider?: RegisteredProvider; token?: string } = {}) {
  const provider = options.provider ?? store;
  const response = await placeOrder(
    harness.apiUrl,
    groceryOrder(provider.providerId, { token: options.token }),
  );
  expect([201, 402]).toContain(response.status);
  return (response.body.orderId ?? response.body.error.details?.[0]?.orderId) as string;
}

async function dispatchingOrder(body = groceryOrder(store.providerId)) {
  const response = await placeOrder(harness.apiUrl, body);
  expect(response.status).toBe(201);
  const orderId: string = response.body.orderId;
  expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  return orderId;
}

async function delivered(orderId: string) {
  expect((await store.client.reportEvent(orderId, 'picked_up')).status).toBe(200);
  expect((await store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
}

/** Runs `npm run reconcile`'s command against the harness's database and Temporal. */
function runCli(args: string[], env: Record<string, string> = {}) {
  const root = path.resolve(__dirname, '..');
  const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [command, ...scriptArgs] = scripts.reconcile!.split(' ');
  const child = spawn(path.join(root, 'node_modules/.bin', command!), [...scriptArgs, ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      MONGODB_URI: harness.config.mongodbUri,
      TEMPORAL_ADDRESS: harness.config.temporal.address,
      TEMPORAL_NAMESPACE: harness.config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: harness.config.temporal.taskQueue,
      // Payloads (the workflows' results) are encrypted as the harness's are.
      PAYLOAD_ENCRYPTION_KEYS: (harness.config.temporal.payloadEncryptionKeys ?? [])
        .map(({ id, key }) => `${id}:${key}`)
        .join(','),
      LOG_LEVEL: 'error',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** Appends an operation to an order's sandbox books, as a gateway bug would. */
async function bookOperation(
  orderId: string,
  operation: 'capture' | 'refund',
  type: LedgerEntryType,
  amount: number,
) {
  const authorisation = await models().SandboxPayment.findOne({ orderId, outcome: 'authorised' });
  const seq = await models().SandboxOperation.countDocuments({ orderId });
  const key = `order:${orderId}:forged-${seq}`;
  await models().SandboxOperation.create({
    _id: `${authorisation!._id}#${String(seq).padStart(6, '0')}`,
    authorisationId: authorisation!._id,
    orderId,
    seq,
    key,
    at: new Date(),
    operation,
    entries: [{ key, type, amount, currency: 'CNY', at: new Date() }],
    result: {},
  });
}

/** Starts a workflow `order-<orderId>` that will never act again, then stops its worker. */
async function idleWorkflowFor(orderId: string) {
  const connection = await NativeConnection.connect({ address: harness.config.temporal.address });
  const taskQueue = `idle-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./fixtures/idle-workflow'),
  });
  await worker.runUntil(async () => {
    const handle = await harness.temporal.workflow.start('idleWorkflow', {
      workflowId: orderWorkflowId(orderId),
      taskQueue,
    });
    // Its first workflow task done, it waits for nothing that can come.
    await eventually(async () => {
      const description = await handle.describe();
      return !description.raw.pendingWorkflowTask && description.historyLength >= 4;
    });
  });
  await connection.close();
}

async function insertDocument(orderId: string, status: string, vertical = 'grocery') {
  const now = new Date().toISOString();
  await models().Order.create({
    _id: orderId,
    orderId,
    vertical,
    status,
    customerId: 'cust_1',
    providerId: store.providerId,
    currency: 'CNY',
    amounts: { total: GROCERY_TOTAL, authorised: 0, captured: 0, released: 0, refunded: 0 },
    dispatch: { events: [] },
    createdAt: now,
    updatedAt: now,
    revision: 3,
  });
}

test('orders that went every legitimate way reconcile; breaches made behind their backs are each named', async () => {
  // ---- Every legitimate way ----
  const completed = await dispatchingOrder();
  await delivered(completed);

  const refundedBySupport = await dispatchingOrder();
  const refund = await support(harness.apiUrl).refund(refundedBySupport, {
    amount: 1000,
    reason: 'item_missing',
  });
  expect(refund.status).toBe(201);
  await delivered(refundedBySupport);

  // Refunded after its workflow ended: the after-sales workflow's books are the order's.
  const refundedAfterClose = await dispatchingOrder();
  await delivered(refundedAfterClose);
  await finalOrder(refundedAfterClose);
  const late = await support(harness.apiUrl).refund(refundedAfterClose, {
    amount: 800,
    reason: 'quality',
  });
  expect(late.status).toBe(201);

  const cancelled = await dispatchingOrder();
  expect((await cancelOrder(harness.apiUrl, cancelled)).status).toBe(200);

  const expired = await newOrder({ provider: slowStore });
  const declined = await newOrder({ token: 'tok_declined' });
  const undocumented = await newOrder({ token: 'tok_declined' });
  const awaiting = await newOrder();
  const toTerminate = await newOrder();

  // Delivery window already over (as far back as its horizon allows): the overdue timer fires
  // a second later, support is asked to look, and the order waits for the store's report with
  // no timer of its own.
  const body = groceryOrder(store.providerId);
  body.grocery.deliveryWindow = {
    start: new Date(Date.now() - 10 * 60_000).toISOString(),
    end: new Date(Date.now() - 9 * 60_000).toISOString(),
  };
  const overdue = await dispatchingOrder(body);
  await eventually(
    async () =>
      (await getOrder(harness.apiUrl, overdue)).body.attention?.code === 'delivery_overdue',
  );

  expect(await finalOrder(cancelled)).toMatchObject({ status: 'cancelled' });
  expect(await finalOrder(expired)).toMatchObject({ status: 'expired' });
  expect(await finalOrder(declined)).toMatchObject({ status: 'payment_declined' });
  expect(await finalOrder(undocumented)).toMatchObject({ status: 'payment_declined' });

  const clean = await check();
  expect(kinds(clean)).toEqual([]);
  expect(clean.failures).toEqual([]);
  expect(clean.ordersChecked).toBe(10);

  const cleanCli = await runCli([]);
  expect(cleanCli.stderr).toBe('');
  expect(cleanCli.code).toBe(0);
  expect(cleanCli.stdout).toMatch(/^orders checked +10$/m);
  expect(cleanCli.stdout).toMatch(/^breaches +0$/m);

  // ---- Breaches, made on purpose ----
  // The worker's queued listing copies land first, so none undoes a breach made below.
  await harness.flushListing();
  // A refund beyond what was captured, and a capture beyond what was authorised.
  await bookOperation(completed, 'refund', 'refund', GROCERY_TOTAL + 1);
  await bookOperation(refundedBySupport, 'capture', 'capture', 1);
  // The expired order's void is lost: its hold stays open.
  await models().SandboxOperation.deleteOne({ orderId: expired, operation: 'void' });
  // The cancelled order's refund is lost: it keeps money for nothing.
  await models().SandboxOperation.deleteOne({ orderId: cancelled, operation: 'refund' });
  // A second authorisation for the order awaiting the store.
  await models().SandboxPayment.create({
    _id: `auth_forged_${awaiting}`,
    authoriseKey: `order:${awaiting}:authorise-again`,
    orderId: awaiting,
    currency: 'CNY',
    token: 'tok_ok',
    outcome: 'authorised',
    requested: GROCERY_TOTAL,
    authorised: GROCERY_TOTAL,
    createdAt: new Date(),
  });
  // The declined order's document says otherwise than its workflow.
  await models().Order.updateOne({ _id: declined }, { $set: { status: 'completed' } });
  // Another's read model is lost, copy and publications: only Temporal still knows the order.
  await models().Order.deleteOne({ _id: undocumented });
  await models().OrderPublication.deleteMany({ orderId: undocumented });
  // A workflow ended by hand while it held the money.
  await harness.temporal.workflow.getHandle(orderWorkflowId(toTerminate)).terminate('test');
  // A hotel stay whose workflow waits for nothing that can come.
  const stuck = `ord_stuck_${randomBytes(4).toString('hex')}`;
  await insertDocument(stuck, 'dispatching', 'hotel');
  await idleWorkflowFor(stuck);
  // An open order Temporal has never heard of.
  const lost = `ord_lost_${randomBytes(4).toString('hex')}`;
  await insertDocument(lost, 'confirmed');

  const expected: { orderId: string; kind: BreachKind }[] = [
    { orderId: completed, kind: 'refunded_exceeds_captured' },
    { orderId: refundedBySupport, kind: 'captured_exceeds_authorised' },
    { orderId: expired, kind: 'hold_open_on_closed_order' },
    { orderId: cancelled, kind: 'unserved_capture_not_refunded' },
    { orderId: awaiting, kind: 'multiple_authorisations' },
    { orderId: declined, kind: 'document_disagrees_with_workflow' },
    { orderId: undocumented, kind: 'document_disagrees_with_workflow' },
    { orderId: toTerminate, kind: 'hold_open_on_closed_order' },
    { orderId: toTerminate, kind: 'workflow_ended_abnormally' },
    { orderId: stuck, kind: 'stuck_workflow' },
    { orderId: lost, kind: 'workflow_missing' },
  ];
  const byOrderAndKind = (a: { orderId: string; kind: string }, b: typeof a) =>
    a.orderId.localeCompare(b.orderId) || a.kind.localeCompare(b.kind);

  const report = await check();
  expect(kinds(report).sort(byOrderAndKind)).toEqual(expected.sort(byOrderAndKind));
  expect(report.ordersChecked).toBe(12);
  expect(report.breachesByKind).toMatchObject({
    hold_open_on_closed_order: 2,
    stuck_workflow: 1,
    multiple_authorisations: 1,
  });
  expect(report.breaches.find((b) => b.orderId === cancelled)!.detail).toBe(
    `${GROCERY_TOTAL} kept on a cancelled order (captured ${GROCERY_TOTAL}, refunded 0, fee 0, refunds in progress 0)`,
  );

  // Found through Temporal's list of order workflows, since it has no document to be found by.
  expect(report.breaches.find((b) => b.orderId === undocumented)!.detail).toBe('no document');

  const cli = await runCli(['--json']);
  expect(cli.code).toBe(1);
  const printed = JSON.parse(cli.stdout) as ReconcileReport;
  expect(kinds(printed).sort(byOrderAndKind)).toEqual(expected);

  const text = await runCli([]);
  expect(text.code).toBe(1);
  for (const { orderId, kind } of expected)
    expect(text.stdout).toMatch(new RegExp(`^BREACH ${orderId} ${kind} .+$`, 'm'));
  expect(text.stdout).toMatch(/^breaches +11$/m);

  const one = await runCli(['--order', stuck]);
  expect(one.code).toBe(1);
  expect(one.stdout).toMatch(/^orders checked +1$/m);
  expect(one.stdout).toContain(`BREACH ${stuck} stuck_workflow`);
}, 120_000); // a dozen orders, each a different way: slow on a busy 2-core machine

test('the CLI exits 2 when it cannot reach Temporal, and on a bad configuration', async () => {
  const unreachable = await runCli([], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(unreachable.code).toBe(2);
  expect(unreachable.stderr).toContain('reconcile: could not check the orders');
  expect(unreachable.stdout).toBe('');

  const misconfigured = await runCli([], { MONGODB_URI: 'not-a-uri' });
  expect(misconfigured.code).toBe(2);
  expect(misconfigured.stderr).toContain('MONGODB_URI');
});
