// Provider onboarding by admins, over HTTP against the real servers: registration answers the
// signing secret once and no read shows it again; settings changes apply to new orders only;
// an inactive provider takes no new orders but finishes the ones in flight; a rotated
// secret's predecessors keep working for the grace, then stop, webhooks meanwhile carry a
// signature per valid secret, and concurrent rotations lose no secret.

import request from 'supertest';
import { createProviderClient } from '../dev/provider-client';
import { verifyWebhookSignature } from '../infra/signing';
import {
  eventually,
  useHarness,
  startWebhookReceiver,
  TOKENS,
  type ReceivedWebhook,
  type WebhookReceiver,
} from './support/harness';
import { groceryOrder, placeOrder, waitForStatus } from './support/orders';

const harness = useHarness();
let webhooks: WebhookReceiver;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});

afterAll(async () => {
  await webhooks?.close();
});

const SECRET = /^whsec_[0-9a-f]{64}$/;

let idCount = 0;
/** A providerId no other test in this file uses. */
const newProviderId = (label: string) => `onboard-${label}-${++idCount}`;

const api = () => request(harness.apiUrl);
const register = (body: object, token = TOKENS.admin) =>
  api().post('/v1/admin/providers').set('Authorization', `Bearer ${token}`).send(body);
const readProvider = (providerId: string, token = TOKENS.admin) =>
  api().get(`/v1/admin/providers/${providerId}`).set('Authorization', `Bearer ${token}`);
const listProviders = (query: string, token = TOKENS.admin) =>
  api().get(`/v1/admin/providers?${query}`).set('Authorization', `Bearer ${token}`);
const patchProvider = (providerId: string, body: object, token = TOKENS.admin) =>
  api()
    .patch(`/v1/admin/providers/${providerId}`)
    .set('Authorization', `Bearer ${token}`)
    .send(body);
const rotateSecret = (providerId: string, body?: object, token = TOKENS.admin) => {
  const call = api()
    .post(`/v1/admin/providers/${providerId}/secrets`)
    .set('Authorization', `Bearer ${token}`);
  return body === undefined ? call : call.send(body);
};

async function registerStore(options: { webhookUrl?: string } = {}) {
  const providerId = newProviderId('store');
  const response = await register({
    providerId,
    vertical: 'grocery',
    name: 'Onboarded Grocer',
    ...options,
  });
  expect(response.status).toBe(201);
  return { providerId, signingSecret: response.body.signingSecret as string };
}

/** Status of a signed poll (GET /v1/providers/:id/orders) made with `secret`. */
async function pollStatus(providerId: string, secret: string): Promise<number> {
  return (
    await createProviderClient(harness.apiUrl, { providerId, signingSecret: secret }).listOrders()
  ).status;
}

async function untilPast(isoTime: string, marginMs = 300): Promise<void> {
  const waitMs = Date.parse(isoTime) + marginMs - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}

const v1Count = (webhook: ReceivedWebhook) =>
  (webhook.headers['orderflow-signature'] as string).split(',').filter((p) => p.startsWith('v1='))
    .length;
const webhookSignedWith = (webhook: ReceivedWebhook, secret: string) =>
  verifyWebhookSignature(
    webhook.headers['orderflow-signature'] as string,
    secret,
    webhook.rawBody,
    300,
  ).valid;

