// What a provider's callback may not say: a confirmation naming one item twice, and events
// dated far from now or before the order existed (each 422), and a body that is not JSON (415,
// before its signature is checked). None changes anything; the callback log records each.

import { callbackSignatureHeader, SIGNATURE_HEADER } from '../infra/signing';
import { useHarness } from './support/harness';
import { GROCERY_TOTAL, getOrder, groceryOrder, placeOrder, waitForStatus } from './support/orders';
import { loggedCallbacks } from './support/staff';

const harness = useHarness({ providers: ['grocery'] });

async function newOrder(): Promise<string> {
  const response = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  expect(response.status).toBe(201);
  return response.body.orderId;
}

test('a confirmation naming the same item twice is 422 and the order still awaits an answer', async () => {
  const orderId = await newOrder();
  const response = await harness.store.client.confirm(orderId, {
    decision: 'accept',
    items: [
      { sku: 'apple', availableQuantity: 0 },
      { sku: 'apple', availableQuantity: 2 },
    ],
  });
  expect(response.status).toBe(422);
  expect(response.body.error.code).toBe('validation_failed');
  expect(response.body.error.details).toEqual([
    expect.objectContaining({ path: 'items', message: 'each sku may appear once' }),
  ]);
  expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
  expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
  expect(await loggedCallbacks(harness.apiUrl, orderId)).toEqual([
    expect.objectContaining({ status: 422, accepted: false, code: 'validation_failed' }),
  ]);
});

describe('event times', () => {
  let orderId: string;

  beforeAll(async () => {
    orderId = await newOrder();
    expect((await harness.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  });

  test.each([
    ['the far future', '9999-12-31T00:00:00Z'],
    ['an hour ahead', () => new Date(Date.now() + 3_600_000).toISOString()],
    ['years ago', '2001-01-01T00:00:00Z'],
    ['before the order was placed', () => new Date(Date.now() - 86_400_000).toISOString()],
  ])('an event dated %s is 422 and changes nothing', async (_case, at) => {
    const response = await harness.store.client.reportEvent(
      orderId,
      'picked_up',
      typeof at === 'function' ? at() : at,
    );
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'at' })]);
    const order = (await getOrder(harness.apiUrl, orderId)).body;
    expect(order.status).toBe('dispatching');
    expect(order.dispatch.events).toEqual([]);
  });

  test('an event dated now, with a little clock skew, is taken', async () => {
    const response = await harness.store.client.reportEvent(
      orderId,
      'picked_up',
      new Date(Date.now() + 60_000).toISOString(),
    );
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('in_progress');
  });
});

describe('content type', () => {
  const ACCEPT = Buffer.from(JSON.stringify({ decision: 'accept' }));

  /** A correctly signed confirmation whose body is sent with `contentType` (none: no header). */
  async function confirmAs(orderId: string, contentType: string | undefined) {
    const target = `/v1/providers/${harness.store.providerId}/orders/${orderId}/confirmation`;
    const headers: Record<string, string> = {
      [SIGNATURE_HEADER]: callbackSignatureHeader(harness.store.signingSecret, {
        method: 'POST',
        target,
        rawBody: ACCEPT,
      }),
    };
    if (contentType !== undefined) headers['content-type'] = contentType;
    // Bytes, so that fetch adds no Content-Type of its own.
    const response = await fetch(`${harness.apiUrl}${target}`, {
      method: 'POST',
      headers,
      body: new Uint8Array(ACCEPT),
    });
    const body = (await response.json()) as { status?: string; error?: { code?: string } };
    return { status: response.status, code: body.error?.code, orderStatus: body.status };
  }

  test.each([
    ['text/plain', 'text/plain', 'unsupported_media_type'],
    ['a form', 'application/x-www-form-urlencoded', 'unsupported_media_type'],
    ['multipart', 'multipart/form-data; boundary=x', 'unsupported_media_type'],
    ['no content type', undefined, 'unsupported_media_type'],
    ['JSON in Latin-1', 'application/json; charset=latin1', 'unsupported_encoding'],
  ])(
    'a signed accept sent as %s is 415 and changes nothing; the callback log records it',
    async (_case, contentType, code) => {
      const orderId = await newOrder();
      expect(await confirmAs(orderId, contentType)).toEqual({
        status: 415,
        code,
        orderStatus: undefined,
      });
      expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
      expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
      expect(await loggedCallbacks(harness.apiUrl, orderId)).toEqual([
        expect.objectContaining({ kind: 'confirmation', status: 415, accepted: false, code }),
      ]);

      // The same signed bytes as JSON are taken: only the content type was wrong.
      expect(await confirmAs(orderId, 'application/json; charset=utf-8')).toMatchObject({
        status: 200,
      });
    },
  );
});

test('the OpenAPI document lists the 415 on both callbacks', async () => {
  const { paths } = (await fetch(`${harness.apiUrl}/openapi.json`).then((r) => r.json())) as {
    paths: Record<string, { post: { responses: Record<string, unknown> } }>;
  };
  for (const kind of ['confirmation', 'events'])
    expect(
      paths[`/v1/providers/{providerId}/orders/{orderId}/${kind}`]!.post.responses,
    ).toHaveProperty('415');
});
