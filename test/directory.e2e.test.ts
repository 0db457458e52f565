// What processes keep of providers and the app's endpoints (infra/directory.ts), seen from two
// of them on one database and Temporal: the harness's API (where the admin changes things) and
// a second API with its own directory, as behind a load balancer. What is kept stays until it
// changes, not read again every few seconds. A rotation works everywhere at once; a
// deactivation, a retired secret or an endpoint's registration or deletion reaches the other
// process within DIRECTORY_CACHE_SECONDS (its poll for announced changes).

import request from 'supertest';
import { startApi, type RunningApi } from '../api/server';
import { createProviderClient } from '../dev/provider-client';
import { createDirectory } from '../infra/directory';
import { createLogger } from '../infra/logger';
import { onDatabaseCommand, type DatabaseCommand } from '../infra/telemetry/db-commands';
import { eventually, TOKENS, useHarness } from './support/harness';
import { groceryOrder, placeOrder } from './support/orders';

const KEEP_SECONDS = 2;
const harness = useHarness({
  env: { DIRECTORY_CACHE_SECONDS: String(KEEP_SECONDS) },
  providers: ['grocery'],
});
let other: RunningApi;

beforeAll(async () => {
  other = await startApi({
    config: harness.config,
    database: harness.database,
    temporal: harness.temporal,
    logger: createLogger('silent'),
  });
});
afterAll(async () => {
  await other?.close();
});

const admin = () => request(harness.apiUrl);
const rotate = (providerId: string, graceSeconds: number) =>
  admin()
    .post(`/v1/admin/providers/${providerId}/secrets`)
    .set('Authorization', `Bearer ${TOKENS.admin}`)
    .send({ graceSeconds });

/** A signed callback for an order that does not exist: 404 once the signature holds, else 401. */
const callbackStatus = async (apiUrl: string, providerId: string, signingSecret: string) =>
  (
    await createProviderClient(apiUrl, { providerId, signingSecret }).confirm('ord_none', {
      decision: 'accept',
    })
  ).status;

test('a provider unchanged is kept past several polls: callbacks read it once', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  expect(await callbackStatus(other.url, store.providerId, store.signingSecret)).toBe(404);
  // The other API's next poll sees the registration's announcement, which may be newer than
  // its read, and forgets the provider once; the callback after it reads the provider again.
  await sleep(KEEP_SECONDS * 1000 + 1000);
  expect(await callbackStatus(other.url, store.providerId, store.signingSecret)).toBe(404);
  const commands: DatabaseCommand[] = [];
  const stop = onDatabaseCommand(harness.database.connection, (c) => commands.push(c));
  try {
    for (let i = 0; i < 3; i++) {
      await sleep(KEEP_SECONDS * 1000);
      expect(await callbackStatus(other.url, store.providerId, store.signingSecret)).toBe(404);
    }
  } finally {
    stop();
  }
  const reads = commands.filter((c) => ['providers', 'provider_secrets'].includes(c.collection));
  expect(reads).toEqual([]);
  // What the other API asked meanwhile: its polls for announced changes.
  expect(commands.some((c) => c.collection === 'directory_changes')).toBe(true);
});

test('a secret rotated through one API signs callbacks to the other at once; the retired one stops within the poll interval', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  // The other API keeps the provider with its first secret.
  expect(await callbackStatus(other.url, store.providerId, store.signingSecret)).toBe(404);

  const rotated = await rotate(store.providerId, 0);
  expect(rotated.status).toBe(201);
  const newSecret: string = rotated.body.signingSecret;

  // New secret: accepted by both at once (the other re-reads on a mismatch).
  expect(await callbackStatus(other.url, store.providerId, newSecret)).toBe(404);
  expect(await callbackStatus(harness.apiUrl, store.providerId, newSecret)).toBe(404);
  // Old secret, retired with no grace: refused where the rotation was made, at once…
  expect(await callbackStatus(harness.apiUrl, store.providerId, store.signingSecret)).toBe(401);
  // …and by the other API once its keep time has passed.
  await eventually(
    async () =>
      (await callbackStatus(other.url, store.providerId, store.signingSecret)) === 401 || undefined,
    (KEEP_SECONDS + 3) * 1000,
    'the other API to refuse the retired secret',
  );
});

test('a provider deactivated through one API takes no checkout there at once, nor on the other within the poll interval', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery' });
  const checkoutAt = (apiUrl: string) => placeOrder(apiUrl, groceryOrder(store.providerId));
  expect((await checkoutAt(other.url)).status).toBe(201);

  const deactivated = await admin()
    .patch(`/v1/admin/providers/${store.providerId}`)
    .set('Authorization', `Bearer ${TOKENS.admin}`)
    .send({ active: false });
  expect(deactivated.status).toBe(200);

  const refusedHere = await checkoutAt(harness.apiUrl);
  expect([refusedHere.status, refusedHere.body.error?.code]).toEqual([422, 'provider_inactive']);
  const refusedThere = await eventually(
    async () => {
      const answer = await checkoutAt(other.url);
      return answer.status === 422 ? answer : undefined;
    },
    (KEEP_SECONDS + 3) * 1000,
    'the other API to refuse the inactive provider',
  );
  expect(refusedThere.body.error.code).toBe('provider_inactive');
});

test("the app's endpoints, kept by another process, change there within the poll interval", async () => {
  // A worker's directory elsewhere (it reads the live endpoints for every publication).
  const elsewhere = createDirectory(harness.database.models, { keepMs: KEEP_SECONDS * 1000 });
  const liveIds = async () => (await elsewhere.appEndpoints.live()).map((e) => e._id);
  const before = await liveIds();

  const registered = await admin()
    .post('/v1/admin/app-endpoints')
    .set('Authorization', `Bearer ${TOKENS.admin}`)
    .send({ url: 'https://app.example/events' });
  expect(registered.status).toBe(201);
  const endpointId: string = registered.body.endpointId;
  await eventually(
    async () => (await liveIds()).includes(endpointId) || undefined,
    (KEEP_SECONDS + 3) * 1000,
    'the other process to see the new endpoint',
  );

  const deleted = await admin()
    .delete(`/v1/admin/app-endpoints/${endpointId}`)
    .set('Authorization', `Bearer ${TOKENS.admin}`);
  expect(deleted.status).toBe(204);
  await eventually(
    async () => !(await liveIds()).includes(endpointId) || undefined,
    (KEEP_SECONDS + 3) * 1000,
    'the other process to drop the deleted endpoint',
  );
  expect(await liveIds()).toEqual(before);
});
