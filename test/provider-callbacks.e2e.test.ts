// Provider callbacks over HTTP: signed, applied as workflow Updates with an immediate answer,
// harmless when repeated, and every outcome of a store's decision leaves money right. What
// a bad signature is refused for: test/provider-signatures.e2e.test.ts.

import request from 'supertest';
import { orderWorkflowId } from '../workflows/messages';
import { recordHistory } from './support/histories';
import {
  eventually,
  useHarness,
  startWebhookReceiver,
  type RegisteredProvider,
  type WebhookReceiver,
} from './support/harness';
import { GROCERY_TOTAL, getOrder, groceryOrder, placeOrder, waitForStatus } from './support/orders';

const harness = useHarness();
let webhooks: WebhookReceiver;
let store: RegisteredProvider;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
  store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
});

afterAll(async () => {
  await webhooks?.close();
});

async function newOrder(providerId = store.providerId): Promise<string> {
  const response = await placeOrder(harness.apiUrl, groceryOrder(providerId));
  expect(response.status).toBe(201);
  return response.body.orderId;
}

describe('confirmation', () => {
  test('repeating an accept is harmless; a contrary decision afterwards is 409', async () => {
    const orderId = await newOrder();
    const first = await store.client.confirm(orderId, { decision: 'accept' });
    const again = await store.client.confirm(orderId, { decision: 'accept' });
    expect([first.status, again.status]).toEqual([200, 200]);
    const contrary = await store.client.confirm(orderId, { decision: 'reject' });
    expect(contrary.status).toBe(409);
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['capture', GROCERY_TOTAL],
    ]);
  });

  test('partial availability captures only the confirmed items and releases the rest', async () => {
    const orderId = await newOrder();
    const response = await store.client.confirm(orderId, {
      decision: 'accept',
      items: [{ sku: 'apple', availableQuantity: 1 }],
    });
    expect(response.status).toBe(200);
    // 1 × 1299 apples + 1 × 1550 milk; one apple's 1299 released.
    expect(response.body.amounts).toMatchObject({
      authorised: GROCERY_TOTAL,
      captured: 2849,
      released: 1299,
    });
    expect(response.body.grocery.confirmedItems).toEqual([
      { sku: 'apple', confirmedQuantity: 1 },
      { sku: 'milk', confirmedQuantity: 1 },
    ]);
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['capture', 2849],
      ['release', 1299],
    ]);
    await eventually(
      async () =>
        (await store.client.reportEvent(orderId, 'delivered')).status === 200 || undefined,
    );
    await recordHistory(harness.temporal, orderId, 'grocery-partial');
  });

  test('a flaky gateway at capture is retried and captures exactly once', async () => {
    const response = await placeOrder(
      harness.apiUrl,
      groceryOrder(store.providerId, { token: 'tok_flaky' }),
    );
    const orderId = response.body.orderId;
    const confirmed = await store.client.confirm(orderId, { decision: 'accept' });
    expect(confirmed.body).toMatchObject({
      status: 'confirmed',
      amounts: { captured: GROCERY_TOTAL },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['capture', GROCERY_TOTAL],
    ]);
    const calls = await harness.database.models.SandboxCall.countDocuments({
      key: `order:${orderId}:capture`,
    });
    expect(calls).toBe(3); // two simulated failures, then the capture
  });

  test('nothing available is a rejection: the authorisation is released in full', async () => {
    const orderId = await newOrder();
    const response = await store.client.confirm(orderId, {
      decision: 'accept',
      items: [
        { sku: 'apple', availableQuantity: 0 },
        { sku: 'milk', availableQuantity: 0 },
      ],
    });
    expect(response.body).toMatchObject({
      status: 'rejected',
      amounts: { captured: 0, released: GROCERY_TOTAL },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['void', GROCERY_TOTAL],
    ]);
  });

  test('a rejection releases the authorisation and the order ends rejected', async () => {
    const orderId = await newOrder();
    const response = await store.client.confirm(orderId, {
      decision: 'reject',
      reason: 'closing early',
    });
    expect(response.body).toMatchObject({
      status: 'rejected',
      failure: { code: 'provider_rejected', message: 'closing early' },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['void', GROCERY_TOTAL],
    ]);
    const late = await store.client.confirm(orderId, { decision: 'accept' });
    expect(late.status).toBe(409);
    // However late, repeating the same decision is harmless and answers with the order.
    await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
    const repeated = await store.client.confirm(orderId, {
      decision: 'reject',
      reason: 'closing early',
    });
    expect(repeated.status).toBe(200);
    expect(repeated.body.status).toBe('rejected');
    await recordHistory(harness.temporal, orderId, 'grocery-rejected');
  });

  test('an item the order does not have is 422 and the order still awaits an answer', async () => {
    const orderId = await newOrder();
    const response = await store.client.confirm(orderId, {
      decision: 'accept',
      items: [{ sku: 'caviar', availableQuantity: 1 }],
    });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('invalid_request');
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
  });

  test('a bad body is 422 naming the field', async () => {
    const orderId = await newOrder();
    const response = await store.client.confirm(orderId, { decision: 'maybe' });
    expect(response.status).toBe(422);
    expect(response.body.error.details[0].path).toBe('decision');
  });

  test('no answer by the deadline releases the authorisation and the order expires', async () => {
    const slowStore = await harness.registerProvider({
      vertical: 'grocery',
      confirmationTimeoutSeconds: 2,
    });
    const orderId = await newOrder(slowStore.providerId);
    const expired = await waitForStatus(harness.apiUrl, orderId, 'expired');
    expect(expired).toMatchObject({
      failure: { code: 'provider_timeout' },
      amounts: { captured: 0, released: GROCERY_TOTAL },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['void', GROCERY_TOTAL],
    ]);
    const late = await slowStore.client.confirm(orderId, { decision: 'accept' });
    expect(late.status).toBe(409);
    await recordHistory(harness.temporal, orderId, 'grocery-expired');
  });
});

