// A worker can die inside a workflow task, after that task's local activities moved money at
// the gateway but before the task reached the history. The history then never had that work:
// the order must carry on as the history says, with the money and the read model agreeing
// with it (docs/RELIABILITY.md, "Phantom effects of a workflow task lost with its worker").

import { eventually, useHarness, type UsedHarness } from './support/harness';
import { GROCERY_TOTAL, getOrder, groceryOrder, placeOrder } from './support/orders';
import { recordHistory } from './support/histories';
import { startWorkerProcess } from './support/worker-process';
import { getOrderQuery, orderWorkflowId } from '../workflows/messages';
import type { OrderSnapshot } from '../domain/order';

/**
 * Each test's own orderflow, with no worker until the test starts one. Checkout waits 2 s, and
 * an order not authorised 3 s after it was placed never will be.
 */
function harnessWithoutWorkers() {
  return useHarness({
    withWorker: false,
    env: { CHECKOUT_WAIT_SECONDS: '2', CHECKOUT_PAYMENT_WINDOW_SECONDS: '3' },
    providers: [{ vertical: 'grocery', confirmationTimeoutSeconds: 6 }],
  });
}

/** Starts the only worker, which SIGKILLs itself once the gateway did `operation`. */
function workerDyingAfter(harness: UsedHarness, operation: 'authorise' | 'capture' | 'decision') {
  const worker = startWorkerProcess(harness, 'test/support/worker-dying-after-payment.ts', {
    DIES_AFTER: operation,
  });
  return {
    /** Once it polls: checkout turns orders away while no worker does. */
    started: () => eventually(() => worker.output().includes("state: 'RUNNING'"), 30_000),
    async died() {
      const ended = await worker.exited;
      // Killed by its own SIGKILL (tsx, between, reports it as exit code 137).
      expect({ ended, died: ended.signal === 'SIGKILL' || ended.code === 137 }).toMatchObject({
        died: true,
      });
    },
  };
}

/** Waits until the order's workflow shows one of `statuses`; it must never fail. */
async function settled(
  harness: UsedHarness,
  orderId: string,
  statuses: string[],
): Promise<OrderSnapshot> {
  const handle = harness.temporal.workflow.getHandle(orderWorkflowId(orderId));
  return eventually(
    async () => {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING' && status.name !== 'COMPLETED')
        throw new Error(`the order's workflow ended ${status.name}`);
      const order = await handle.query(getOrderQuery);
      return statuses.includes(order.status) ? order : undefined;
    },
    40_000,
    `the order to be ${statuses.join(' or ')}`,
  );
}

async function netCaptured(harness: UsedHarness, orderId: string): Promise<number> {
  let net = 0;
  for (const [type, amount] of await harness.ledgerOf(orderId)) {
    if (type === 'capture') net += amount;
    if (type === 'refund') net -= amount;
  }
  return net;
}

describe('a store acceptance', () => {
  const harness = harnessWithoutWorkers();

  test('the worker dies right after the gateway captured for a store acceptance: money, workflow and read model agree', async () => {
    const worker = workerDyingAfter(harness, 'capture');
    await worker.started();
    const checkout = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
    expect(checkout.status).toBe(201);
    const orderId: string = checkout.body.orderId;

    // The acceptance reaches the only worker, which captures and dies.
    const accepted = harness.store.client
      .confirm(orderId, { decision: 'accept' })
      .catch((error: unknown) => ({ status: 0, body: String(error) }));
    await worker.died();
    await harness.startWorker();
    await accepted;

    // However the store's answer went, the order goes on as its workflow says: dispatched (the
    // acceptance stands) or expired (it was lost with the worker).
    const final = await settled(harness, orderId, ['dispatching', 'expired']);
    const captured = await netCaptured(harness, orderId);
    expect(captured).toBe(final.amounts.captured - final.amounts.refunded);
    expect(captured).toBe(final.status === 'expired' ? 0 : GROCERY_TOTAL);
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe(final.status);
  }, 90_000);
});

describe('a checkout', () => {
  const harness = harnessWithoutWorkers();

  test('the worker dies right after the gateway authorised, and the next comes after checkout gave up: the hold goes back', async () => {
    const worker = workerDyingAfter(harness, 'authorise');
    await worker.started();
    const checkout = placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId)).then(
      (response) => response,
    );
    await worker.died();
    const answer = await checkout;
    expect(answer.status).toBe(503); // nothing charged, the app is told to try again
    const orderId: string = answer.body.orderId ?? (await onlyOrderId(harness));
    // Past the payment window before any worker takes the order on again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await harness.startWorker();

    await recordHistory(harness.temporal, orderId, 'grocery-late-start-after-lost-task');
    const final = await settled(harness, orderId, ['payment_declined']);
    expect(final.failure?.code).toBe('checkout_expired');
    // The lost try published the order as authorised; the read model shows it declined.
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('payment_declined');
    const ledger = await harness.ledgerOf(orderId);
    expect(ledger.map(([type]) => type)).toEqual(['authorisation', 'void']);
  }, 90_000);
});

describe('a checkout answered by a lost try', () => {
  const harness = harnessWithoutWorkers();

  test('the worker dies once the payment decision is published, and the next comes after the payment window: the order the app was told of goes on', async () => {
    const worker = workerDyingAfter(harness, 'decision');
    await worker.started();
    // then(): supertest sends the request only when asked for its answer.
    const checkout = placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId)).then(
      (response) => response,
    );
    await worker.died();
    // Checkout stopped waiting, found the lost try's decision standing, and kept to it.
    const answer = await checkout;
    expect([answer.status, answer.body.status]).toEqual([201, 'awaiting_confirmation']);
    const orderId: string = answer.body.orderId;
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // past the payment window
    await harness.startWorker();

    const final = await settled(harness, orderId, ['awaiting_confirmation']);
    expect(final.amounts.authorised).toBe(GROCERY_TOTAL);
    // One hold: the gateway gave the same one back by its key.
    expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
    expect(await harness.store.client.confirm(orderId, { decision: 'accept' })).toMatchObject({
      status: 200,
      body: { status: 'confirmed' },
    });
    for (const event of ['picked_up', 'delivered'])
      expect((await harness.store.client.reportEvent(orderId, event)).status).toBe(200);
    await recordHistory(harness.temporal, orderId, 'grocery-late-start-after-lost-decision');
    expect(await settled(harness, orderId, ['completed'])).toMatchObject({
      amounts: { authorised: GROCERY_TOTAL, captured: GROCERY_TOTAL },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['capture', GROCERY_TOTAL],
    ]);
  }, 90_000);
});

async function onlyOrderId(harness: UsedHarness): Promise<string> {
  const records = await harness.database.models.IdempotencyRecord.find({}).lean();
  const last = records.at(-1);
  if (!last?.orderId) throw new Error('checkout recorded no order');
  return last.orderId;
}
