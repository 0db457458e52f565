// Provider callback signatures over HTTP, against the real servers: a callback is signed over
// "<t>.<METHOD>.<path and query>.<raw body>", so a captured one is worthless on another order,
// endpoint, method or query; every refusal is 401 and changes nothing (order and ledger).

import { createHmac } from 'node:crypto';
import request from 'supertest';
import {
  callbackSignatureHeader,
  callbackSigningPayload,
  SIGNATURE_HEADER,
  type CallbackRequest,
} from '../infra/signing';
import { type RegisteredProvider, useHarness } from './support/harness';
import { GROCERY_TOTAL, getOrder, groceryOrder, placeOrder, waitForStatus } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

const ACCEPT = JSON.stringify({ decision: 'accept' });
const REJECT = JSON.stringify({ decision: 'reject', reason: 'out of stock' });
const MINUTE = 60_000;
const AUTHORISED: [string, number][] = [['authorisation', GROCERY_TOTAL]];
const CAPTURED: [string, number][] = [
  ['authorisation', GROCERY_TOTAL],
  ['capture', GROCERY_TOTAL],
];

async function newOrder(providerId = harness.store.providerId): Promise<string> {
  const response = await placeOrder(harness.apiUrl, groceryOrder(providerId));
  expect(response.status).toBe(201);
  return response.body.orderId;
}

const ordersPath = (providerId = harness.store.providerId) => `/v1/providers/${providerId}/orders`;
const confirmationPath = (orderId: string) => `${ordersPath()}/${orderId}/confirmation`;
const eventsPath = (orderId: string) => `${ordersPath()}/${orderId}/events`;

/** A callback header as a provider makes it; by default the store's secret, now. */
function sign(
  signed: CallbackRequest,
  options: { secret?: string | string[]; at?: Date } = {},
): string {
  return callbackSignatureHeader(options.secret ?? harness.store.signingSecret, signed, options.at);
}

/** Sends exactly this method, target, body and signature header (none when undefined). */
function send(method: 'GET' | 'POST', target: string, body: string, header: string | undefined) {
  const call =
    method === 'GET'
      ? request(harness.apiUrl).get(target)
      : request(harness.apiUrl).post(target).set('Content-Type', 'application/json');
  if (header !== undefined) call.set(SIGNATURE_HEADER, header);
  return method === 'POST' ? call.send(body) : call;
}

function expectRefused(response: { status: number; body: { error?: { code?: string } } }) {
  expect({ status: response.status, code: response.body.error?.code }).toEqual({
    status: 401,
    code: 'invalid_signature',
  });
}

async function expectUnchanged(
  orderId: string,
  status: string,
  ledger: [string, number][],
  events: string[] = [],
) {
  const order = (await getOrder(harness.apiUrl, orderId)).body;
  expect({
    status: order.status,
    events: order.dispatch.events.map((e: { type: string }) => e.type),
  }).toEqual({ status, events });
  expect(await harness.ledgerOf(orderId)).toEqual(ledger);
}

/** An accepted confirmation was applied: captured, and the order confirmed or gone on to dispatch. */
async function expectConfirmed(orderId: string) {
  const order = (await getOrder(harness.apiUrl, orderId)).body;
  expect(['confirmed', 'dispatching']).toContain(order.status);
  expect(order.dispatch.events).toEqual([]);
  expect(await harness.ledgerOf(orderId)).toEqual(CAPTURED);
}

