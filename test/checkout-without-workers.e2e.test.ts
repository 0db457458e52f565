// Checkout while every worker is down: the call answers 503 in bounded time instead of
// hanging, the order that Temporal accepted charges nothing when it finally runs, and a retry
// with the same Idempotency-Key then places the order for real.

import { orderWorkflowId } from '../workflows/messages';
import { useHarness } from './support/harness';
import { groceryOrder, placeOrder, storedOrders } from './support/orders';

const harness = useHarness({
  withWorker: false,
  // The wait leaves room for five concurrent retries on a loaded CI machine (2 s was not).
  env: { CHECKOUT_WAIT_SECONDS: '4', CHECKOUT_PAYMENT_WINDOW_SECONDS: '5' },
});

test('no worker: 503 in bounded time, nothing charged later, and the same key retries', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const body = groceryOrder(store.providerId);

  const started = Date.now();
  const unanswered = await placeOrder(harness.apiUrl, body, { key: 'retry-me' });
  expect(unanswered.status).toBe(503);
  expect(unanswered.body.error.code).toBe('checkout_timeout');
  expect(Date.now() - started).toBeLessThan(10_000);

  const record = await harness.database.models.IdempotencyRecord.findOne({
    _id: /retry-me$/,
  }).lean();
  const firstOrderId = record!.orderId;

  // Workers come back after the payment window has passed.
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  await harness.startWorker();
  const stale = await harness.temporal.workflow.getHandle(orderWorkflowId(firstOrderId)).result();
  expect(stale).toMatchObject({
    status: 'payment_declined',
    failure: { code: 'checkout_expired' },
    amounts: { authorised: 0 },
  });
  expect(await harness.gateway.ledger(firstOrderId)).toEqual([]);
  // The late run reversed its authorisation by the key, in case a lost try had made one: the
  // gateway keeps that as a reversed request, so none can arrive late and hold money.
  const first = await harness.database.models.SandboxPayment.find({ orderId: firstOrderId }).lean();
  expect(first.map((payment) => [payment.outcome, payment.authorised])).toEqual([['reversed', 0]]);

  // Several retries at once (a client and its load balancer, say) make exactly one new order.
  const retries = await Promise.all(
    [1, 2, 3, 4, 5].map(() => placeOrder(harness.apiUrl, body, { key: 'retry-me' })),
  );
  expect(retries.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
  const newOrderIds = new Set(retries.map((r) => r.body.orderId));
  expect(newOrderIds.size).toBe(1);
  const [newOrderId] = [...newOrderIds];
  expect(newOrderId).not.toBe(firstOrderId);
  expect(retries[0]!.body.amounts.authorised).toBe(retries[0]!.body.amounts.total);
  expect(
    await harness.database.models.SandboxPayment.countDocuments({ outcome: 'authorised' }),
  ).toBe(1);
  expect(await storedOrders(harness)).toBe(2);
});
