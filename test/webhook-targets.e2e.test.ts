// Where provider webhooks may point, over HTTP against the real servers. A cloud metadata
// address is refused at registration and on PATCH (422 webhook_url_not_allowed, naming
// webhookUrl) in every spelling, even where private webhooks are allowed (as in these tests and
// `npm start`); with ALLOW_PRIVATE_WEBHOOKS=false, loopback, private and link-local targets
// are refused too. A provider registered before these rules with a URL now refused gets no
// webhook: the delivery fails at once without a retry, nothing reaches its server, and
// support's redelivery says why.

import request from 'supertest';
import {
  eventually,
  useHarness,
  startWebhookReceiver,
  TOKENS,
  type Harness,
  type WebhookReceiver,
} from './support/harness';
import { groceryOrder, placeOrder } from './support/orders';
import { support } from './support/staff';

const allowing = useHarness();
const strict = useHarness({ env: { ALLOW_PRIVATE_WEBHOOKS: 'false' } });
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
});

let count = 0;
const admin = (harness: Harness) => ({
  register: (webhookUrl: string) =>
    request(harness.apiUrl)
      .post('/v1/admin/providers')
      .set('Authorization', `Bearer ${TOKENS.admin}`)
      .send({ providerId: `hooked-${++count}`, vertical: 'grocery', name: 'Hooked', webhookUrl }),
  patch: (providerId: string, body: object) =>
    request(harness.apiUrl)
      .patch(`/v1/admin/providers/${providerId}`)
      .set('Authorization', `Bearer ${TOKENS.admin}`)
      .send(body),
  read: (providerId: string) =>
    request(harness.apiUrl)
      .get(`/v1/admin/providers/${providerId}`)
      .set('Authorization', `Bearer ${TOKENS.admin}`),
});

function expectNotAllowed(
  response: request.Response,
  reason: RegExp,
): asserts response is request.Response {
  expect({ status: response.status, code: response.body.error?.code }).toEqual({
    status: 422,
    code: 'webhook_url_not_allowed',
  });
  expect(response.body.error.details).toEqual([
    { path: 'webhookUrl', message: expect.stringMatching(reason) },
  ]);
}

const METADATA = [
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.169.254.:80/',
  'http://0xa9fea9fe/',
  'http://2852039166/',
  'http://[::ffff:169.254.169.254]/',
  'http://[fd00:ec2::254]/',
  'http://100.100.100.200/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
];

describe('registration and PATCH, private webhooks allowed', () => {
  test.each(METADATA)('%s is refused, and nothing is registered', async (url) => {
    const response = await admin(allowing).register(url);
    expectNotAllowed(response, /metadata/);
    expect((await admin(allowing).read(`hooked-${count}`)).status).toBe(404);
  });

  test('a loopback URL is taken; PATCH to a metadata address is refused and changes nothing', async () => {
    const registered = await admin(allowing).register(receiver.url);
    expect(registered.status).toBe(201);
    const providerId: string = registered.body.providerId;
    for (const url of METADATA)
      expectNotAllowed(await admin(allowing).patch(providerId, { webhookUrl: url }), /metadata/);
    expect((await admin(allowing).read(providerId)).body.webhookUrl).toBe(receiver.url);
  });

  test('a URL with a user name or password is 422 naming webhookUrl', async () => {
    const response = await admin(allowing).register('https://user:secret@store.example/hooks');
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([
      expect.objectContaining({ path: 'webhookUrl', message: expect.stringMatching(/user name/) }),
    ]);
  });
});

describe('registration and PATCH, private webhooks not allowed', () => {
  test.each([
    ['loopback', 'http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
    ['IPv6 loopback', 'http://[::1]:22/', /::1 is a loopback address/],
    ['localhost', 'http://localhost:3000/hook', /localhost is a loopback address/],
    ['a private network', 'http://10.0.0.7/hook', /a private address/],
    ['link-local', 'http://[fe80::1]/hook', /a link-local address/],
    ['metadata', 'http://169.254.169.254/', /metadata/],
  ])('%s (%s) is refused', async (_case, url, reason) => {
    expectNotAllowed(await admin(strict).register(url), reason);
  });

  test('a public name that does not resolve yet is taken (every delivery checks it again)', async () => {
    expect((await admin(strict).register('https://store.example/hooks')).status).toBe(201);
  });

  test('PATCH to a loopback URL is refused and changes nothing', async () => {
    const registered = await admin(strict).register('https://store.example/hooks');
    const providerId: string = registered.body.providerId;
    expectNotAllowed(
      await admin(strict).patch(providerId, { webhookUrl: receiver.url }),
      /loopback/,
    );
    expect((await admin(strict).read(providerId)).body.webhookUrl).toBe(
      'https://store.example/hooks',
    );
  });
});

test('the OpenAPI document describes the 422 on registration and PATCH', async () => {
  const { paths } = (await request(allowing.apiUrl).get('/openapi.json')).body;
  for (const operation of [
    paths['/v1/admin/providers'].post,
    paths['/v1/admin/providers/{providerId}'].patch,
  ])
    expect(operation.responses['422'].description).toContain('webhook_url_not_allowed');
});

describe('delivery to a provider registered before the rules, with a URL now refused', () => {
  /** A store whose webhook URL was written before these rules existed (no check on the way in). */
  async function storeRegisteredBefore(harness: Harness, webhookUrl: string) {
    const registered = await admin(harness).register('https://store.example/hooks');
    expect(registered.status).toBe(201);
    const providerId: string = registered.body.providerId;
    await harness.database.models.Provider.updateOne({ _id: providerId }, { $set: { webhookUrl } });
    return providerId;
  }

  interface Entry {
    kind: string;
    title: string;
    details: Record<string, unknown>;
  }
  const timelineOf = async (harness: Harness, orderId: string): Promise<Entry[]> =>
    (
      await request(harness.apiUrl)
        .get(`/v1/support/orders/${orderId}/history`)
        .set('Authorization', `Bearer ${TOKENS.support}`)
    ).body.entries;

  test('private webhooks allowed: the webhook arrives (the receiver sees deliveries)', async () => {
    const providerId = await storeRegisteredBefore(allowing, receiver.url);
    const order = await placeOrder(allowing.apiUrl, groceryOrder(providerId));
    expect(order.status).toBe(201);
    await receiver.waitForEvent('order.created', order.body.orderId);
  });

  test('not allowed: nothing reaches the server, the delivery fails at once for good, and support hears why', async () => {
    const providerId = await storeRegisteredBefore(strict, receiver.url);
    const order = await placeOrder(strict.apiUrl, groceryOrder(providerId));
    expect(order.status).toBe(201);
    const orderId: string = order.body.orderId;

    const failed = await eventually(
      async () => (await timelineOf(strict, orderId)).find((e) => e.kind === 'activity_failed'),
      20_000,
      'the failed notification',
    );
    expect(failed).toMatchObject({
      title: expect.stringContaining('store notification failed after 1 attempt'),
      details: {
        activityType: 'notifyProvider',
        attempt: 1,
        errorType: 'WebhookTargetRefused',
        error: expect.stringMatching(/127\.0\.0\.1 is a loopback address/),
      },
    });

    const redelivery = await support(strict.apiUrl).redeliver(orderId);
    expect(redelivery.status).toBe(200);
    expect(redelivery.body).toEqual({
      event: 'order.created',
      delivered: false,
      problem: expect.stringMatching(/127\.0\.0\.1 is a loopback address/),
    });
    expect(receiver.received.filter((w) => w.body.order.orderId === orderId)).toEqual([]);
  });
});