describe('registration', () => {
  test('answers 201 with the secret once; reads show the settings and secret ids, never a secret', async () => {
    const providerId = newProviderId('clinic');
    const created = await register({
      providerId,
      vertical: 'teleconsultation',
      name: 'Onboarded Clinic',
      webhookUrl: 'https://clinic.example/hooks',
      confirmationTimeoutSeconds: 900,
      doctorNoShowGraceSeconds: 600,
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/v1/admin/providers/${providerId}`);
    const secret: string = created.body.signingSecret;
    expect(secret).toMatch(SECRET);
    expect(created.body).toMatchObject({
      providerId,
      vertical: 'teleconsultation',
      name: 'Onboarded Clinic',
      webhookUrl: 'https://clinic.example/hooks',
      confirmationTimeoutSeconds: 900,
      doctorNoShowGraceSeconds: 600,
      active: true,
      secrets: [{ id: created.body.signingSecretId, createdAt: expect.any(String) }],
    });
    expect(created.body.secrets[0]).not.toHaveProperty('expiresAt');

    // The secret answered is the one callbacks are checked against.
    expect(await pollStatus(providerId, secret)).toBe(200);

    const read = await readProvider(providerId);
    expect(read.status).toBe(200);
    const { signingSecret: _shownOnce, signingSecretId: _id, ...view } = created.body;
    expect(read.body).toEqual(view);
    const listed = await listProviders('vertical=teleconsultation');
    expect(listed.status).toBe(200);
    expect(listed.body.providers).toContainEqual(view);
    for (const body of [read.text, listed.text]) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain('signingSecret');
    }
  });

  test('an existing providerId is 409 provider_exists, even for concurrent registrations, and the first one stands', async () => {
    const providerId = newProviderId('dup');
    const attempts = await Promise.all(
      ['First', 'Second', 'Third'].map((name) =>
        register({ providerId, vertical: 'grocery', name }),
      ),
    );
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409]);
    const winner = attempts.find((a) => a.status === 201)!;
    for (const loser of attempts.filter((a) => a.status === 409))
      expect(loser.body.error.code).toBe('provider_exists');

    const read = await readProvider(providerId);
    expect(read.body.name).toBe(winner.body.name);
    expect(read.body.secrets).toHaveLength(1);
    expect(await pollStatus(providerId, winner.body.signingSecret)).toBe(200);
  });

  test.each([
    ['an unknown vertical', { vertical: 'pharmacy' }, 'vertical'],
    ['a webhook URL that is not http(s)', { webhookUrl: 'ftp://store.example/x' }, 'webhookUrl'],
    ['a webhook URL that is not a URL', { webhookUrl: 'store webhook' }, 'webhookUrl'],
    ['a doctor grace for a store', { doctorNoShowGraceSeconds: 60 }, 'doctorNoShowGraceSeconds'],
    ['a zero deadline', { confirmationTimeoutSeconds: 0 }, 'confirmationTimeoutSeconds'],
    [
      'a deadline over 7 days',
      { confirmationTimeoutSeconds: 7 * 86_400 + 1 },
      'confirmationTimeoutSeconds',
    ],
    ['a providerId with a space', { providerId: 'my store' }, 'providerId'],
    ['no name', { name: '  ' }, 'name'],
  ])('%s is 422 naming the field', async (_case, override, path) => {
    const providerId = newProviderId('bad');
    const response = await register({
      providerId,
      vertical: 'grocery',
      name: 'Bad Store',
      ...override,
    });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.details).toContainEqual(expect.objectContaining({ path }));
    expect((await readProvider(providerId)).status).toBe(404);
  });

  test('an unknown field is 422, and nothing is registered', async () => {
    const providerId = newProviderId('bad');
    const response = await register({
      providerId,
      vertical: 'grocery',
      name: 'Bad Store',
      signingSecret: 'whsec_chosen_by_the_caller',
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(response.body.error.details)).toContain('signingSecret');
    expect((await readProvider(providerId)).status).toBe(404);
  });
});

describe('only admins', () => {
  test.each([
    ['app', TOKENS.app],
    ['support', TOKENS.support],
  ])('a %s token is 403 on every admin endpoint and changes nothing', async (_role, token) => {
    const { providerId, signingSecret } = await registerStore();
    const newId = newProviderId('forbidden');
    const answers = await Promise.all([
      register({ providerId: newId, vertical: 'grocery', name: 'Sneaky' }, token),
      listProviders('', token),
      readProvider(providerId, token),
      patchProvider(providerId, { active: false }, token),
      rotateSecret(providerId, { graceSeconds: 0 }, token),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
    expect((await readProvider(newId)).status).toBe(404);
    const read = await readProvider(providerId);
    expect(read.body).toMatchObject({ active: true, secrets: [expect.anything()] });
    expect(await pollStatus(providerId, signingSecret)).toBe(200);
  });

  test('no token is 401', async () => {
    const response = await api().get('/v1/admin/providers');
    expect(response.status).toBe(401);
  });

  test('an unknown provider is 404 provider_not_found', async () => {
    for (const response of [
      await readProvider('no-such-provider'),
      await patchProvider('no-such-provider', { name: 'Ghost' }),
      await rotateSecret('no-such-provider', { graceSeconds: 0 }),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('provider_not_found');
    }
  });
});

describe('listing', () => {
  test('newest first, by vertical and active flag, page by page with an opaque cursor', async () => {
    const hotels: string[] = [];
    for (let i = 0; i < 3; i++) {
      const providerId = newProviderId('hotel');
      expect(
        (await register({ providerId, vertical: 'hotel', name: `Hotel ${i}`, timeZone: 'UTC' }))
          .status,
      ).toBe(201);
      hotels.push(providerId);
    }
    expect((await patchProvider(hotels[0]!, { active: false })).status).toBe(200);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listProviders(
        `vertical=hotel&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.providers.length).toBeLessThanOrEqual(2);
      for (const p of page.body.providers) expect(p.vertical).toBe('hotel');
      seen.push(...page.body.providers.map((p: { providerId: string }) => p.providerId));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => hotels.includes(id))).toEqual([...hotels].reverse());

    const inactive = await listProviders('vertical=hotel&active=false');
    expect(inactive.body.providers.map((p: { providerId: string }) => p.providerId)).toEqual([
      hotels[0],
    ]);
    const active = await listProviders('vertical=hotel&active=true');
    const activeIds = active.body.providers.map((p: { providerId: string }) => p.providerId);
    expect(activeIds).toEqual(expect.arrayContaining([hotels[1], hotels[2]]));
    expect(activeIds).not.toContain(hotels[0]);
  });

  test('a cursor that did not come from the listing is 422', async () => {
    const response = await listProviders('cursor=not-a-cursor');
    expect(response.status).toBe(422);
    expect(response.body.error.details).toContainEqual(expect.objectContaining({ path: 'cursor' }));
  });
});

