// Support staff read what happened to an order and why, over HTTP against the real Temporal
// server and database: the timeline derived from the order workflow's history (money,
// provider, dispatch, deadlines, retries with their errors), its raw form, and who may read it.

import request from 'supertest';
import { orderWorkflowId } from '../workflows/messages';
import {
  eventually,
  useHarness,
  startWebhookReceiver,
  TOKENS,
  type WebhookReceiver,
} from './support/harness';
import { GROCERY_TOTAL, groceryOrder, placeOrder, waitForStatus } from './support/orders';

interface Entry {
  at: string;
  kind: string;
  title: string;
  actor: string;
  actorName?: string;
  details: Record<string, unknown>;
}

const harness = useHarness();
let webhooks: WebhookReceiver;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});

afterAll(async () => {
  await webhooks?.close();
});

function history(orderId: string, options: { token?: string; format?: string } = {}) {
  return request(harness.apiUrl)
    .get(`/v1/support/orders/${orderId}/history`)
    .query(options.format ? { format: options.format } : {})
    .set('Authorization', `Bearer ${options.token ?? TOKENS.support}`);
}

async function timelineOf(orderId: string): Promise<Entry[]> {
  const response = await history(orderId);
  expect(response.status).toBe(200);
  return response.body.entries as Entry[];
}

/** Polls the timeline until an entry matches. */
function entryIn(orderId: string, match: (entry: Entry) => boolean, what: string) {
  return eventually(
    async () => (await timelineOf(orderId)).find(match),
    20_000,
    `${what} in the timeline of ${orderId}`,
  );
}

const closed = (orderId: string) =>
  harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();

async function placedGroceryOrder(providerId: string, token = 'tok_ok'): Promise<string> {
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(providerId, { token }));
  expect(checkout.status).toBe(201);
  return checkout.body.orderId as string;
}

test('a delivered grocery order reads placed → authorised → store notified → confirmed → captured → courier → picked up → delivered → completed', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  const orderId = await placedGroceryOrder(store.providerId);
  await webhooks.waitForEvent('order.created', orderId);
  // The webhook's own answer is recorded before the store answers, so the story is in order.
  await entryIn(orderId, (e) => e.kind === 'provider_notified', 'the webhook delivery');

  expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  expect((await store.client.reportEvent(orderId, 'picked_up')).status).toBe(200);
  expect((await store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await closed(orderId);

  const response = await history(orderId);
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ orderId, status: 'completed' });
  const entries = response.body.entries as Entry[];
  expect(entries.map(({ kind, actor, title }) => [kind, actor, title])).toEqual([
    ['order_placed', 'customer', 'order placed: ¥41.48'],
    ['payment_authorised', 'system', 'payment authorised ¥41.48'],
    ['payment_decision_recorded', 'system', 'payment decision recorded for checkout'],
    ['checkout_answered', 'system', 'checkout answered the app: payment authorised, order placed'],
    ['provider_notified', 'system', 'store notified of the new order (HTTP 204)'],
    ['provider_confirmed', 'provider', 'store confirmed all 3 items'],
    ['captured', 'system', '¥41.48 captured'],
    ['courier_assigned', 'system', `courier ${dispatching.dispatch.courier.name} assigned`],
    ['event_reported', 'provider', 'courier picked up the order'],
    ['event_reported', 'provider', 'order delivered'],
    ['order_completed', 'system', 'order completed: ¥41.48 captured'],
  ]);
  expect(entries[1]!.details).toMatchObject({ amount: GROCERY_TOTAL, currency: 'CNY' });
  expect(entries[6]!.details).toMatchObject({ amount: GROCERY_TOTAL, currency: 'CNY' });
  // The money the timeline shows is the money the gateway moved.
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', GROCERY_TOTAL],
    ['capture', GROCERY_TOTAL],
  ]);
  const times = entries.map((entry) => entry.at);
  expect([...times].sort()).toEqual(times);
  expect(times.every((at) => !Number.isNaN(Date.parse(at)))).toBe(true);
});

