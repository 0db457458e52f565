// Support finds orders and acts on them: search with filters and a cursor, the attention list
// (a grocery order overdue for delivery), cancellation with the fee waived, the cancellation
// quote apps and support see first, and redelivering a provider's notification.

import request from 'supertest';
import { recordHistory } from './support/histories';
import {
  eventually,
  useHarness,
  startWebhookReceiver,
  TOKENS,
  type RegisteredProvider,
  type WebhookReceiver,
} from './support/harness';
import {
  dateFromToday,
  GROCERY_TOTAL,
  groceryOrder,
  hotelOrder,
  placeOrder,
  waitForStatus,
} from './support/orders';
import { support } from './support/staff';

const harness = useHarness({
  env: { DELIVERY_OVERDUE_GRACE_SECONDS: '1', SETTLEMENT_ATTENTION_SECONDS: '1' },
});
let webhooks: WebhookReceiver;
let store: RegisteredProvider;
let staff: ReturnType<typeof support>;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
  store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  staff = support(harness.apiUrl);
});

afterAll(async () => {
  await webhooks?.close();
});

async function newOrder(body: object = groceryOrder(store.providerId)): Promise<string> {
  const checkout = await placeOrder(harness.apiUrl, body);
  expect(checkout.status).toBe(201);
  return checkout.body.orderId;
}

test('search: filters, newest first, and a cursor that pages without gaps or repeats', async () => {
  const shop = await harness.registerProvider({ vertical: 'grocery' });
  const placed: string[] = [];
  for (let i = 0; i < 5; i++) placed.push(await newOrder(groceryOrder(shop.providerId)));
  const declined = await placeOrder(
    harness.apiUrl,
    groceryOrder(shop.providerId, { token: 'tok_declined' }),
  );
  expect(declined.status).toBe(402);
  // The listing follows a moment after each change; written now, it shows them all.
  await harness.flushListing();

  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await staff.search({
      providerId: shop.providerId,
      status: 'awaiting_confirmation',
      limit: 2,
      ...(cursor ? { cursor } : {}),
    });
    expect(page.status).toBe(200);
    expect(page.body.orders.length).toBeLessThanOrEqual(2);
    seen.push(...page.body.orders.map((o: { orderId: string }) => o.orderId));
    cursor = page.body.nextCursor ?? undefined;
    // An order placed while paging shows up on a new search, never inside this one.
    if (seen.length === 2) placed.push(await newOrder(groceryOrder(shop.providerId)));
  } while (cursor);
  expect(seen).toEqual([...placed.slice(0, 5)].reverse());
  await harness.flushListing();

  const byCustomer = await staff.search({ providerId: shop.providerId, customerId: 'cust_1' });
  expect(byCustomer.body.orders).toHaveLength(7);
  const onlyDeclined = await staff.search({
    providerId: shop.providerId,
    status: 'payment_declined',
  });
  expect(onlyDeclined.body.orders).toHaveLength(1);
  const hotels = await staff.search({ providerId: shop.providerId, vertical: 'hotel' });
  expect(hotels.body.orders).toHaveLength(0);
  const future = await staff.search({ createdFrom: '2999-01-01T00:00:00Z' });
  expect(future.body.orders).toHaveLength(0);

  const badQueries: Record<string, string | number>[] = [
    { status: 'lost' },
    { limit: 0 },
    { cursor: 'garbage' },
    { colour: 'red' },
  ];
  for (const bad of badQueries) {
    const response = await staff.search(bad);
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('validation_failed');
  }
});

test('a grocery order not delivered past its window and grace needs attention until it is', async () => {
  const soon = new Date(Date.now() + 1_000).toISOString();
  const body = groceryOrder(store.providerId);
  body.grocery.deliveryWindow = { start: new Date().toISOString(), end: soon };
  const orderId = await newOrder(body);
  await store.client.confirm(orderId, { decision: 'accept' });
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');

  const flagged = await eventually(
    async () => {
      const page = await staff.search({ needsAttention: 'true', providerId: store.providerId });
      return page.body.orders.find((o: { orderId: string }) => o.orderId === orderId);
    },
    15_000,
    'the overdue order in the attention list',
  );
  expect(flagged.attention).toMatchObject({
    code: 'delivery_overdue',
    reason: expect.stringContaining('not reported delivered'),
  });

  await store.client.reportEvent(orderId, 'delivered');
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  await harness.flushListing();
  const after = await staff.search({ needsAttention: 'true', providerId: store.providerId });
  expect(after.body.orders.map((o: { orderId: string }) => o.orderId)).not.toContain(orderId);
  await recordHistory(harness.temporal, orderId, 'grocery-delivery-overdue');
});

