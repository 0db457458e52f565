// Re-routing: a provider that rejects an order whole or lets its deadline pass hands the order
// to its fallbacks, in turn, with the payment's hold kept (one authorisation in the ledger).
// The earlier provider is told the order went elsewhere and its callbacks are 409
// order_rerouted; only when no fallback is left does the order fail and the hold go back, once.

import type { OrderSnapshot } from '../domain/order';
import { orderWorkflowId } from '../workflows/messages';
import { createAdminClient } from '../dev/admin-client';
import { recordHistory } from './support/histories';
import {
  startWebhookReceiver,
  TOKENS,
  useHarness,
  type RegisteredProvider,
  type WebhookReceiver,
} from './support/harness';
import {
  GROCERY_TOTAL,
  groceryOrder,
  placeOrder,
  teleconsultationOrder,
  waitForStatus,
} from './support/orders';
import { support } from './support/staff';

const harness = useHarness();
let webhooks: WebhookReceiver;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});
afterAll(async () => {
  await webhooks.close();
});

async function place(body: object): Promise<string> {
  const checkout = await placeOrder(harness.apiUrl, body);
  expect(checkout.status).toBe(201);
  return checkout.body.orderId as string;
}

const finalOrder = async (orderId: string) =>
  (await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result()) as OrderSnapshot;

async function timelineKinds(orderId: string): Promise<string[]> {
  const history = await support(harness.apiUrl).history(orderId);
  expect(history.status).toBe(200);
  return (history.body.entries as { kind: string }[]).map((entry) => entry.kind);
}

test('a store rejecting the whole order hands it to its fallback, which captures it on the one authorisation', async () => {
  const fallback = await harness.registerProvider({ vertical: 'grocery' });
  const store = await harness.registerProvider({
    vertical: 'grocery',
    webhookUrl: webhooks.url,
    fallbackProviderIds: [fallback.providerId],
  });
  const orderId = await place(groceryOrder(store.providerId));

  const rejected = await store.client.confirm(orderId, { decision: 'reject', reason: 'closed' });
  expect(rejected.status).toBe(200);
  expect(rejected.body.providerId).toBeUndefined(); // the store is not told where it went
  const rerouted = await waitForStatus(harness.apiUrl, orderId, 'awaiting_confirmation');
  expect(rerouted.providerId).toBe(fallback.providerId);
  expect(rerouted.routing).toEqual([
    { providerId: store.providerId, outcome: 'rejected', at: expect.any(String) },
  ]);
  // The store hears the order went elsewhere; its callbacks are refused from now on.
  const notice = await webhooks.waitForEvent('order.cancelled', orderId);
  expect(notice.body.order).toMatchObject({ providerId: store.providerId });
  const late = await store.client.confirm(orderId, { decision: 'accept' });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('order_rerouted');
  expect((await store.client.reportEvent(orderId, 'picked_up')).body.error.code).toBe(
    'order_rerouted',
  );

  const accepted = await fallback.client.confirm(orderId, { decision: 'accept' });
  expect(accepted.status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);

  // Support finds the order under both providers; the timeline shows the hand-over.
  await harness.flushListing();
  for (const providerId of [store.providerId, fallback.providerId]) {
    const found = await support(harness.apiUrl).search({ providerId });
    expect(found.body.orders.map((o: { orderId: string }) => o.orderId)).toContain(orderId);
  }
  expect(await timelineKinds(orderId)).toEqual(
    expect.arrayContaining(['order_rerouted', 'captured']),
  );
  expect((await fallback.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await finalOrder(orderId);
  await recordHistory(harness.temporal, orderId, 'grocery-rerouted-after-rejection');
});

test("a clinic's missed deadline re-routes the consultation to the next clinic, skipping an inactive one", async () => {
  const inactive = await harness.registerProvider({ vertical: 'teleconsultation' });
  const admin = createAdminClient(harness.apiUrl, TOKENS.admin);
  expect((await admin.update(inactive.providerId, { active: false })).status).toBe(200);
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const nextClinic = await harness.registerProvider({ vertical: 'teleconsultation' });
  const clinic = await harness.registerProvider({
    vertical: 'teleconsultation',
    confirmationTimeoutSeconds: 1,
    fallbackProviderIds: [inactive.providerId, store.providerId, nextClinic.providerId],
  });
  const orderId = await place(teleconsultationOrder(clinic.providerId));

  const rerouted = await waitForStatus(harness.apiUrl, orderId, 'awaiting_confirmation', 15_000, {
    until: (order) => order.providerId === nextClinic.providerId,
  });
  expect(rerouted.routing).toEqual([
    { providerId: clinic.providerId, outcome: 'expired', at: expect.any(String) },
  ]);
  // The fallback gets its own full deadline (60 s here), not what was left of the first.
  expect(Date.parse(rerouted.confirmBy) - Date.parse(rerouted.routing[0].at)).toBeGreaterThan(
    50_000,
  );
  expect((await nextClinic.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'confirmed');
  const kinds = await timelineKinds(orderId);
  expect(kinds.filter((kind) => kind === 'fallback_skipped')).toHaveLength(2);
  expect(kinds).toContain('order_rerouted');
});

test('both fallbacks failing: the order ends rejected and the hold is released once', async () => {
  const second = await harness.registerProvider({ vertical: 'grocery' });
  const first = await harness.registerProvider({ vertical: 'grocery' });
  const store = await harness.registerProvider({
    vertical: 'grocery',
    fallbackProviderIds: [first.providerId, second.providerId],
  });
  const orderId = await place(groceryOrder(store.providerId));
  for (const provider of [store, first, second]) {
    await waitForStatus(harness.apiUrl, orderId, 'awaiting_confirmation', 15_000, {
      until: (order) => order.providerId === provider.providerId,
    });
    expect((await provider.client.confirm(orderId, { decision: 'reject' })).status).toBe(200);
  }
  const closed = await finalOrder(orderId);
  expect(closed).toMatchObject({ status: 'rejected', providerId: second.providerId });
  expect(closed.routing?.map((offer) => offer.providerId)).toEqual([
    store.providerId,
    first.providerId,
  ]);
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['void', GROCERY_TOTAL],
  ]);
  await recordHistory(harness.temporal, orderId, 'grocery-rerouted-twice-then-rejected');
});

test('a partial confirmation is not a rejection: the store keeps the order', async () => {
  const fallback: RegisteredProvider = await harness.registerProvider({ vertical: 'grocery' });
  const store = await harness.registerProvider({
    vertical: 'grocery',
    fallbackProviderIds: [fallback.providerId],
  });
  const orderId = await place(groceryOrder(store.providerId));
  const partial = await store.client.confirm(orderId, {
    decision: 'accept',
    items: [
      { sku: 'apple', availableQuantity: 1 },
      { sku: 'milk', availableQuantity: 0 },
    ],
  });
  expect(partial.status).toBe(200);
  const order = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  expect(order.providerId).toBe(store.providerId);
  expect(order.routing).toBeUndefined();
});
