// The worker process on SIGTERM: it stops polling, lets the activity it is running finish,
// and exits cleanly within its grace period; the order carries on with the next worker.

import { eventually, useHarness } from './support/harness';
import { GROCERY_TOTAL, groceryOrder, placeOrder, waitForStatus } from './support/orders';
import { startWorkerProcess } from './support/worker-process';

const harness = useHarness({ withWorker: false });

beforeAll(async () => {
  // No in-process worker: the worker under test is a real process of its own.
});

test('SIGTERM while an authorisation runs: it finishes, the worker exits 0, the order goes on', async () => {
  const worker = startWorkerProcess(harness, 'workers/order-worker.ts');
  await eventually(() => worker.output().includes('order worker started'), 30_000, 'the worker');

  // tok_slow: the gateway takes about two seconds, so the activity is running at SIGTERM.
  const store = await harness.registerProvider({ vertical: 'grocery' });
  // supertest sends on then(): start the call now, await its answer later.
  const checkout = placeOrder(
    harness.apiUrl,
    groceryOrder(store.providerId, { token: 'tok_slow' }),
  ).then((response) => response);
  await eventually(
    () => harness.database.models.IdempotencyRecord.exists({}),
    10_000,
    'the checkout to start',
  );
  await new Promise((resolve) => setTimeout(resolve, 700));
  const signalledAt = Date.now();
  worker.child.kill('SIGTERM');
  const { code } = await worker.exited;
  expect(code).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(25_000); // shutdownGraceTime 20 s + margin
  expect(worker.output()).toContain('order worker stopped');

  // The authorisation the worker was running when told to stop completed at the gateway.
  const record = await harness.database.models.IdempotencyRecord.findOne({}).lean();
  const orderId = record!.orderId;
  expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);

  // The next worker takes the order on from where it is.
  await harness.startWorker();
  const answer = await checkout;
  expect([201, 503]).toContain(answer.status);
  if (answer.status === 201) {
    await store.client.confirm(orderId, { decision: 'accept' });
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  }
});