test('a partial confirmation shows what was captured and what was released, while the order runs', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  const orderId = await placedGroceryOrder(store.providerId);
  await webhooks.waitForEvent('order.created', orderId);
  const confirmed = await store.client.confirm(orderId, {
    decision: 'accept',
    items: [{ sku: 'apple', availableQuantity: 1 }],
  });
  expect(confirmed.status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');

  const response = await history(orderId);
  expect(response.body.status).toBe('dispatching');
  const entries = response.body.entries as Entry[];
  const byKind = (kind: string) => entries.filter((entry) => entry.kind === kind);
  expect(byKind('provider_confirmed')[0]).toMatchObject({
    title: 'store confirmed 2 of 3 items',
    details: {
      items: [
        { sku: 'apple', ordered: 2, confirmed: 1 },
        { sku: 'milk', ordered: 1, confirmed: 1 },
      ],
    },
  });
  expect(byKind('captured')[0]).toMatchObject({
    title: '¥28.49 captured',
    details: { amount: 2849, currency: 'CNY' },
  });
  expect(byKind('released')[0]).toMatchObject({
    title: '¥12.99 released',
    details: { amount: 1299, currency: 'CNY' },
  });
  expect(byKind('courier_assigned')).toHaveLength(1);
  // Still running: nothing says the order has closed.
  expect(
    entries.some((entry) => entry.kind.startsWith('order_') && entry.kind !== 'order_placed'),
  ).toBe(false);
  expect(await harness.ledgerOf(orderId)).toContainEqual(['capture', 2849]);
});

test('a flaky gateway: the authorisation shows the attempt it took', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  const orderId = await placedGroceryOrder(store.providerId, 'tok_flaky');

  const authorised = (await timelineOf(orderId)).find((e) => e.kind === 'payment_authorised');
  // A local activity's marker keeps the attempt that succeeded, not the errors before it.
  expect(authorised).toMatchObject({
    title: 'payment authorised ¥41.48 (attempt 3)',
    details: { amount: GROCERY_TOTAL, currency: 'CNY', attempt: 3 },
  });
});

test('a store that never answers: the deadline passes and the hold is released', async () => {
  const store = await harness.registerProvider({
    vertical: 'grocery',
    confirmationTimeoutSeconds: 1,
  });
  const orderId = await placedGroceryOrder(store.providerId);
  await waitForStatus(harness.apiUrl, orderId, 'expired');
  await closed(orderId);

  const entries = await timelineOf(orderId);
  expect(entries.map((entry) => entry.kind)).toEqual([
    'order_placed',
    'payment_authorised',
    'payment_decision_recorded',
    'checkout_answered',
    'provider_notification_skipped',
    'timer_fired',
    'released',
    'order_expired',
    'provider_notification_skipped',
  ]);
  const titles = entries.map((entry) => entry.title);
  expect(titles).toContain('confirmation deadline passed: the store did not answer in time');
  expect(titles).toContain('¥41.48 released');
  expect(titles).toContain('order expired (the provider did not answer in time): ¥41.48 released');
  expect(entries.find((e) => e.kind === 'timer_fired')!.details).toMatchObject({
    purpose: 'confirmation_deadline',
    durationMs: 1000,
  });
});

test('a webhook the store keeps refusing: the retry in flight shows its attempt and error', async () => {
  const refusing = await startWebhookReceiver();
  try {
    refusing.answerWith(503);
    const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: refusing.url });
    const orderId = await placedGroceryOrder(store.providerId);

    const retrying = await entryIn(
      orderId,
      (e) => e.kind === 'activity_retrying' && Number(e.details.attempt) >= 2,
      'the webhook retry',
    );
    expect(retrying).toMatchObject({
      title: expect.stringMatching(
        /^store notification retrying \(attempt \d+, last error: provider webhook answered 503\)$/,
      ),
      details: { activityType: 'notifyProvider', lastError: 'provider webhook answered 503' },
    });
    expect(Date.parse(String(retrying.details.nextAttemptAt))).not.toBeNaN();

    // Once the store takes it, the delivery says how many attempts it needed and why.
    refusing.answerWith(204);
    const delivered = await entryIn(orderId, (e) => e.kind === 'provider_notified', 'delivery');
    expect(delivered.title).toMatch(
      /^store notified of the new order \(HTTP 204\) \(attempt \d+, last error: provider webhook answered 503\)$/,
    );
    expect((await timelineOf(orderId)).map((e) => e.kind)).not.toContain('activity_retrying');
    expect((await store.client.confirm(orderId, { decision: 'reject' })).status).toBe(200);
  } finally {
    await refusing.close();
  }
});

