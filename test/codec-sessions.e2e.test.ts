// Browsers' sign-in to the codec endpoint (the Temporal Web UI sends its cookie), over HTTP
// against the real servers and database: the cookie holds a random session id, never the
// token, and the database only that id's hash; sign-out revokes the session everywhere; an
// expired session, or one whose token left API_TOKENS, is refused and deleted; a session
// started on one API process works on another sharing the database; other sites' pages cannot
// sign a browser in or out; and the cookie is `Secure` exactly when the request came over HTTPS
// through a proxy TRUST_PROXY trusts.

import { createHash } from 'node:crypto';
import request from 'supertest';
import { startApi, type RunningApi } from '../api/server';
import type { Config } from '../infra/config';
import { createLogger } from '../infra/logger';
import { useHarness, TOKENS } from './support/harness';

const harness = useHarness({ withWorker: false });
const others: RunningApi[] = [];

afterAll(async () => {
  for (const api of others) await api.close();
});

const sessions = () => harness.database.models.CodecSession;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Another API process on the same database and Temporal, configured otherwise. */
async function anotherApi(change: (config: Readonly<Config>) => Config): Promise<string> {
  const api = await startApi({
    config: change(harness.config),
    database: harness.database,
    temporal: harness.temporal,
    logger: createLogger('silent'),
  });
  others.push(api);
  return api.url;
}

interface Cookie {
  name: string;
  value: string;
  /** Attribute names in lower case, with their values ('' for flags). */
  attributes: Map<string, string>;
}

function setCookies(response: request.Response): Cookie[] {
  const headers = (response.headers['set-cookie'] ?? []) as unknown as string[];
  return headers.map((header) => {
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    const [name, ...value] = pair!.split('=');
    return {
      name: name!,
      value: value.join('='),
      attributes: new Map(
        attributes.map((a) => {
          const [key, ...rest] = a.split('=');
          return [key!.toLowerCase(), rest.join('=')];
        }),
      ),
    };
  });
}

const signIn = (apiUrl: string, token: string) =>
  request(apiUrl).post('/codec/session').type('form').send({ token });

/** Signs in and answers the session id the cookie holds. */
async function sessionOf(token = TOKENS.support, apiUrl = harness.apiUrl): Promise<string> {
  const response = await signIn(apiUrl, token);
  expect(response.status).toBe(200);
  const [cookie] = setCookies(response);
  expect(cookie?.name).toBe('orderflow_codec');
  return cookie!.value;
}

const decodeWith = (sessionId: string, apiUrl = harness.apiUrl) =>
  request(apiUrl)
    .post('/codec/decode')
    .set('Cookie', `orderflow_codec=${sessionId}`)
    .send({ payloads: [] });

const outcome = (response: request.Response) => ({
  status: response.status,
  code: (response.body as { error?: { code?: string } }).error?.code,
});

test('sign-in keeps a session server-side: the cookie holds a random id, never the token; HttpOnly, SameSite=Strict, /codec, 8 hours', async () => {
  const form = await request(harness.apiUrl).get('/codec/session');
  expect(form.status).toBe(200);
  expect(form.text).toContain('<form method="post" action="/codec/session">');

  const refused = await signIn(harness.apiUrl, TOKENS.app);
  expect(refused.status).toBe(403);
  expect(refused.headers['set-cookie']).toBeUndefined();

  const signedIn = await signIn(harness.apiUrl, TOKENS.support);
  expect(signedIn.status).toBe(200);
  const [cookie, ...more] = setCookies(signedIn);
  expect(more).toEqual([]);
  expect(cookie!.name).toBe('orderflow_codec');
  expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
  expect(cookie!.value).not.toContain(TOKENS.support);
  expect(cookie!.value).not.toContain(encodeURIComponent(TOKENS.support));
  expect(Object.fromEntries(cookie!.attributes)).toMatchObject({
    path: '/codec',
    httponly: '',
    samesite: 'Strict',
    'max-age': String(8 * 3600),
  });
  expect(cookie!.attributes.has('secure')).toBe(false); // plain HTTP, no proxy trusted

  // The database holds the id's hash, who signed in and until when: nothing that opens it.
  const stored = await sessions().findById(sha256(cookie!.value)).lean();
  expect(stored).toMatchObject({ clientName: 'support', role: 'support' });
  expect(stored!.expiresAt.getTime() - stored!.createdAt.getTime()).toBe(8 * 3600 * 1000);
  const everything = JSON.stringify(await sessions().find().lean());
  for (const secret of [cookie!.value, TOKENS.support, sha256(TOKENS.support)])
    expect(everything).not.toContain(secret);

  expect((await decodeWith(cookie!.value)).status).toBe(200);
  // The token itself is no cookie: what the old cookie held is refused.
  expect(outcome(await decodeWith(encodeURIComponent(TOKENS.support)))).toEqual({
    status: 401,
    code: 'unauthenticated',
  });
  // The CLI's bearer token still works alongside.
  const bearer = await request(harness.apiUrl)
    .post('/codec/decode')
    .set('Authorization', `Bearer ${TOKENS.admin}`)
    .send({ payloads: [] });
  expect(bearer.status).toBe(200);
});

