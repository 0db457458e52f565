// Customer cancellation of grocery orders: free until the courier picks the order up, and
// afterwards refused. Whatever was held is released, whatever was captured is refunded, and
// the store is told.

import { recordHistory } from './support/histories';
import {
  useHarness,
  startWebhookReceiver,
  type RegisteredProvider,
  type WebhookReceiver,
} from './support/harness';
import {
  cancelOrder,
  GROCERY_TOTAL,
  getOrder,
  groceryOrder,
  placeOrder,
  waitForStatus,
} from './support/orders';

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

async function newOrder(): Promise<string> {
  const response = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
  expect(response.status).toBe(201);
  return response.body.orderId;
}

async function dispatchingOrder(availability?: { sku: string; availableQuantity: number }[]) {
  const orderId = await newOrder();
  const confirmed = await store.client.confirm(orderId, {
    decision: 'accept',
    ...(availability ? { items: availability } : {}),
  });
  expect(confirmed.status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching'); // a courier is assigned
  return orderId;
}

test('before the store answers, cancelling is free and releases the whole hold', async () => {
  const orderId = await newOrder();
  const response = await cancelOrder(harness.apiUrl, orderId, 'ordered by mistake');
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ fee: 0, refunded: 0, released: GROCERY_TOTAL });
  expect(response.body.order).toMatchObject({
    status: 'cancelled',
    cancellation: { reason: 'ordered by mistake', requestedBy: 'customer', fee: 0 },
    amounts: { captured: 0, released: GROCERY_TOTAL },
  });
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['void', GROCERY_TOTAL],
  ]);
  const notice = await webhooks.waitForEvent('order.cancelled', orderId);
  expect(notice.body.order.status).toBe('cancelled');
  // The store can no longer accept it.
  expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(409);
  await recordHistory(harness.temporal, orderId, 'grocery-cancelled-before-confirmation');
});

test('with a courier assigned but no pickup yet, cancelling refunds everything captured', async () => {
  // The store had one apple of two: 2849 captured, 1299 released at capture.
  const orderId = await dispatchingOrder([{ sku: 'apple', availableQuantity: 1 }]);
  const response = await cancelOrder(harness.apiUrl, orderId);
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ fee: 0, refunded: 2849, released: 1299 });
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', 2849],
    ['release', 1299],
    ['refund', 2849],
  ]);
  const order = await getOrder(harness.apiUrl, orderId);
  expect(order.body).toMatchObject({
    status: 'cancelled',
    amounts: { captured: 2849, refunded: 2849 },
  });
  await recordHistory(harness.temporal, orderId, 'grocery-cancelled-after-capture');
});

test('once the courier has picked the order up, cancelling is 409 not_cancellable and moves no money', async () => {
  const orderId = await dispatchingOrder();
  expect((await store.client.reportEvent(orderId, 'picked_up')).status).toBe(200);
  const response = await cancelOrder(harness.apiUrl, orderId);
  expect(response.status).toBe(409);
  expect(response.body.error.code).toBe('not_cancellable');
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
  expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('in_progress');
});

test('cancelling twice answers the same and refunds once', async () => {
  const orderId = await dispatchingOrder();
  const [first, second] = await Promise.all([
    cancelOrder(harness.apiUrl, orderId),
    cancelOrder(harness.apiUrl, orderId),
  ]);
  expect([first.status, second.status]).toEqual([200, 200]);
  expect(second.body.refunded).toBe(first.body.refunded);
  const third = await cancelOrder(harness.apiUrl, orderId);
  expect(third.status).toBe(200);
  expect((await harness.ledgerOf(orderId)).filter(([type]) => type === 'refund')).toEqual([
    ['refund', GROCERY_TOTAL],
  ]);
});

test('a finished order cannot be cancelled', async () => {
  const orderId = await newOrder();
  await store.client.confirm(orderId, { decision: 'reject' });
  const response = await cancelOrder(harness.apiUrl, orderId);
  expect(response.status).toBe(409);
  expect(response.body.error.code).toBe('not_cancellable');
});
