// Provider events are facts. A store that confirms and at once reports the pickup and the
// delivery, before orderflow has even assigned the courier, loses nothing: each event is kept
// and applied in the order the store says things happened, once the order reaches its step.

import { recordHistory } from './support/histories';
import { useHarnessWithStore } from './support/harness';
import {
  cancelOrder,
  GROCERY_TOTAL,
  getOrder,
  groceryOrder,
  placeOrder,
  waitForStatus,
} from './support/orders';

const suite = useHarnessWithStore();

test('pickup and delivery reported right after the confirmation complete the order in order', async () => {
  const checkout = await placeOrder(suite.harness.apiUrl, groceryOrder(suite.store.providerId));
  const orderId: string = checkout.body.orderId;
  const now = Date.now();
  const [confirmed, pickedUp, delivered] = await Promise.all([
    suite.store.client.confirm(orderId, { decision: 'accept' }),
    suite.store.client.reportEvent(orderId, 'picked_up', new Date(now - 2_000).toISOString()),
    suite.store.client.reportEvent(orderId, 'delivered', new Date(now - 1_000).toISOString()),
  ]);
  // The events may race the confirmation: each is either applied, kept, or (when it arrived
  // before the store's own acceptance) refused with 409 so the store retries.
  expect(confirmed.status).toBe(200);
  for (const answer of [pickedUp, delivered]) expect([200, 409]).toContain(answer.status);
  if (pickedUp.status === 409) await suite.store.client.reportEvent(orderId, 'picked_up');
  if (delivered.status === 409) await suite.store.client.reportEvent(orderId, 'delivered');

  const completed = await waitForStatus(suite.harness.apiUrl, orderId, 'completed');
  expect(completed.dispatch.courier).toBeDefined();
  expect(completed.dispatch.events.map((e: { type: string }) => e.type).sort()).toEqual([
    'delivered',
    'picked_up',
  ]);
  expect(completed.dispatch.events.some((e: { pending?: boolean }) => e.pending)).toBe(false);
  expect(await suite.harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
});

test('a pickup reported while the courier is being assigned is kept, and then forbids cancelling', async () => {
  const checkout = await placeOrder(suite.harness.apiUrl, groceryOrder(suite.store.providerId));
  const orderId: string = checkout.body.orderId;
  expect((await suite.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  const early = await suite.store.client.reportEvent(orderId, 'picked_up');
  expect(early.status).toBe(200);
  expect(early.body.dispatch.events).toEqual([expect.objectContaining({ type: 'picked_up' })]);

  const inProgress = await waitForStatus(suite.harness.apiUrl, orderId, 'in_progress');
  expect(inProgress.dispatch.events[0].pending).toBeUndefined();
  // The courier has the bag: the customer can no longer cancel for free, or at all.
  const cancel = await cancelOrder(suite.harness.apiUrl, orderId);
  expect(cancel.status).toBe(409);
  expect(cancel.body.error.code).toBe('not_cancellable');

  expect((await suite.store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(suite.harness.apiUrl, orderId, 'completed');
  await recordHistory(suite.harness.temporal, orderId, 'grocery-early-pickup');
});

test('an event for a closed order contradicts it: 409, nothing changes', async () => {
  const checkout = await placeOrder(suite.harness.apiUrl, groceryOrder(suite.store.providerId));
  const orderId: string = checkout.body.orderId;
  await suite.store.client.confirm(orderId, { decision: 'reject' });
  await waitForStatus(suite.harness.apiUrl, orderId, 'rejected');
  const late = await suite.store.client.reportEvent(orderId, 'delivered');
  expect(late.status).toBe(409);
  expect((await getOrder(suite.harness.apiUrl, orderId)).body.dispatch.events).toEqual([]);
});