test('sign-out deletes the session: its cookie replayed is 401, on every API process', async () => {
  const sessionId = await sessionOf();
  const elsewhere = await anotherApi((config) => config);
  expect((await decodeWith(sessionId, elsewhere)).status).toBe(200);

  const signedOut = await request(harness.apiUrl)
    .post('/codec/session')
    .set('Cookie', `orderflow_codec=${sessionId}`)
    .type('form')
    .send({ signOut: '1' });
  expect(signedOut.status).toBe(200);
  const [cleared] = setCookies(signedOut);
  expect(cleared).toMatchObject({ name: 'orderflow_codec', value: '' });
  expect(new Date(cleared!.attributes.get('expires')!).getTime()).toBeLessThan(Date.now());
  expect(await sessions().findById(sha256(sessionId)).lean()).toBeNull();

  for (const apiUrl of [harness.apiUrl, elsewhere])
    expect(outcome(await decodeWith(sessionId, apiUrl))).toEqual({
      status: 401,
      code: 'unauthenticated',
    });
});

test('signing in again ends the session the browser had', async () => {
  const first = await sessionOf();
  const again = await request(harness.apiUrl)
    .post('/codec/session')
    .set('Cookie', `orderflow_codec=${first}`)
    .type('form')
    .send({ token: TOKENS.admin });
  const [cookie] = setCookies(again);
  expect(cookie!.value).not.toBe(first);
  expect(outcome(await decodeWith(first))).toEqual({ status: 401, code: 'unauthenticated' });
  expect((await decodeWith(cookie!.value)).status).toBe(200);
});

test('an expired session is refused with 401 session_expired and deleted', async () => {
  const sessionId = await sessionOf();
  // Eight hours pass (the test rewrites its own session; the API never updates one).
  const session = await sessions().findById(sha256(sessionId)).lean();
  await sessions().deleteOne({ _id: session!._id });
  await sessions().create({ ...session!, expiresAt: new Date(Date.now() - 1000) });

  expect(outcome(await decodeWith(sessionId))).toEqual({ status: 401, code: 'session_expired' });
  expect(await sessions().findById(sha256(sessionId)).lean()).toBeNull();
  expect(outcome(await decodeWith(sessionId))).toEqual({ status: 401, code: 'unauthenticated' });
});

test('a token taken out of API_TOKENS (or replaced under the same name) ends its sessions', async () => {
  const withClients = (clients: Config['apiClients']) => (config: Readonly<Config>) => ({
    ...config,
    apiClients: clients,
  });
  const supportClient = harness.config.apiClients.find((c) => c.name === 'support')!;
  const others = harness.config.apiClients.filter((c) => c !== supportClient);

  // Rotated: "support" now has another token. The old token's session ends.
  const rotated = await anotherApi(
    withClients([...others, { ...supportClient, tokenSha256: sha256('rotated-support-token') }]),
  );
  const beforeRotation = await sessionOf();
  expect(outcome(await decodeWith(beforeRotation, rotated))).toEqual({
    status: 401,
    code: 'unauthenticated',
  });
  expect(await sessions().findById(sha256(beforeRotation)).lean()).toBeNull();

  // Removed: no "support" at all.
  const removed = await anotherApi(withClients(others));
  const beforeRemoval = await sessionOf();
  expect((await decodeWith(beforeRemoval, removed)).status).toBe(401);
  expect((await decodeWith(beforeRemoval)).status).toBe(401);

  // Demoted to the app role: no longer allowed at /codec.
  const demoted = await anotherApi(withClients([...others, { ...supportClient, role: 'app' }]));
  expect((await decodeWith(await sessionOf(), demoted)).status).toBe(401);

  // The other sessions are untouched.
  const admin = await sessionOf(TOKENS.admin);
  expect((await decodeWith(admin, removed)).status).toBe(200);
});