describe('a captured callback cannot be replayed against another order', () => {
  test("a reject signed for order A and replayed to order B is 401 and B is untouched; A's own is applied", async () => {
    const [a, b] = [await newOrder(), await newOrder()];
    const header = sign({ method: 'POST', target: confirmationPath(a), rawBody: REJECT });

    expectRefused(await send('POST', confirmationPath(b), REJECT, header));
    await expectUnchanged(b, 'awaiting_confirmation', AUTHORISED);

    const genuine = await send('POST', confirmationPath(a), REJECT, header);
    expect({ status: genuine.status, order: genuine.body.status }).toEqual({
      status: 200,
      order: 'rejected',
    });
    await expectUnchanged(b, 'awaiting_confirmation', AUTHORISED);
  });

  test('a delivered event signed for order A and replayed to two other orders is 401; they stay undelivered', async () => {
    const orders = [await newOrder(), await newOrder(), await newOrder()];
    for (const orderId of orders) {
      expect((await harness.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(
        200,
      );
      await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    }
    const [a, ...others] = orders as [string, string, string];
    const delivered = JSON.stringify({ type: 'delivered', at: new Date().toISOString() });
    const header = sign({ method: 'POST', target: eventsPath(a), rawBody: delivered });

    for (const other of others) {
      expectRefused(await send('POST', eventsPath(other), delivered, header));
      await expectUnchanged(other, 'dispatching', CAPTURED);
    }

    const genuine = await send('POST', eventsPath(a), delivered, header);
    expect({ status: genuine.status, order: genuine.body.status }).toEqual({
      status: 200,
      order: 'completed',
    });
    for (const other of others) await expectUnchanged(other, 'dispatching', CAPTURED);
  });
});

describe('the method and the path and query as sent are signed', () => {
  /** The confirmation path with the order id's first character percent-encoded. */
  const encoded = (orderId: string) =>
    confirmationPath(orderId).replace(
      /\/orders\/(.)/,
      (_match, c: string) => `/orders/%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  const post = (target: string): CallbackRequest => ({ method: 'POST', target, rawBody: ACCEPT });

  // [case, the target the request is sent to, what the provider signed]
  const cases: [string, (orderId: string) => string, (orderId: string) => CallbackRequest][] = [
    [
      'another method (PUT)',
      confirmationPath,
      (orderId) => ({ ...post(confirmationPath(orderId)), method: 'PUT' }),
    ],
    [
      'another method (GET)',
      confirmationPath,
      (orderId) => ({ ...post(confirmationPath(orderId)), method: 'GET' }),
    ],
    [
      'another endpoint of the same order (its events)',
      confirmationPath,
      (id) => post(eventsPath(id)),
    ],
    [
      'the path with a query the request does not carry',
      confirmationPath,
      (orderId) => post(`${confirmationPath(orderId)}?via=replay`),
    ],
    [
      'the path without the trailing slash the request carries',
      (orderId) => `${confirmationPath(orderId)}/`,
      (orderId) => post(confirmationPath(orderId)),
    ],
    [
      'the decoded path of a percent-encoded request',
      encoded,
      (orderId) => post(confirmationPath(orderId)),
    ],
  ];

  test.each(cases)(
    'a signature over %s is 401 and changes nothing',
    async (_case, sent, signed) => {
      const orderId = await newOrder();
      expectRefused(await send('POST', sent(orderId), ACCEPT, sign(signed(orderId))));
      await expectUnchanged(orderId, 'awaiting_confirmation', AUTHORISED);
    },
  );

  test.each(cases.slice(-2))(
    'signed over its target exactly as sent, the request is applied (%s)',
    async (_case, sent) => {
      const orderId = await newOrder();
      const target = sent(orderId);
      expect(target).not.toBe(confirmationPath(orderId));
      const response = await send('POST', target, ACCEPT, sign(post(target)));
      expect({ status: response.status, order: response.body.status }).toEqual({
        status: 200,
        order: 'confirmed',
      });
      await expectConfirmed(orderId);
    },
  );
});

describe('forged, tampered and stale signatures', () => {
  const forgeries: [string, (orderId: string) => string | undefined][] = [
    ['missing', () => undefined],
    [
      'made with another secret',
      (orderId) =>
        sign(
          { method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT },
          { secret: 'whsec_not_the_providers_secret' },
        ),
    ],
    [
      'over another body (the request body was tampered with)',
      (orderId) => sign({ method: 'POST', target: confirmationPath(orderId), rawBody: REJECT }),
    ],
    [
      'older than five minutes',
      (orderId) =>
        sign(
          { method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT },
          { at: new Date(Date.now() - 6 * MINUTE) },
        ),
    ],
    [
      'from more than five minutes in the future',
      (orderId) =>
        sign(
          { method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT },
          { at: new Date(Date.now() + 6 * MINUTE) },
        ),
    ],
    [
      'over the body only (the webhook scheme)',
      (orderId) => {
        const t = sign({ method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT });
        const timestamp = /t=(\d+)/.exec(t)![1];
        return `t=${timestamp},v1=${createHmac('sha256', harness.store.signingSecret).update(`${timestamp}.${ACCEPT}`).digest('hex')}`;
      },
    ],
    ['malformed', () => 't=abc,v1=zz'],
    [
      'with two v1 of which none matches',
      (orderId) =>
        sign(
          { method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT },
          { secret: ['whsec_retired_secret', 'whsec_not_the_providers_secret'] },
        ),
    ],
  ];

  test.each(forgeries)('a signature %s is 401 and changes nothing', async (_case, forge) => {
    const orderId = await newOrder();
    expectRefused(await send('POST', confirmationPath(orderId), ACCEPT, forge(orderId)));
    await expectUnchanged(orderId, 'awaiting_confirmation', AUTHORISED);
  });

  test('a stale signature is told apart from a wrong one', async () => {
    const orderId = await newOrder();
    const signed = { method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT };
    const stale = await send(
      'POST',
      signed.target,
      ACCEPT,
      sign(signed, { at: new Date(Date.now() - 6 * MINUTE) }),
    );
    const wrong = await send('POST', signed.target, REJECT, sign(signed));
    expect([stale.body.error.message, wrong.body.error.message]).toEqual([
      'the signature timestamp is outside the allowed window',
      'the signature does not match the method, path and query, and body of this request',
    ]);
    await expectUnchanged(orderId, 'awaiting_confirmation', AUTHORISED);
  });

  test('during a rotation, two v1 of which only the second matches are accepted', async () => {
    const orderId = await newOrder();
    const signed = { method: 'POST', target: confirmationPath(orderId), rawBody: ACCEPT };
    const header = sign(signed, { secret: ['whsec_retired_secret', harness.store.signingSecret] });
    expect(header.match(/v1=/g)).toHaveLength(2);
    const response = await send('POST', signed.target, ACCEPT, header);
    expect({ status: response.status, order: response.body.status }).toEqual({
      status: 200,
      order: 'confirmed',
    });
    await expectConfirmed(orderId);
  });

  test("a provider cannot touch another provider's order, even signing correctly", async () => {
    const orderId = await newOrder();
    const other = await harness.registerProvider({ vertical: 'grocery' });
    const response = await other.client.confirm(orderId, { decision: 'accept' });
    expect(response.status).toBe(404);
    await expectUnchanged(orderId, 'awaiting_confirmation', AUTHORISED);
  });
});

describe('a signed GET signs its query', () => {
  let orderId: string;
  let poller: RegisteredProvider;
  beforeAll(async () => {
    poller = await harness.registerProvider({ vertical: 'grocery' });
    orderId = await newOrder(poller.providerId);
  });
  const listed = (body: { orders?: { orderId: string }[] }) => body.orders?.map((o) => o.orderId);
  const awaiting = () => `${ordersPath(poller.providerId)}?status=awaiting_confirmation`;

  test('signed over the query as sent, it lists the orders', async () => {
    await harness.flushListing(); // the list follows a moment after each change
    const target = `${awaiting()}&limit=5`;
    const header = sign({ method: 'GET', target, rawBody: '' }, { secret: poller.signingSecret });
    const response = await send('GET', target, '', header);
    expect({ status: response.status, orders: listed(response.body) }).toEqual({
      status: 200,
      orders: [orderId],
    });
  });

  test.each<[string, () => string, () => string]>([
    ['another query', () => `${ordersPath(poller.providerId)}?status=confirmed`, () => awaiting()],
    ['no query', () => ordersPath(poller.providerId), () => awaiting()],
    [
      'the same parameters in another order',
      () => `${awaiting()}&limit=5`,
      () => `${ordersPath(poller.providerId)}?limit=5&status=awaiting_confirmation`,
    ],
    ['a POST', () => awaiting(), () => awaiting()],
  ])('signed over %s, it is 401', async (name, signedTarget, sentTarget) => {
    const method = name === 'a POST' ? 'POST' : 'GET';
    const header = sign(
      { method, target: signedTarget(), rawBody: '' },
      { secret: poller.signingSecret },
    );
    const response = await send('GET', sentTarget(), '', header);
    expectRefused(response);
    expect(response.body.orders).toBeUndefined();
  });
});

test('the OpenAPI security scheme gives the signing string and a correct example', async () => {
  const document = (await request(harness.apiUrl).get('/openapi.json')).body;
  const description: string = document.components.securitySchemes.providerSignature.description;
  expect(description).toContain('"<t>.<METHOD>.<path and query>.<raw body>"');
  const example = /`(1764000000\.POST\.[^`]+)`/.exec(description)?.[1];
  expect(example).toBe(
    callbackSigningPayload(1764000000, {
      method: 'POST',
      target: '/v1/providers/p1/orders/o1/confirmation',
      rawBody: ACCEPT,
    }).toString('utf8'),
  );
});
