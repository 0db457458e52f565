// The contract as apps consume it: an app's checkout, its order page, the cancellation quote and
// the cancellation, driven through the client generated from /openapi.json (clients/app:
// openapi-typescript's types, openapi-fetch) against the real API, Temporal and database. The
// compiler checks every call and answer below against the document; the run checks the server
// keeps to it. And each operation's `security` in the document, checked against the server:
// no credentials are refused (401), and of the bearer roles exactly those not listed (403).

import { randomUUID } from 'node:crypto';
import { tomorrowsDeliveryWindow } from '../dev/sample-orders';
import { createOrderflowClient, type CreateOrderRequest } from '../clients/app/client';
import { buildOpenApiDocument } from '../api/openapi';
import { useHarness, TOKENS } from './support/harness';
import { storedOrders } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

/** Two apples, written as an app writes its request: against the generated type. */
function groceryCheckout(paymentToken = 'tok_ok'): CreateOrderRequest {
  return {
    vertical: 'grocery',
    customerId: 'cust-generated-client',
    providerId: harness.store.providerId,
    currency: 'CNY',
    payment: { token: paymentToken },
    grocery: {
      items: [{ sku: 'apple', name: 'Apple', quantity: 2, unitPrice: 1299 }],
      deliveryAddress: '1 Test Road, Hangzhou',
      deliveryWindow: tomorrowsDeliveryWindow(),
    },
  };
}

test('checkout, the order, its quote and its cancellation, through the generated client', async () => {
  const app = createOrderflowClient(harness.apiUrl, TOKENS.app);
  const checkout = {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: groceryCheckout(),
  };

  const placed = await app.POST('/v1/orders', checkout);
  expect(placed.response.status).toBe(201);
  if (!placed.data) throw new Error(`checkout failed: ${JSON.stringify(placed.error)}`);
  const { orderId } = placed.data;
  expect(placed.data).toMatchObject({
    status: 'awaiting_confirmation',
    amounts: { total: 2598, authorised: 2598, captured: 0, refunded: 0 },
  });

  // The app's retry with the same key learns the same order, and moves no money again.
  const retried = await app.POST('/v1/orders', checkout);
  expect(retried.data?.orderId).toBe(orderId);
  expect(retried.response.headers.get('Idempotent-Replayed')).toBe('true');

  const path = { params: { path: { orderId } } };
  const read = await app.GET('/v1/orders/{orderId}', path);
  expect(read.data).toMatchObject({
    orderId,
    vertical: 'grocery',
    status: 'awaiting_confirmation',
  });

  const quote = await app.GET('/v1/orders/{orderId}/cancellation-quote', path);
  expect(quote.data).toMatchObject({ cancellable: true, fee: 0, refund: 0, release: 2598 });

  const cancelled = await app.POST('/v1/orders/{orderId}/cancel', {
    ...path,
    body: { reason: 'changed my mind' },
  });
  expect(cancelled.response.status).toBe(200);
  expect(cancelled.data).toMatchObject({
    fee: 0,
    refunded: 0,
    released: 2598,
    order: { orderId, status: 'cancelled' },
  });
  // Cancelled is final: the quote says so, and a repeated cancellation answers the same and
  // moves no money.
  const after = await app.GET('/v1/orders/{orderId}/cancellation-quote', path);
  expect(after.data?.cancellable).toBe(false);
  const again = await app.POST('/v1/orders/{orderId}/cancel', {
    ...path,
    body: { reason: 'changed my mind' },
  });
  expect(again.data).toMatchObject({ fee: 0, released: 2598, order: { status: 'cancelled' } });
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', 2598],
    ['void', 2598],
  ]);
});

test("refusals arrive in the document's error shape, typed, and change nothing", async () => {
  const app = createOrderflowClient(harness.apiUrl, TOKENS.app);
  const orders = () => storedOrders(harness);
  const before = await orders();

  const invalid = groceryCheckout();
  if (invalid.vertical === 'grocery') invalid.grocery.items = [];
  const refused = await app.POST('/v1/orders', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: invalid,
  });
  expect(refused.response.status).toBe(422);
  expect(refused.data).toBeUndefined();
  expect(refused.error?.error).toMatchObject({
    code: 'validation_failed',
    details: [expect.objectContaining({ path: 'grocery.items' })],
  });
  expect(await orders()).toBe(before);

  const unknown = await app.GET('/v1/orders/{orderId}', {
    params: { path: { orderId: 'ord_not_placed_here' } },
  });
  expect([unknown.response.status, unknown.error?.error.code]).toEqual([404, 'order_not_found']);

  const stranger = createOrderflowClient(harness.apiUrl, 'not-a-token-at-all');
  const unauthenticated = await stranger.GET('/v1/orders/{orderId}', {
    params: { path: { orderId: 'ord_not_placed_here' } },
  });
  expect([unauthenticated.response.status, unauthenticated.error?.error.code]).toEqual([
    401,
    'unauthenticated',
  ]);

  const declined = await app.POST('/v1/orders', {
    params: { header: { 'Idempotency-Key': randomUUID() } },
    body: groceryCheckout('tok_declined'),
  });
  expect([declined.response.status, declined.error?.error.code]).toEqual([402, 'payment_declined']);
});

describe("the document's security is what the server enforces", () => {
  type Security = Record<string, string[]>[];
  const document = buildOpenApiDocument() as unknown as {
    paths: Record<string, Record<string, { security: Security }>>;
  };
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, { security }]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method,
      // Made-up ids: authentication and roles are checked before anything is looked up.
      target: path.replace(/\{(\w+)\}/g, 'unknown-$1'),
      security,
    })),
  );
  const call = (method: string, target: string, token?: string) =>
    fetch(`${harness.apiUrl}${target}`, {
      method: method.toUpperCase(),
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    }).then(async (response) => ({
      status: response.status,
      code: ((await response.json().catch(() => ({}))) as { error?: { code?: string } }).error
        ?.code,
    }));

  test.each(operations.map((op) => [op.key, op] as const))('%s', async (_key, op) => {
    const schemes = op.security.flatMap((requirement) => Object.keys(requirement));
    if (schemes.length === 0) {
      if (op.method === 'get') expect((await call(op.method, op.target)).status).toBe(200);
      return;
    }
    expect(await call(op.method, op.target)).toMatchObject({
      status: 401,
      code: schemes.includes('providerSignature') ? 'invalid_signature' : 'unauthenticated',
    });
    if (!schemes.includes('bearerAuth')) return;
    const roles = op.security.flatMap((requirement) => requirement.bearerAuth ?? []);
    for (const role of ['app', 'support', 'admin'] as const) {
      const answer = await call(op.method, op.target, TOKENS[role]);
      if (roles.includes(role)) expect([role, answer.status]).not.toEqual([role, 403]);
      else expect([role, answer]).toEqual([role, { status: 403, code: 'forbidden' }]);
    }
  });
});
