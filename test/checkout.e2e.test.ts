// Checkout over HTTP: one call answers after the payment decision; an Idempotency-Key maps to
// exactly one order and one authorisation; bad input is a clear 4xx that changes nothing.

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { serverTimings } from '../api/middleware/server-timing';
import { recordHistory } from './support/histories';
import { useHarness, startWebhookReceiver, TOKENS, type WebhookReceiver } from './support/harness';
import {
  cancelOrder,
  GROCERY_TOTAL,
  getOrder,
  groceryOrder,
  placeOrder,
  storedOrders,
} from './support/orders';

const harness = useHarness();
let webhooks: WebhookReceiver;
let providerId: string;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
  ({ providerId } = await harness.registerProvider({
    vertical: 'grocery',
    webhookUrl: webhooks.url,
  }));
});

afterAll(async () => {
  await webhooks?.close();
});

const paymentsFor = (orderId: string) =>
  harness.database.models.SandboxPayment.countDocuments({ orderId });
const orderCount = () => storedOrders(harness);
const idempotencyRecords = () => harness.database.models.IdempotencyRecord.countDocuments({});

describe('payment decision', () => {
  test('a declined card answers 402 and the order ends payment_declined with nothing held', async () => {
    const response = await placeOrder(
      harness.apiUrl,
      groceryOrder(providerId, { token: 'tok_declined' }),
    );
    expect(response.status).toBe(402);
    expect(response.body.error.code).toBe('payment_declined');
    const orderId = response.body.error.details[0].orderId;
    const order = await getOrder(harness.apiUrl, orderId);
    expect(order.body).toMatchObject({
      status: 'payment_declined',
      amounts: { authorised: 0, captured: 0 },
    });
    const ledger = await harness.gateway.ledger(orderId);
    expect(ledger.map((e) => [e.type, e.reason])).toEqual([['decline', 'card_declined']]);
    await recordHistory(harness.temporal, orderId, 'grocery-declined');
  });

  test('a flaky gateway is retried until it authorises, exactly once', async () => {
    const response = await placeOrder(
      harness.apiUrl,
      groceryOrder(providerId, { token: 'tok_flaky' }),
    );
    expect(response.status).toBe(201);
    expect(response.body.amounts.authorised).toBe(GROCERY_TOTAL);
    const ledger = await harness.gateway.ledger(response.body.orderId);
    expect(ledger.map((e) => e.type)).toEqual(['authorisation']);
  });

  test('a slow gateway still answers within the one checkout call', async () => {
    const started = Date.now();
    const response = await placeOrder(
      harness.apiUrl,
      groceryOrder(providerId, { token: 'tok_slow' }),
    );
    expect(response.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(response.body.status).toBe('awaiting_confirmation');
  });
});

describe("checkout's Server-Timing", () => {
  test("a placed order's answer names checkout's steps after the API's own time", async () => {
    const response = await placeOrder(harness.apiUrl, groceryOrder(providerId));
    expect(response.status).toBe(201);
    const timings = serverTimings(response.headers['server-timing']);
    expect(Object.keys(timings)).toEqual(['app', 'validation', 'idempotency', 'payment']);
    const { app, validation, idempotency, payment } = timings;
    for (const ms of [validation, idempotency, payment]) expect(ms).toBeGreaterThanOrEqual(0);
    // The workflow's decision is most of it; the steps are parts of the API's own time (each
    // rounded to a tenth of a millisecond).
    expect(payment).toBeGreaterThan(validation!);
    expect(validation! + idempotency! + payment!).toBeLessThanOrEqual(app! + 0.2);
  });

  test('a request that fails validation names only that step', async () => {
    const response = await placeOrder(harness.apiUrl, groceryOrder('no-such-provider'));
    expect(response.status).toBe(404);
    expect(Object.keys(serverTimings(response.headers['server-timing']))).toEqual([
      'app',
      'validation',
    ]);
  });
});

describe('idempotency', () => {
  test('the same key and body replay the first answer: one order, one authorisation', async () => {
    const key = randomUUID();
    const body = groceryOrder(providerId);
    const first = await placeOrder(harness.apiUrl, body, { key });
    // Same content, different key order in the JSON: still the same request.
    const { grocery, payment, ...rest } = body;
    const reordered = { grocery, payment, ...rest };
    const second = await placeOrder(harness.apiUrl, reordered, { key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.orderId).toBe(first.body.orderId);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await paymentsFor(first.body.orderId)).toBe(1);
  });

  test('a replay after the order has moved on still gets the first answer', async () => {
    const key = randomUUID();
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const body = groceryOrder(store.providerId);
    const first = await placeOrder(harness.apiUrl, body, { key });
    await store.client.confirm(first.body.orderId, { decision: 'accept' });
    const replay = await placeOrder(harness.apiUrl, body, { key });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(await paymentsFor(first.body.orderId)).toBe(1);
  });

  test('concurrent calls with one key make one order and one authorisation', async () => {
    const key = randomUUID();
    const body = groceryOrder(providerId, { token: 'tok_slow' });
    const before = await orderCount();
    const answers = await Promise.all(
      [1, 2, 3].map(() => placeOrder(harness.apiUrl, body, { key })),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    const orderIds = new Set(answers.map((a) => a.body.orderId));
    expect(orderIds.size).toBe(1);
    expect(await paymentsFor([...orderIds][0]!)).toBe(1);
    expect(await orderCount()).toBe(before + 1);
  });

  test('a declined checkout replays as 402 without a second authorisation attempt', async () => {
    const key = randomUUID();
    const body = groceryOrder(providerId, { token: 'tok_declined' });
    const first = await placeOrder(harness.apiUrl, body, { key });
    const second = await placeOrder(harness.apiUrl, body, { key });
    expect([first.status, second.status]).toEqual([402, 402]);
    expect(second.body.error.details[0].orderId).toBe(first.body.error.details[0].orderId);
    expect(await paymentsFor(first.body.error.details[0].orderId)).toBe(1);
  });

  test('the same key with another body is 409 idempotency_key_reused and changes nothing', async () => {
    const key = randomUUID();
    await placeOrder(harness.apiUrl, groceryOrder(providerId), { key });
    const before = await orderCount();
    const other = groceryOrder(providerId, {
      items: [{ sku: 'tea', name: 'Green tea', quantity: 1, unitPrice: 999 }],
    });
    const response = await placeOrder(harness.apiUrl, other, { key });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('idempotency_key_reused');
    expect(await orderCount()).toBe(before);
  });

  test("an app cannot see or cancel another app's order", async () => {
    const mine = await placeOrder(harness.apiUrl, groceryOrder(providerId));
    const seen = await getOrder(harness.apiUrl, mine.body.orderId, TOKENS.otherApp);
    expect(seen.status).toBe(404);
    const cancelled = await cancelOrder(
      harness.apiUrl,
      mine.body.orderId,
      'not mine',
      TOKENS.otherApp,
    );
    expect(cancelled.status).toBe(404);
    expect((await getOrder(harness.apiUrl, mine.body.orderId)).body).toMatchObject({
      status: 'awaiting_confirmation',
      placedBy: 'checkout',
    });
  });

  test('keys are scoped to the calling app', async () => {
    const key = randomUUID();
    const body = groceryOrder(providerId);
    const mine = await placeOrder(harness.apiUrl, body, { key });
    const theirs = await placeOrder(harness.apiUrl, body, { key, token: TOKENS.otherApp });
    expect(theirs.status).toBe(201);
    expect(theirs.body.orderId).not.toBe(mine.body.orderId);
  });
});

describe('bad input changes nothing', () => {
  let ordersBefore: number;
  let keysBefore: number;
  beforeEach(async () => {
    ordersBefore = await orderCount();
    keysBefore = await idempotencyRecords();
  });
  afterEach(async () => {
    expect(await orderCount()).toBe(ordersBefore);
    expect(await idempotencyRecords()).toBe(keysBefore);
  });

  test.each([
    [
      'a negative quantity',
      { items: [{ sku: 'a', name: 'A', quantity: -1, unitPrice: 100 }] },
      'grocery.items.0.quantity',
    ],
    [
      'a fractional price',
      { items: [{ sku: 'a', name: 'A', quantity: 1, unitPrice: 1.5 }] },
      'grocery.items.0.unitPrice',
    ],
    ['no items', { items: [] }, 'grocery.items'],
    [
      'a duplicate sku',
      {
        items: [
          { sku: 'a', name: 'A', quantity: 1, unitPrice: 1 },
          { sku: 'a', name: 'A', quantity: 1, unitPrice: 1 },
        ],
      },
      'grocery.items',
    ],
  ])('%s is 422 naming the field', async (_case, grocery, path) => {
    const body = groceryOrder(providerId);
    const response = await placeOrder(harness.apiUrl, {
      ...body,
      grocery: { ...body.grocery, ...grocery },
    });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  test('a missing vertical is 422 naming it', async () => {
    const { vertical: _v, ...body } = groceryOrder(providerId);
    const response = await placeOrder(harness.apiUrl, body);
    expect(response.status).toBe(422);
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain('vertical');
  });

  test('a currency that is not an ISO-4217 code is 422', async () => {
    const response = await placeOrder(harness.apiUrl, {
      ...groceryOrder(providerId),
      currency: 'cny',
    });
    expect(response.status).toBe(422);
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain('currency');
  });

  test('malformed JSON is 400 malformed_json', async () => {
    const response = await request(harness.apiUrl)
      .post('/v1/orders')
      .set('Authorization', `Bearer ${TOKENS.app}`)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send('{"vertical": "grocery",');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('malformed_json');
  });

  test.each([
    ['an array', 'application/json', '[1,2]'],
    ['null', 'application/json', 'null'],
    ['a form body', 'application/x-www-form-urlencoded', 'vertical=grocery'],
    ['no body at all', undefined, undefined],
  ])('%s as the body is 400 and never a 500', async (_case, contentType, payload) => {
    const call = request(harness.apiUrl)
      .post('/v1/orders')
      .set('Authorization', `Bearer ${TOKENS.app}`)
      .set('Idempotency-Key', randomUUID());
    if (contentType) call.set('Content-Type', contentType);
    const response = await (payload === undefined ? call : call.send(payload));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('malformed_json');
  });

  test('a missing Idempotency-Key is 400', async () => {
    const response = await request(harness.apiUrl)
      .post('/v1/orders')
      .set('Authorization', `Bearer ${TOKENS.app}`)
      .send(groceryOrder(providerId));
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('idempotency_key_missing');
  });

  test.each([
    ['no token', undefined, 401, 'unauthenticated'],
    ['an unknown token', 'not-a-real-token-at-all', 401, 'unauthenticated'],
    ['a support token', TOKENS.support, 403, 'forbidden'],
  ])('%s is refused', async (_case, token, status, code) => {
    const call = request(harness.apiUrl).post('/v1/orders').set('Idempotency-Key', randomUUID());
    if (token) call.set('Authorization', `Bearer ${token}`);
    const response = await call.send(groceryOrder(providerId));
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  test('an unknown provider is 404, a provider of another vertical 422', async () => {
    const unknown = await placeOrder(harness.apiUrl, groceryOrder('no-such-provider'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('provider_not_found');
    const { providerId: hotelId } = await harness.registerProvider({ vertical: 'hotel' });
    const mismatch = await placeOrder(harness.apiUrl, groceryOrder(hotelId));
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('provider_vertical_mismatch');
  });

  test('an order whose total is zero is refused', async () => {
    const response = await placeOrder(
      harness.apiUrl,
      groceryOrder(providerId, {
        items: [{ sku: 'free', name: 'Free bag', quantity: 1, unitPrice: 0 }],
      }),
    );
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('amount_out_of_range');
  });

  test('an unknown order is 404 and never a 500', async () => {
    const response = await getOrder(harness.apiUrl, 'ord_does_not_exist');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('order_not_found');
  });
});
