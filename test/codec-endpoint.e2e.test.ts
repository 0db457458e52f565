// The codec endpoint the Temporal Web UI decrypts payloads through, over HTTP against the real
// servers: admins get an order's stored payloads back whole, support with its payment tokens
// redacted, others are refused; encode and decode round-trip; a payload under an unknown key is
// named, not guessed; the Web UI's origin passes CORS and others do not; and in a real browser
// (Debian's chromium), an operator signed in at /codec/session decodes from the UI's origin
// with cookies, as the UI's "include cross-origin credentials" does. Sessions themselves:
// codec-sessions.e2e.test.ts.

import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, Keyring, payloadsWithin } from '../infra/codec';
import { REDACTED } from '../api/redact';
import { orderWorkflowId } from '../workflows/messages';
import { useHarness, TEST_PAYLOAD_KEY, TOKENS } from './support/harness';
import { groceryOrder, placeOrder } from './support/orders';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let uiPage: Server;
let uiOrigin: string;

beforeAll(async () => {
  // A stand-in for the Web UI: a page on its own origin, allowed by CODEC_CORS_ORIGINS.
  uiPage = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end());
  await new Promise<void>((resolve) => uiPage.listen(0, '127.0.0.1', resolve));
  const address = uiPage.address();
  uiOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

const harness = useHarness(() => ({
  env: { CODEC_CORS_ORIGINS: `${uiOrigin},http://localhost:8233` },
}));

afterAll(async () => {
  await new Promise((resolve) => uiPage?.close(resolve));
});

const b64 = (text: string) => Buffer.from(text).toString('base64');
const fromB64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** A payload in the codec protocol's JSON form. */
const toJson = (payload: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(payload.data!).toString('base64'),
});

/** The history of a new order's workflow, as Temporal stores it (payloads encrypted). */
async function storedOrderHistory() {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
  expect(checkout.status).toBe(201);
  return harness.temporal.workflow.getHandle(orderWorkflowId(checkout.body.orderId)).fetchHistory();
}

/** The workflow input of a new order, as Temporal stores it, in the protocol's JSON form. */
async function storedOrderInput() {
  const history = await storedOrderHistory();
  return toJson(history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!);
}

const codec = (path: 'decode' | 'encode', body: object, token?: string) => {
  const call = request(harness.apiUrl)
    .post(`/codec/${path}`)
    .set('X-Namespace', 'default')
    .send(body);
  return token ? call.set('Authorization', `Bearer ${token}`) : call;
};

test('admins get stored payloads back whole; support with payment tokens redacted, as in the raw history; nobody else', async () => {
  const stored = await storedOrderInput();
  expect(fromB64(stored.metadata.encoding!)).toBe('binary/encrypted');
  expect(fromB64(stored.metadata['encryption-key-id']!)).toBe(TEST_PAYLOAD_KEY.id);

  const decodedAs = async (token: string) => {
    const decoded = await codec('decode', { payloads: [stored] }, token);
    expect(decoded.status).toBe(200);
    const [payload] = decoded.body.payloads;
    expect(fromB64(payload.metadata.encoding)).toBe('json/plain');
    return JSON.parse(fromB64(payload.data));
  };
  const address = { grocery: { deliveryAddress: '1 Test Road, Hangzhou' } };
  expect(await decodedAs(TOKENS.admin)).toMatchObject({
    request: { paymentToken: 'tok_ok', ...address },
  });
  const asSupport = await decodedAs(TOKENS.support);
  expect(asSupport).toMatchObject({ request: { paymentToken: REDACTED, ...address } });
  expect(JSON.stringify(asSupport)).not.toContain('tok_ok');

  const app = await codec('decode', { payloads: [stored] }, TOKENS.app);
  expect(app.status).toBe(403);
  expect(app.body.error.code).toBe('forbidden');
  const none = await codec('decode', { payloads: [stored] });
  expect(none.status).toBe(401);
  const wrong = await codec('decode', { payloads: [stored] }, 'not-a-known-token-0001');
  expect(wrong.status).toBe(401);
  expect(JSON.stringify([app.body, none.body, wrong.body])).not.toContain(b64('tok_ok'));
});

test("every payload of an order's history (workflow input, the gateway calls' tokens): support never gets a payment token, admins do", async () => {
  const payloads = payloadsWithin(await storedOrderHistory()).map(toJson);
  expect(payloads.length).toBeGreaterThan(2);
  const decodedAs = async (token: string) => {
    const decoded = await codec('decode', { payloads }, token);
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toHaveLength(payloads.length);
    return (decoded.body.payloads as { data: string }[]).map((p) => fromB64(p.data)).join('\n');
  };
  expect(await decodedAs(TOKENS.admin)).toContain('"tok_ok"');
  const asSupport = await decodedAs(TOKENS.support);
  expect(asSupport).not.toContain('tok_ok');
  expect(asSupport).toContain(`"${REDACTED}"`);
});

test('encode (operators sending input; it reveals nothing) encrypts under the current key for support and admin; decode reverses it', async () => {
  const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"note":"hello"}') };
  for (const token of [TOKENS.support, TOKENS.admin]) {
    const encoded = await codec('encode', { payloads: [plain] }, token);
    expect(encoded.status).toBe(200);
    const [sealed] = encoded.body.payloads;
    expect(fromB64(sealed.metadata.encoding)).toBe('binary/encrypted');
    expect(fromB64(sealed.metadata['encryption-key-id'])).toBe(TEST_PAYLOAD_KEY.id);
    expect(fromB64(sealed.data)).not.toContain('hello');

    const decoded = await codec('decode', { payloads: [sealed, plain] }, token);
    expect(decoded.body).toEqual({ payloads: [plain, plain] });
  }
  expect((await codec('decode', { payloads: [] }, TOKENS.support)).body).toEqual({ payloads: [] });
  // Protobuf JSON leaves an empty list out: the CLI sends `{}` for no payloads.
  expect((await codec('decode', {}, TOKENS.support)).body).toEqual({ payloads: [] });
});