describe('webhooks and polling', () => {
  test('a webhook the store refuses is retried until it is taken', async () => {
    webhooks.answerWith(503);
    const orderId = await newOrder();
    await webhooks.waitFor((w) => w.body.order.orderId === orderId);
    webhooks.answerWith(204);
    await eventually(
      () =>
        webhooks.received.filter((w) => w.body.order.orderId === orderId).length >= 2 || undefined,
      15_000,
      'a second delivery',
    );
    const deliveries = webhooks.received.filter((w) => w.body.order.orderId === orderId);
    expect(new Set(deliveries.map((w) => w.headers['orderflow-event-id']))).toEqual(
      new Set([`${orderId}:order.created`]),
    );
  });

  test('a store without a webhook polls for its orders with a signed GET', async () => {
    const pollingStore = await harness.registerProvider({ vertical: 'grocery' });
    const orderId = await newOrder(pollingStore.providerId);
    // The list follows a moment after each change; written now, it shows the order.
    await harness.flushListing();
    const listed = await pollingStore.client.listOrders();
    expect(listed.status).toBe(200);
    expect((listed.body as { orders: { orderId: string }[] }).orders.map((o) => o.orderId)).toEqual(
      [orderId],
    );
    const unsigned = await request(harness.apiUrl).get(
      `/v1/providers/${pollingStore.providerId}/orders`,
    );
    expect(unsigned.status).toBe(401);
  });
});

describe('dispatch events', () => {
  test('an event that does not apply to groceries is 422; a repeated one is recorded once', async () => {
    const orderId = await newOrder();
    await store.client.confirm(orderId, { decision: 'accept' });
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    const wrongVertical = await store.client.reportEvent(orderId, 'checked_in');
    expect(wrongVertical.status).toBe(422);
    const pickedUp = await store.client.reportEvent(orderId, 'picked_up');
    const again = await store.client.reportEvent(orderId, 'picked_up');
    expect([pickedUp.status, again.status]).toEqual([200, 200]);
    expect((again.body as { dispatch: { events: unknown[] } }).dispatch.events).toHaveLength(1);
  });

  test('events for a finished order are 409', async () => {
    const orderId = await newOrder();
    await store.client.confirm(orderId, { decision: 'reject' });
    const response = await store.client.reportEvent(orderId, 'delivered');
    expect(response.status).toBe(409);
  });
});