test('the cancellation quote: free while the store has not answered, the hold released', async () => {
  const orderId = await newOrder();
  const forApp = await request(harness.apiUrl)
    .get(`/v1/orders/${orderId}/cancellation-quote`)
    .set('Authorization', `Bearer ${TOKENS.app}`);
  expect(forApp.status).toBe(200);
  expect(forApp.body).toMatchObject({
    cancellable: true,
    fee: 0,
    refund: 0,
    release: GROCERY_TOTAL,
  });
  const otherApp = await request(harness.apiUrl)
    .get(`/v1/orders/${orderId}/cancellation-quote`)
    .set('Authorization', `Bearer ${TOKENS.otherApp}`);
  expect(otherApp.status).toBe(404);
  const forSupport = await staff.quote(orderId);
  expect(forSupport.body).toMatchObject({ cancellable: true, release: GROCERY_TOTAL });

  await store.client.confirm(orderId, { decision: 'accept' });
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  await store.client.reportEvent(orderId, 'picked_up');
  const tooLate = await staff.quote(orderId);
  expect(tooLate.body).toMatchObject({
    cancellable: false,
    reason: 'the courier has already picked the order up',
  });
});

test('support cancels a late hotel booking with the fee waived: everything goes back, audited', async () => {
  const hotel = await harness.registerProvider({ vertical: 'hotel' });
  const checkout = await placeOrder(
    harness.apiUrl,
    hotelOrder(hotel.providerId, { checkIn: dateFromToday(1), nights: 2 }),
  );
  const orderId: string = checkout.body.orderId;
  await hotel.client.confirm(orderId, { decision: 'accept', confirmationCode: 'HX-1' });
  const confirmed = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  const captured: number = confirmed.amounts.captured;
  expect(captured).toBe(2 * 45_000);

  const cancelled = await staff.cancel(orderId, {
    reason: 'hotel overbooked, customer moved',
    waiveFee: true,
  });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ fee: 0, refunded: captured });
  expect(cancelled.body.order.cancellation).toMatchObject({
    requestedBy: 'support',
    staff: { name: 'support', role: 'support' },
    waiveFee: true,
  });
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', captured],
    ['capture', captured],
    ['refund', captured],
  ]);
  const detail = await staff.order(orderId);
  expect(detail.body.audit).toEqual([
    expect.objectContaining({
      action: 'order.cancelled',
      reason: 'hotel overbooked, customer moved',
      result: { status: 200 },
      details: { fee: 0, refunded: captured, released: 0 },
    }),
  ]);
});

test('support redelivers the new-order webhook: same event id, and the answer says it arrived', async () => {
  const orderId = await newOrder();
  const first = await webhooks.waitForEvent('order.created', orderId);
  const redelivered = await staff.redeliver(orderId);
  expect(redelivered.status).toBe(200);
  expect(redelivered.body).toMatchObject({ event: 'order.created', delivered: true, status: 204 });
  const copies = webhooks.received.filter(
    (w) => w.body.type === 'order.created' && w.body.order.orderId === orderId,
  );
  expect(copies).toHaveLength(2);
  expect(copies[1]!.body.id).toBe(first.body.id);

  await store.client.confirm(orderId, { decision: 'accept' });
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  const nothingToSend = await staff.redeliver(orderId);
  expect(nothingToSend.status).toBe(409);
});

test('Temporal finds orders by the same fields: custom search attributes follow the status', async () => {
  const orderId = await newOrder();
  await store.client.confirm(orderId, { decision: 'accept' });
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  const query = `OrderStatus = "dispatching" AND ProviderId = "${store.providerId}" AND Vertical = "grocery" AND CustomerId = "cust_1"`;
  const found = await eventually(
    async () => {
      for await (const workflow of harness.temporal.workflow.list({ query })) {
        if (workflow.workflowId === `order-${orderId}`) return workflow;
      }
      return undefined;
    },
    15_000,
    'the order in Temporal visibility',
  );
  expect(found.searchAttributes).toMatchObject({ OrderStatus: ['dispatching'] });
});

test('a hold the gateway keeps refusing to release needs attention while the workflow retries', async () => {
  const shop = await harness.registerProvider({
    vertical: 'grocery',
    confirmationTimeoutSeconds: 1,
  });
  const orderId = await newOrder(groceryOrder(shop.providerId, { token: 'tok_settlement_outage' }));
  // The store never answers; the order expires and the void hits a settlement outage.
  const flagged = await eventually(
    async () => {
      const page = await staff.search({ needsAttention: 'true', providerId: shop.providerId });
      return page.body.orders.find((o: { orderId: string }) => o.orderId === orderId);
    },
    15_000,
    'the stuck settlement in the attention list',
  );
  expect(flagged.attention).toMatchObject({
    code: 'settlement_stuck',
    reason: expect.stringContaining('releasing the hold'),
  });
  expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
  await harness.temporal.workflow.getHandle(`order-${orderId}`).terminate('test over');
});

test('a token says who it belongs to: support and admin by name and role, nobody else', async () => {
  const me = (token?: string) => {
    const call = request(harness.apiUrl).get('/v1/support/me');
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  expect((await me(TOKENS.support)).body).toEqual({ name: 'support', role: 'support' });
  expect((await me(TOKENS.admin)).body).toEqual({ name: 'admin', role: 'admin' });
  const asApp = await me(TOKENS.app);
  expect(asApp.status).toBe(403);
  expect(asApp.body.error.code).toBe('forbidden');
  expect((await me()).status).toBe(401);
  expect((await me('not-a-real-token-0000')).status).toBe(401);
});
