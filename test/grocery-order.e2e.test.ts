// A grocery order end to end over HTTP, against the real Temporal server and database:
// checkout authorises, the store is notified by signed webhook and confirms, the payment is
// captured, a courier is assigned, picks up and delivers, and the order completes.

import { orderWorkflowId } from '../workflows/messages';
import { recordHistory } from './support/histories';
import {
  signatureCheck,
  useHarness,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support/harness';
import { GROCERY_TOTAL, groceryOrder, placeOrder, waitForStatus } from './support/orders';

const harness = useHarness();
let webhooks: WebhookReceiver;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});

afterAll(async () => {
  await webhooks?.close();
});

test('a grocery order goes from checkout to delivery, and money moves exactly as the store confirmed', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });

  const checkout = await placeOrder(harness.apiUrl, {
    ...groceryOrder(store.providerId),
    total: 1,
  });
  expect(checkout.status).toBe(201);
  expect(checkout.headers['x-request-id']).toBeTruthy();
  const orderId: string = checkout.body.orderId;
  expect(checkout.body).toMatchObject({
    status: 'awaiting_confirmation',
    vertical: 'grocery',
    // The client's `total: 1` is ignored: the server prices the lines.
    amounts: { total: GROCERY_TOTAL, authorised: GROCERY_TOTAL, captured: 0, refunded: 0 },
  });
  expect(checkout.body.confirmBy).toBeTruthy();

  // The store hears about it by a webhook signed with its secret.
  const created = await webhooks.waitForEvent('order.created', orderId);
  expect(signatureCheck(created, store.signingSecret)).toEqual({ valid: true });

  const confirmed = await store.client.confirm(orderId, { decision: 'accept' });
  expect(confirmed.status).toBe(200);
  expect(confirmed.body).toMatchObject({
    status: 'confirmed',
    amounts: { captured: GROCERY_TOTAL, released: 0 },
  });

  const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  expect(dispatching.dispatch.courier).toMatchObject({
    courierId: expect.any(String),
    name: expect.any(String),
  });

  expect((await store.client.reportEvent(orderId, 'picked_up')).body.status).toBe('in_progress');
  expect((await store.client.reportEvent(orderId, 'delivered')).body.status).toBe('completed');

  const result = await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
  expect(result).toMatchObject({
    status: 'completed',
    amounts: { authorised: GROCERY_TOTAL, captured: GROCERY_TOTAL },
  });
  const completed = await waitForStatus(harness.apiUrl, orderId, 'completed');
  expect(completed.dispatch.events.map((e: { type: string }) => e.type)).toEqual([
    'picked_up',
    'delivered',
  ]);

  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
  await recordHistory(harness.temporal, orderId, 'grocery-completed');
});