test('only support and admin read it; unknown orders, forgotten histories and bad queries are clear', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  const orderId = await placedGroceryOrder(store.providerId);

  const asApp = await history(orderId, { token: TOKENS.app });
  expect(asApp.status).toBe(403);
  expect(asApp.body.error.code).toBe('forbidden');
  const anonymous = await request(harness.apiUrl).get(`/v1/support/orders/${orderId}/history`);
  expect(anonymous.status).toBe(401);
  expect((await history(orderId, { token: TOKENS.support })).status).toBe(200);
  expect((await history(orderId, { token: TOKENS.admin })).status).toBe(200);

  const unknown = await history('ord_does_not_exist');
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('order_not_found');

  // The read model outlives Temporal's retention: such an order has no history any more.
  const { Order } = harness.database.models;
  await harness.flushListing();
  const kept = await Order.findById(orderId).lean();
  await Order.create({ ...kept, _id: 'ord_retention_passed', orderId: 'ord_retention_passed' });
  const forgotten = await history('ord_retention_passed');
  expect(forgotten.status).toBe(404);
  expect(forgotten.body.error).toMatchObject({
    code: 'history_not_found',
    message: expect.stringContaining('retention'),
  });

  const raw = await history(orderId, { format: 'raw' });
  expect(raw.status).toBe(200);
  const events = raw.body.events as Record<string, unknown>[];
  expect(events[0]).toMatchObject({
    eventId: '1',
    eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
    workflowExecutionStartedEventAttributes: { workflowType: { name: 'orderWorkflow' } },
  });
  expect(events).toContainEqual(
    expect.objectContaining({
      eventType: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
      activityTaskScheduledEventAttributes: expect.objectContaining({
        activityType: { name: 'notifyProvider' },
      }),
    }),
  );
  expect(events.every((e) => typeof e.eventId === 'string')).toBe(true);

  const xml = await history(orderId, { format: 'xml' });
  expect(xml.status).toBe(422);
  expect(xml.body.error.code).toBe('validation_failed');
  expect(xml.body.error.details).toEqual([expect.objectContaining({ path: 'format' })]);

  const badId = await history('bad%20id!');
  expect(badId.status).toBe(422);

  const openapi = await request(harness.apiUrl).get('/openapi.json');
  expect(openapi.body.paths['/v1/support/orders/{orderId}/history']).toHaveProperty('get');
});

test('the raw history never shows the payment token, to support or admin; the rest stays readable', async () => {
  const store = await harness.registerProvider({ vertical: 'grocery', webhookUrl: webhooks.url });
  const orderId = await placedGroceryOrder(store.providerId);

  for (const token of [TOKENS.support, TOKENS.admin]) {
    const raw = await history(orderId, { token, format: 'raw' });
    expect(raw.status).toBe(200);
    // Every payload's data, as the JSON it carries (bytes come base64-encoded).
    const payloads: unknown[] = [];
    const collect = (value: unknown): void => {
      if (value === null || typeof value !== 'object') return;
      const { metadata, data } = value as { metadata?: unknown; data?: unknown };
      if (metadata && typeof data === 'string') {
        payloads.push(JSON.parse(Buffer.from(data, 'base64').toString('utf8')));
        return;
      }
      Object.values(value).forEach(collect);
    };
    collect(raw.body.events);
    const text = JSON.stringify(payloads);
    expect(text).not.toContain('tok_ok');
    // The workflow's input: the order request, its token replaced, the rest as placed.
    expect(payloads[0]).toMatchObject({
      orderId,
      request: { providerId: store.providerId, paymentToken: '[redacted]' },
    });
  }
});