test("another site's page can neither sign a browser in nor out: 403 cross_site_request, no cookie, nothing changed", async () => {
  const own = new URL(harness.apiUrl).origin;
  const before = await sessions().countDocuments();
  for (const headers of [
    { Origin: 'https://evil.example' },
    { Origin: 'http://127.0.0.1:8233' }, // same site, another origin (the Web UI)
    { Origin: 'null' },
    { 'Sec-Fetch-Site': 'cross-site' },
    { 'Sec-Fetch-Site': 'same-site' },
    { Origin: own, 'Sec-Fetch-Site': 'cross-site' },
  ]) {
    const answer = await signIn(harness.apiUrl, TOKENS.support).set(headers);
    expect({ headers, ...outcome(answer) }).toEqual({
      headers,
      status: 403,
      code: 'cross_site_request',
    });
    expect(answer.headers['set-cookie']).toBeUndefined();
  }
  expect(await sessions().countDocuments()).toBe(before);

  const sessionId = await sessionOf();
  const forcedOut = await request(harness.apiUrl)
    .post('/codec/session')
    .set({ Cookie: `orderflow_codec=${sessionId}`, Origin: 'https://evil.example' })
    .type('form')
    .send({ signOut: '1' });
  expect(outcome(forcedOut)).toEqual({ status: 403, code: 'cross_site_request' });
  expect(forcedOut.headers['set-cookie']).toBeUndefined();
  expect((await decodeWith(sessionId)).status).toBe(200);

  // The sign-in page's own form, as a browser posts it.
  const own200 = await signIn(harness.apiUrl, TOKENS.support).set({
    Origin: own,
    'Sec-Fetch-Site': 'same-origin',
  });
  expect(own200.status).toBe(200);
});

test('Secure: set when the request came over HTTPS through a proxy TRUST_PROXY trusts, not otherwise', async () => {
  const trustProxy = (value: Config['http']['trustProxy']) => (config: Readonly<Config>) => ({
    ...config,
    http: { ...config.http, trustProxy: value },
  });
  const behindProxy = await anotherApi(trustProxy(['loopback']));
  const proxyElsewhere = await anotherApi(trustProxy(['10.0.0.0/8']));
  const secureFlag = async (apiUrl: string, headers: Record<string, string>) => {
    const response = await signIn(apiUrl, TOKENS.support).set(headers);
    expect(response.status).toBe(200);
    return setCookies(response)[0]!.attributes.has('secure');
  };
  const https = { 'X-Forwarded-Proto': 'https' };
  expect(await secureFlag(behindProxy, https)).toBe(true);
  expect(await secureFlag(behindProxy, {})).toBe(false);
  // The browser's origin is the proxy's https one: it is this API's origin as Express sees it.
  const host = new URL(behindProxy).host;
  expect(
    await secureFlag(behindProxy, {
      ...https,
      'X-Forwarded-Host': 'codec.example',
      Origin: 'https://codec.example',
    }),
  ).toBe(true);
  expect(
    (await signIn(behindProxy, TOKENS.support).set({ ...https, Origin: `http://${host}` })).status,
  ).toBe(403);
  // Not trusted (the default, or a proxy at another address): the header is anyone's word.
  expect(await secureFlag(harness.apiUrl, https)).toBe(false);
  expect(await secureFlag(proxyElsewhere, https)).toBe(false);
  // Signing out over HTTPS clears the cookie with the same attributes.
  const sessionId = await sessionOf(TOKENS.support, behindProxy);
  const signedOut = await request(behindProxy)
    .post('/codec/session')
    .set({ ...https, Cookie: `orderflow_codec=${sessionId}` })
    .type('form')
    .send({ signOut: '1' });
  expect(setCookies(signedOut)[0]!.attributes.has('secure')).toBe(true);
});
