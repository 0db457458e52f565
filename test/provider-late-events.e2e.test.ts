// Provider events race each other and the acceptance, and a store retries what was refused.
// Orders stay open after they close (the refund window, 30 days in production; an hour here),
// so a fact that reaches us after the order completed, but happened before, is still
// recorded: it changes no status and moves no money. One dated after the completion is 409.

import { useHarness } from './support/harness';
import { GROCERY_TOTAL, getOrder, groceryOrder, placeOrder, waitForStatus } from './support/orders';

const harness = useHarness({ env: { REFUND_WINDOW_SECONDS: '3600' }, providers: ['grocery'] });

async function placedOrder(): Promise<string> {
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  expect(checkout.status).toBe(201);
  return checkout.body.orderId;
}

/** An order the store accepted and reported delivered (no pickup); `before` is taken first. */
async function deliveredOrder(): Promise<{ orderId: string; before: string }> {
  const orderId = await placedOrder();
  expect((await harness.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  const before = new Date().toISOString();
  expect((await harness.store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  return { orderId, before };
}

const typesOf = (order: { dispatch: { events: { type: string }[] } }) =>
  order.dispatch.events.map((e) => e.type).sort();

test('pickup and delivery reported together with the acceptance are all taken, and the order completes with both', async () => {
  const orderId = await placedOrder();
  const now = Date.now();
  const answers = await Promise.all([
    harness.store.client.confirm(orderId, { decision: 'accept' }),
    harness.store.client.reportEvent(orderId, 'picked_up', new Date(now - 2_000).toISOString()),
    harness.store.client.reportEvent(orderId, 'delivered', new Date(now - 1_000).toISOString()),
  ]);
  // Kept before the acceptance, applied at their step, or recorded after the completion:
  // never refused.
  expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);

  const completed = await waitForStatus(harness.apiUrl, orderId, 'completed');
  expect(completed.dispatch.courier).toBeDefined();
  expect(typesOf(completed)).toEqual(['delivered', 'picked_up']);
  expect(completed.dispatch.events.some((e: { pending?: boolean }) => e.pending)).toBe(false);
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
});

test('a pickup retried after the delivery completed the order is recorded; the order stays completed and no money moves', async () => {
  const { orderId, before: pickedUpAt } = await deliveredOrder();

  const late = await harness.store.client.reportEvent(orderId, 'picked_up', pickedUpAt);
  expect(late.status).toBe(200);
  expect(late.body.status).toBe('completed');
  expect(typesOf(late.body)).toEqual(['delivered', 'picked_up']);
  // Repeating it is harmless.
  expect((await harness.store.client.reportEvent(orderId, 'picked_up', pickedUpAt)).status).toBe(
    200,
  );
  const order = (await getOrder(harness.apiUrl, orderId)).body;
  expect(order.status).toBe('completed');
  expect(order.amounts).toMatchObject({ captured: GROCERY_TOTAL, refunded: 0 });
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
});

test('a pickup dated after the order completed cannot have happened: 409, nothing recorded', async () => {
  const { orderId } = await deliveredOrder();

  const after = new Date(Date.now() + 60_000).toISOString();
  const late = await harness.store.client.reportEvent(orderId, 'picked_up', after);
  expect(late.status).toBe(409);
  expect(typesOf((await getOrder(harness.apiUrl, orderId)).body)).toEqual(['delivered']);
});
