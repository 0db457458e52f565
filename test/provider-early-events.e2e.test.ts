// Provider events are facts. A store that reports the pickup before its acceptance has reached
// us, or while the courier is still being assigned, loses nothing: each event is kept and
// applied in the order the store says things happened, once the order reaches its step.
// (Events racing the acceptance and each other: provider-late-events.e2e.test.ts.)

import { recordHistory } from './support/histories';
import { useHarness } from './support/harness';
import {
  cancelOrder,
  GROCERY_TOTAL,
  getOrder,
  groceryOrder,
  placeOrder,
  waitForStatus,
} from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

test('a pickup reported before the store has accepted is kept, then applied once the courier is on the way', async () => {
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  const orderId: string = checkout.body.orderId;
  // The store's pickup overtakes its own acceptance: a fact, kept for its step.
  const early = await harness.store.client.reportEvent(orderId, 'picked_up');
  expect(early.status).toBe(200);
  expect(early.body.status).toBe('awaiting_confirmation');
  expect(early.body.dispatch.events).toEqual([expect.objectContaining({ type: 'picked_up' })]);

  expect((await harness.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  const inProgress = await waitForStatus(harness.apiUrl, orderId, 'in_progress');
  expect(inProgress.dispatch.events[0].pending).toBeUndefined();
  expect((await harness.store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
});

test('a pickup reported while the courier is being assigned is kept, and then forbids cancelling', async () => {
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  const orderId: string = checkout.body.orderId;
  expect((await harness.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  const early = await harness.store.client.reportEvent(orderId, 'picked_up');
  expect(early.status).toBe(200);
  expect(early.body.dispatch.events).toEqual([expect.objectContaining({ type: 'picked_up' })]);

  const inProgress = await waitForStatus(harness.apiUrl, orderId, 'in_progress');
  expect(inProgress.dispatch.events[0].pending).toBeUndefined();
  // The courier has the bag: the customer can no longer cancel for free, or at all.
  const cancel = await cancelOrder(harness.apiUrl, orderId);
  expect(cancel.status).toBe(409);
  expect(cancel.body.error.code).toBe('not_cancellable');

  expect((await harness.store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  await recordHistory(harness.temporal, orderId, 'grocery-early-pickup');
});

test('an event for a closed order contradicts it: 409, nothing changes', async () => {
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  const orderId: string = checkout.body.orderId;
  await harness.store.client.confirm(orderId, { decision: 'reject' });
  await waitForStatus(harness.apiUrl, orderId, 'rejected');
  const late = await harness.store.client.reportEvent(orderId, 'delivered');
  expect(late.status).toBe(409);
  expect((await getOrder(harness.apiUrl, orderId)).body.dispatch.events).toEqual([]);
});