describe('settings', () => {
  test('PATCH changes the settings sent; null removes one; unknown fields and empty bodies are 422', async () => {
    const { providerId } = await registerStore({ webhookUrl: 'https://store.example/hooks' });
    const changed = await patchProvider(providerId, {
      name: 'Renamed Grocer',
      webhookUrl: null,
      confirmationTimeoutSeconds: 120,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      providerId,
      name: 'Renamed Grocer',
      confirmationTimeoutSeconds: 120,
      active: true,
      updatedAt: expect.any(String),
    });
    expect(changed.body).not.toHaveProperty('webhookUrl');
    expect((await readProvider(providerId)).body).toEqual(changed.body);

    const cleared = await patchProvider(providerId, { confirmationTimeoutSeconds: null });
    expect(cleared.body).not.toHaveProperty('confirmationTimeoutSeconds');
    expect(cleared.body.name).toBe('Renamed Grocer');

    const refused = [
      [{}, ''],
      [{ signingSecret: 'whsec_mine' }, ''],
      [{ name: 'Fine', vertical: 'hotel' }, ''],
      [{ webhookUrl: 'javascript:alert(1)' }, 'webhookUrl'],
      [{ doctorNoShowGraceSeconds: 60 }, 'doctorNoShowGraceSeconds'],
      [{ checkInTime: '15:00' }, 'checkInTime'],
      [{ timeZone: 'Nowhere/Land' }, 'timeZone'],
      [{ active: 'no' }, 'active'],
    ] as const;
    for (const [body, path] of refused) {
      const response = await patchProvider(providerId, body);
      expect({ body, status: response.status }).toEqual({ body, status: 422 });
      expect(response.body.error.details).toContainEqual(expect.objectContaining({ path }));
    }
    expect((await readProvider(providerId)).body).toEqual(cleared.body);
  });

  test("a clinic's doctor grace can be changed", async () => {
    const providerId = newProviderId('clinic');
    await register({ providerId, vertical: 'teleconsultation', name: 'Clinic' });
    const changed = await patchProvider(providerId, { doctorNoShowGraceSeconds: 300 });
    expect(changed.status).toBe(200);
    expect(changed.body.doctorNoShowGraceSeconds).toBe(300);
  });

  test('a new deadline applies to new orders; an existing order keeps the one fixed at checkout', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const deadlineOf = (order: { createdAt: string; confirmBy: string }) =>
      Math.round((Date.parse(order.confirmBy) - Date.parse(order.createdAt)) / 1000);

    const before = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    expect(before.status).toBe(201);
    expect(deadlineOf(before.body)).toBeGreaterThanOrEqual(59);
    expect(deadlineOf(before.body)).toBeLessThanOrEqual(61);

    expect(
      (await patchProvider(store.providerId, { confirmationTimeoutSeconds: 3600 })).status,
    ).toBe(200);
    const after = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    expect(after.status).toBe(201);
    expect(deadlineOf(after.body)).toBeGreaterThanOrEqual(3599);

    const existing = await waitForStatus(
      harness.apiUrl,
      before.body.orderId,
      'awaiting_confirmation',
    );
    expect(existing.confirmBy).toBe(before.body.confirmBy);
  });

  test('an inactive provider takes no new orders; its order in flight still finishes', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const inFlight = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    expect(inFlight.status).toBe(201);
    const orderId: string = inFlight.body.orderId;

    const deactivated = await patchProvider(store.providerId, { active: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);

    const refused = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('provider_inactive');

    const confirmed = await store.client.confirm(orderId, { decision: 'accept' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('confirmed');
    // Dispatch may still be starting (409) when the first event arrives.
    for (const type of ['picked_up', 'delivered']) {
      await eventually(
        async () => (await store.client.reportEvent(orderId, type)).status === 200 || undefined,
      );
    }
    await waitForStatus(harness.apiUrl, orderId, 'completed');

    expect((await patchProvider(store.providerId, { active: true })).status).toBe(200);
    expect((await placeOrder(harness.apiUrl, groceryOrder(store.providerId))).status).toBe(201);
  });
});

describe('secret rotation', () => {
  test('the old secret works during the grace, then is refused while the new one works', async () => {
    const { providerId, signingSecret: oldSecret } = await registerStore();
    const rotated = await rotateSecret(providerId, { graceSeconds: 2 });
    expect(rotated.status).toBe(201);
    const newSecret: string = rotated.body.signingSecret;
    expect(newSecret).toMatch(SECRET);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body.secrets).toEqual([
      { id: rotated.body.signingSecretId, createdAt: expect.any(String) },
      { id: expect.any(String), createdAt: expect.any(String), expiresAt: expect.any(String) },
    ]);
    const oldExpiresAt: string = rotated.body.secrets[1].expiresAt;
    expect(Date.parse(oldExpiresAt) - Date.parse(rotated.body.secrets[0].createdAt)).toBe(2000);

    expect(await pollStatus(providerId, oldSecret)).toBe(200);
    expect(await pollStatus(providerId, newSecret)).toBe(200);

    await untilPast(oldExpiresAt);
    expect(await pollStatus(providerId, oldSecret)).toBe(401);
    expect(await pollStatus(providerId, newSecret)).toBe(200);
    const read = await readProvider(providerId);
    expect(read.body.secrets).toEqual([
      { id: rotated.body.signingSecretId, createdAt: expect.any(String) },
    ]);
    expect(read.text).not.toContain(newSecret);
  });

  test('webhooks during the grace carry a v1 per valid secret, so the provider switches at its own pace', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
    const rotated = await rotateSecret(store.providerId, { graceSeconds: 300 });
    expect(rotated.status).toBe(201);
    const newSecret: string = rotated.body.signingSecret;

    const order = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    expect(order.status).toBe(201);
    const created = await webhooks.waitForEvent('order.created', order.body.orderId);
    expect(v1Count(created)).toBe(2);
    expect(webhookSignedWith(created, store.signingSecret)).toBe(true);
    expect(webhookSignedWith(created, newSecret)).toBe(true);

    // Still on the old secret: its confirmation counts.
    expect((await store.client.confirm(order.body.orderId, { decision: 'accept' })).status).toBe(
      200,
    );
  });

  test('after the grace, webhooks are signed with the new secret only', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
    const rotated = await rotateSecret(store.providerId, { graceSeconds: 0 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.secrets).toHaveLength(1);

    const order = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    const created = await webhooks.waitForEvent('order.created', order.body.orderId);
    expect(v1Count(created)).toBe(1);
    expect(webhookSignedWith(created, rotated.body.signingSecret)).toBe(true);
    expect(webhookSignedWith(created, store.signingSecret)).toBe(false);
  });

  test('without a grace in the body, SECRET_ROTATION_GRACE_SECONDS applies', async () => {
    const { providerId } = await registerStore();
    const rotated = await rotateSecret(providerId);
    expect(rotated.status).toBe(201);
    const [newest, previous] = rotated.body.secrets;
    expect(Date.parse(previous.expiresAt) - Date.parse(newest.createdAt)).toBe(
      harness.config.secretRotationGraceSeconds * 1000,
    );
    expect(harness.config.secretRotationGraceSeconds).toBe(86_400);

    const tooLong = await rotateSecret(providerId, { graceSeconds: 7 * 86_400 + 1 });
    expect(tooLong.status).toBe(422);
    const unknown = await rotateSecret(providerId, { grace: 10 });
    expect(unknown.status).toBe(422);
  });

  test('concurrent rotations keep every new secret; the older ones retire after the grace', async () => {
    const { providerId, signingSecret: original } = await registerStore();
    const rotations = await Promise.all(
      [1, 2, 3].map(() => rotateSecret(providerId, { graceSeconds: 2 })),
    );
    expect(rotations.map((r) => r.status)).toEqual([201, 201, 201]);
    const issued = rotations.map((r) => ({
      id: r.body.signingSecretId as string,
      secret: r.body.signingSecret as string,
    }));
    expect(new Set(issued.map((s) => s.secret)).size).toBe(3);

    const during = await readProvider(providerId);
    expect(during.body.secrets).toHaveLength(4);
    const newestId: string = during.body.secrets[0].id;
    expect(issued.map((s) => s.id)).toContain(newestId);
    for (const secret of [original, ...issued.map((s) => s.secret)])
      expect(await pollStatus(providerId, secret)).toBe(200);

    await untilPast(during.body.secrets[1].expiresAt);
    expect(await pollStatus(providerId, original)).toBe(401);
    for (const { id, secret } of issued)
      expect({ id, status: await pollStatus(providerId, secret) }).toEqual({
        id,
        status: id === newestId ? 200 : 401,
      });
    expect((await readProvider(providerId)).body.secrets.map((s: { id: string }) => s.id)).toEqual([
      newestId,
    ]);
  });

  test('a provider registered before secret rotation existed keeps its secret as its first, and can rotate it', async () => {
    // As databases written before provider_secrets hold them: the secret on the provider.
    const providerId = newProviderId('legacy');
    const legacySecret = `whsec_${'ab'.repeat(32)}`;
    await harness.database.models.Provider.create({
      _id: providerId,
      vertical: 'grocery',
      name: 'Legacy Grocer',
      signingSecret: legacySecret,
    });
    expect(await pollStatus(providerId, legacySecret)).toBe(200);
    const read = await readProvider(providerId);
    expect(read.body).toMatchObject({ active: true, secrets: [{ id: `${providerId}#0` }] });
    expect(read.text).not.toContain(legacySecret);
    const listedActive = await listProviders('vertical=grocery&active=true&limit=100');
    expect(listedActive.body.providers.map((p: { providerId: string }) => p.providerId)).toContain(
      providerId,
    );

    const rotated = await rotateSecret(providerId, { graceSeconds: 2 });
    expect(rotated.status).toBe(201);
    expect(rotated.body.secrets).toHaveLength(2);
    expect(await pollStatus(providerId, legacySecret)).toBe(200);
    await untilPast(rotated.body.secrets[1].expiresAt);
    expect(await pollStatus(providerId, legacySecret)).toBe(401);
    expect(await pollStatus(providerId, rotated.body.signingSecret)).toBe(200);
  });
});