test('a payload under a key the service does not hold is 422, naming the key', async () => {
  const elsewhere = new EncryptionCodec(
    new Keyring([{ id: 'other-team-1', key: randomBytes(32).toString('base64') }], 'X'),
  );
  const [foreign] = await elsewhere.encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
  ]);
  const body = {
    payloads: [
      {
        metadata: Object.fromEntries(
          Object.entries(foreign!.metadata!).map(([k, v]) => [
            k,
            Buffer.from(v).toString('base64'),
          ]),
        ),
        data: Buffer.from(foreign!.data!).toString('base64'),
      },
    ],
  };
  const response = await codec('decode', body, TOKENS.support);
  expect(response.status).toBe(422);
  expect(response.body.error).toMatchObject({
    code: 'payload_not_decodable',
    message: expect.stringContaining('"other-team-1"'),
  });

  const malformed = await codec('decode', { payloads: [{ data: 'not base64!' }] }, TOKENS.support);
  expect(malformed.status).toBe(422);
  const notJson = await request(harness.apiUrl)
    .post('/codec/decode')
    .set('Authorization', `Bearer ${TOKENS.support}`)
    .set('Content-Type', 'application/json')
    .send('{');
  expect(notJson.status).toBe(400);
  // A body the endpoint would not read is refused, not taken for "no payloads".
  const otherType = await request(harness.apiUrl)
    .post('/codec/decode')
    .set('Authorization', `Bearer ${TOKENS.support}`)
    .set('Content-Type', 'text/plain')
    .send('{"payloads":[]}');
  expect(otherType.status).toBe(400);
});

test("CORS: the Web UI's origins may call with credentials, preflight needs no token; others may not", async () => {
  for (const origin of [uiOrigin, 'http://localhost:8233']) {
    const preflight = await request(harness.apiUrl)
      .options('/codec/decode')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-namespace,authorization');
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST',
    });
    expect(preflight.headers['access-control-allow-headers']).toMatch(
      /Authorization.*Content-Type.*X-Namespace/,
    );
  }
  const allowed = await codec('decode', { payloads: [] }, TOKENS.support).set('Origin', uiOrigin);
  expect(allowed.headers['access-control-allow-origin']).toBe(uiOrigin);

  const evil = 'http://evil.example';
  const refused = await request(harness.apiUrl)
    .options('/codec/decode')
    .set('Origin', evil)
    .set('Access-Control-Request-Method', 'POST');
  expect(refused.status).toBe(403);
  expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  const noCors = await codec('decode', { payloads: [] }, TOKENS.support).set('Origin', evil);
  expect(noCors.headers['access-control-allow-origin']).toBeUndefined();
});

test("in a browser: signed in once, the Web UI origin decodes with credentials (support's view); signed out, it cannot; another page cannot sign it in", async () => {
  const stored = await storedOrderInput();
  let browser: Browser | undefined;
  try {
    // No sandbox: the tests run as root in a container, where chromium's sandbox cannot start.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox'],
    });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${harness.apiUrl}/codec/session`);
    await page.getByLabel('Token').fill(TOKENS.support);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Signed in' }).waitFor();

    await page.goto(uiOrigin);
    // What the Web UI does: POST <endpoint>/decode with X-Namespace, credentials if configured.
    const decodeFromUi = (credentials: 'include' | 'same-origin') =>
      page.evaluate(
        async ({ endpoint, body, credentials }) => {
          const response = await fetch(`${endpoint}/decode`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
            body,
            credentials,
          });
          return { status: response.status, body: await response.text() };
        },
        {
          endpoint: `${harness.apiUrl}/codec`,
          body: JSON.stringify({ payloads: [stored] }),
          credentials,
        },
      );
    const withCookie = await decodeFromUi('include');
    expect(withCookie.status).toBe(200);
    const [payload] = JSON.parse(withCookie.body).payloads;
    expect(fromB64(payload.data)).toContain('1 Test Road, Hangzhou');
    expect(fromB64(payload.data)).not.toContain('tok_ok');
    expect((await decodeFromUi('same-origin')).status).toBe(401);

    // Sign-out on the API's page ends the session: the Web UI's calls fail from then on.
    await page.goto(`${harness.apiUrl}/codec/session`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    await page.goto(uiOrigin);
    expect((await decodeFromUi('include')).status).toBe(401);

    // A page of another origin (here the Web UI's) posting the sign-in form is refused.
    await page.setContent(
      `<form method="post" action="${harness.apiUrl}/codec/session">` +
        `<input name="token" value="${TOKENS.admin}"><button>Go</button></form>`,
    );
    await Promise.all([
      page.waitForURL(`${harness.apiUrl}/codec/session`),
      page.getByRole('button', { name: 'Go' }).click(),
    ]);
    expect(await page.textContent('body')).toContain('cross_site_request');
    await page.goto(uiOrigin);
    expect((await decodeFromUi('include')).status).toBe(401);
  } finally {
    await browser?.close();
  }
});

test('the codec paths are in the OpenAPI document', async () => {
  const { paths } = (await request(harness.apiUrl).get('/openapi.json')).body;
  expect(paths['/codec/decode']).toHaveProperty('post');
  expect(paths['/codec/encode']).toHaveProperty('post');
  expect(paths['/codec/session']).toHaveProperty('post');
});
