// App events end to end (../shared/API.md, "App events"): endpoints registered by an admin
// receive every status change, refund and re-route of every order, signed per Standard
// Webhooks (verified with the `standardwebhooks` library, as an app would); a failing
// endpoint gets the event again with backoff, a dead one delays nothing (its delivery counts
// in the API's pending-deliveries gauge), and an admin's retry sends a delivery again now.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { eventually, TOKENS, useHarness, type RegisteredProvider } from './support/harness';
import { recordHistory } from './support/histories';
import { groceryOrder, placeOrder, waitForStatus } from './support/orders';
import { support } from './support/staff';
import { appEventTaskQueue } from '../infra/task-queues';
import {
  appEventDeliveryWorkflowId,
  appEventRelayWorkflowId,
} from '../workflows/app-event-messages';

const harness = useHarness({
  env: {
    // Refunds after the order closed run in its after-sales workflow: events from there too.
    REFUND_WINDOW_SECONDS: '600',
    // Short, so retries show within a test: 0.5 s, 1 s, 2 s … at most 30 s apart.
    APP_EVENT_RETRY_INITIAL_SECONDS: '0.5',
    APP_EVENT_RETRY_MAX_SECONDS: '30',
  },
});
let store: RegisteredProvider;

interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: {
    id: string;
    type: string;
    orderId: string;
    sequence: number;
    occurredAt: string;
    order: {
      orderId: string;
      status: string;
      revision: number;
      providerId: string;
      refunds?: { status: string }[];
      routing?: { providerId: string; outcome: string }[];
    };
  };
}

/** The app's backend: records every request, answers what `answer` says for it. */
async function startAppBackend(
  answer: (event: Received, received: readonly Received[]) => number = () => 204,
  port = 0,
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const event: Received = {
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody) as Received['body'],
      };
      received.push(event);
      res.writeHead(answer(event, received)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/orderflow-events`,
    port: bound,
    received,
    of: (orderId: string) => received.filter((r) => r.body.orderId === orderId),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const backends: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

function admin(token = TOKENS.admin) {
  const auth = (r: request.Test) => r.set('Authorization', `Bearer ${token}`);
  const base = '/v1/admin/app-endpoints';
  return {
    register: (body: object) => auth(request(harness.apiUrl).post(base)).send(body),
    list: () => auth(request(harness.apiUrl).get(base)),
    remove: (endpointId: string) => auth(request(harness.apiUrl).delete(`${base}/${endpointId}`)),
    deliveries: (endpointId: string, status?: string) =>
      auth(request(harness.apiUrl).get(`${base}/${endpointId}/deliveries`)).query(
        status ? { status } : {},
      ),
    retry: (endpointId: string, deliveryId: string) =>
      auth(request(harness.apiUrl).post(`${base}/${endpointId}/deliveries/${deliveryId}/retry`)),
  };
}

async function registerEndpoint(url: string): Promise<{ endpointId: string; secret: string }> {
  const registered = await admin().register({ url, description: 'the app backend' });
  expect(registered.status).toBe(201);
  return { endpointId: registered.body.endpointId, secret: registered.body.signingSecret };
}

function verify(secret: string, event: Received) {
  return new Webhook(secret).verify(event.rawBody, event.headers as Record<string, string>);
}

async function confirmedOrder(): Promise<string> {
  const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
  expect(checkout.status).toBe(201);
  const orderId: string = checkout.body.orderId;
  expect((await store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  return orderId;
}

/** A status webhook's latest status per sequence, for the order (deduped as an app would). */
function statusesOf(events: readonly Received[]): string[] {
  const bySequence = new Map<string, Received>();
  for (const event of events.filter((e) => e.body.type === 'order.status_changed'))
    bySequence.set(event.body.id, event);
  return [...bySequence.values()]
    .sort((a, b) => a.body.sequence - b.body.sequence)
    .map((e) => e.body.order.status);
}

beforeAll(async () => {
  store = await harness.registerProvider({ vertical: 'grocery' });
});

describe('admin endpoints', () => {
  test('only admins manage endpoints', async () => {
    const anonymous = await request(harness.apiUrl)
      .post('/v1/admin/app-endpoints')
      .send({ url: 'https://app.example/events' });
    expect(anonymous.status).toBe(401);
    for (const token of [TOKENS.app, TOKENS.support]) {
      expect((await admin(token).register({ url: 'https://app.example/events' })).status).toBe(403);
      expect((await admin(token).list()).status).toBe(403);
      expect((await admin(token).deliveries('ep_x')).status).toBe(403);
    }
    expect((await admin().list()).body.endpoints).toEqual([]);
  });

  test('bad endpoints are refused with a code, and nothing is registered', async () => {
    const metadata = await admin().register({ url: 'http://169.254.169.254/latest/meta-data' });
    expect(metadata.status).toBe(422);
    expect(metadata.body.error.code).toBe('webhook_url_not_allowed');
    const notUrl = await admin().register({ url: 'not a url' });
    expect(notUrl.status).toBe(422);
    expect(notUrl.body.error.code).toBe('validation_failed');
    const extra = await admin().register({ url: 'https://app.example/events', secret: 'mine' });
    expect(extra.status).toBe(422);
    expect((await admin().list()).body.endpoints).toEqual([]);
    expect((await admin().remove('ep_unknown')).status).toBe(404);
    expect((await admin().deliveries('ep_unknown')).status).toBe(404);
  });

  test('an endpoint is registered with a secret shown once, listed without it, and deleted', async () => {
    const backend = await startAppBackend();
    backends.push(backend);
    const registered = await admin().register({ url: backend.url });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({
      endpointId: expect.stringMatching(/^ep_/),
      url: backend.url,
      signingSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/),
    });
    // Sealed at rest like providers' secrets.
    const stored = await harness.database.models.AppEndpoint.findById(
      registered.body.endpointId,
    ).lean();
    expect(stored?.secret).toMatch(/^enc:v1:/);
    const listed = await admin().list();
    expect(listed.body.endpoints).toEqual([
      expect.objectContaining({ endpointId: registered.body.endpointId, url: backend.url }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(registered.body.signingSecret);

    expect((await admin().remove(registered.body.endpointId)).status).toBe(204);
    expect((await admin().list()).body.endpoints).toEqual([]);
    // A deleted endpoint gets no events.
    const orderId = await confirmedOrder();
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(backend.of(orderId)).toEqual([]);
  });
});

describe('events', () => {
  let endpoint: { endpointId: string; secret: string };
  let backend: Awaited<ReturnType<typeof startAppBackend>>;

  beforeAll(async () => {
    backend = await startAppBackend();
    backends.push(backend);
    endpoint = await registerEndpoint(backend.url);
  });

  test("every status change and refund arrives signed, in the order's sequence, and is listed as delivered", async () => {
    const orderId = await confirmedOrder();
    expect((await store.client.reportEvent(orderId, 'picked_up')).status).toBe(200);
    expect((await store.client.reportEvent(orderId, 'delivered')).body.status).toBe('completed');
    const refund = await support(harness.apiUrl).refund(orderId, {
      amount: 500,
      reason: 'quality',
    });
    expect(refund.status).toBe(201);

    await eventually(
      () =>
        statusesOf(backend.of(orderId)).at(-1) === 'completed' &&
        backend.of(orderId).some((e) => e.body.type === 'order.refunded'),
      20_000,
      'the completed and refunded events',
    );
    const events = backend.of(orderId);
    for (const event of events) {
      expect(verify(endpoint.secret, event)).toEqual(event.body);
      expect(event.headers['webhook-id']).toBe(event.body.id);
      expect(event.body.order.status).toBeDefined();
    }
    expect(statusesOf(events)).toEqual([
      'awaiting_confirmation',
      'confirmed',
      'dispatching',
      'in_progress',
      'completed',
    ]);
    // Sequences grow with the order's changes; each event's order is the order after it.
    const statusEvents = events
      .filter((e) => e.body.type === 'order.status_changed')
      .sort((a, b) => a.body.sequence - b.body.sequence);
    for (const [earlier, later] of statusEvents
      .slice(0, -1)
      .map((e, i) => [e, statusEvents[i + 1]!]))
      expect(later!.body.sequence).toBeGreaterThan(earlier!.body.sequence);
    const refunded = events.find((e) => e.body.type === 'order.refunded')!;
    expect(refunded.body.order.refunds).toEqual([expect.objectContaining({ status: 'refunded' })]);
    expect(refunded.body.sequence).toBeGreaterThan(statusEvents.at(-1)!.body.sequence);
    // The app's view: no bookkeeping. The sequence follows the order's publications, then its
    // revision (domain/app-events.ts).
    expect(refunded.body.sequence % 1_000_000).toBe(refunded.body.order.revision);
    expect(refunded.body.order).not.toHaveProperty('authorisationId');
    expect(JSON.stringify(refunded.body.order)).not.toContain('requestHash');

    // Each delivery records its success just after the endpoint's 2xx: the last may lag.
    const ofOrder = await eventually(
      async () => {
        const delivered = await admin().deliveries(endpoint.endpointId, 'delivered');
        expect(delivered.status).toBe(200);
        const listed = delivered.body.deliveries.filter(
          (d: { orderId: string }) => d.orderId === orderId,
        );
        return listed.length === 6 ? listed : undefined;
      },
      10_000,
      'six deliveries listed as delivered',
    );
    expect(ofOrder).toHaveLength(6);
    for (const delivery of ofOrder) {
      expect(delivery).toMatchObject({ status: 'delivered', endpointId: endpoint.endpointId });
      expect(delivery.attempts).toEqual([
        expect.objectContaining({ delivered: true, httpStatus: 204 }),
      ]);
    }
    const failed = await admin().deliveries(endpoint.endpointId, 'failed');
    expect(failed.body.deliveries).toEqual([]);

    // One relay per endpoint made them all: no workflow per event.
    const relay = await harness.temporal.workflow
      .getHandle(appEventRelayWorkflowId(endpoint.endpointId))
      .describe();
    expect(relay).toMatchObject({ type: 'appEventRelayWorkflow', status: { name: 'RUNNING' } });
    await expect(
      harness.temporal.workflow.getHandle(ofOrder[0].deliveryId).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  test('a re-route is an event of its own, with the order offered to the fallback', async () => {
    const fallback = await harness.registerProvider({ vertical: 'grocery' });
    const first = await harness.registerProvider({
      vertical: 'grocery',
      fallbackProviderIds: [fallback.providerId],
    });
    const checkout = await placeOrder(harness.apiUrl, groceryOrder(first.providerId));
    expect(checkout.status).toBe(201);
    const orderId: string = checkout.body.orderId;
    expect((await first.client.confirm(orderId, { decision: 'reject' })).status).toBe(200);

    const rerouted = await eventually(
      () => backend.of(orderId).find((e) => e.body.type === 'order.rerouted'),
      15_000,
      'the re-route event',
    );
    expect(verify(endpoint.secret, rerouted)).toEqual(rerouted.body);
    expect(rerouted.body.order).toMatchObject({
      status: 'awaiting_confirmation',
      providerId: fallback.providerId,
      routing: [expect.objectContaining({ providerId: first.providerId, outcome: 'rejected' })],
    });
    // The status did not change: no status event for the re-route.
    await eventually(() => statusesOf(backend.of(orderId)).length > 0);
    expect(statusesOf(backend.of(orderId))).toEqual(['awaiting_confirmation']);
  });

  test('an endpoint that fails for a while gets the same event again, with backoff, until it takes it', async () => {
    // Each event fails twice (500), then is taken.
    const flaky = await startAppBackend((event, received) =>
      received.filter((r) => r.body.id === event.body.id).length <= 2 ? 500 : 204,
    );
    backends.push(flaky);
    const flakyEndpoint = await registerEndpoint(flaky.url);
    const orderId = await confirmedOrder();

    const taken = await eventually(
      () =>
        flaky
          .of(orderId)
          .find((e) => flaky.of(orderId).filter((r) => r.body.id === e.body.id).length === 3),
      20_000,
      'an event taken on its third attempt',
    );
    const attempts = flaky.received.filter((r) => r.body.id === taken.body.id);
    // The same event each time, each signed afresh.
    expect(new Set(attempts.map((a) => a.rawBody)).size).toBe(1);
    for (const attempt of attempts)
      expect(verify(flakyEndpoint.secret, attempt)).toEqual(taken.body);
    const listed = await eventually(async () => {
      const { body } = await admin().deliveries(flakyEndpoint.endpointId, 'delivered');
      return body.deliveries.find((d: { eventId: string }) => d.eventId === taken.body.id);
    });
    expect(listed.attempts.map((a: { httpStatus: number }) => a.httpStatus)).toEqual([
      500, 500, 204,
    ]);
    const times = listed.attempts.map((a: { at: string }) => Date.parse(a.at));
    // 0.5 s, then 1 s, apart (at least).
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(400);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(900);
    expect((await admin().remove(flakyEndpoint.endpointId)).status).toBe(204);
    await recordHistory(harness.temporal, orderId, 'app-event-relay-retried', {
      workflowId: appEventRelayWorkflowId(flakyEndpoint.endpointId),
    });
  });

  test('a relay that continues as new keeps delivering, and ends when its endpoint goes', async () => {
    const backend = await startAppBackend();
    backends.push(backend);
    const endpoint = await registerEndpoint(backend.url);
    const relayId = appEventRelayWorkflowId(endpoint.endpointId);
    // Started ahead of the first event with the shortest history: every round ends its run.
    const first = await harness.temporal.workflow.start('appEventRelayWorkflow', {
      workflowId: relayId,
      taskQueue: appEventTaskQueue(harness.config.temporal),
      args: [
        {
          endpointId: endpoint.endpointId,
          retry: {
            initialMs: harness.config.appEvents.retryInitialMs,
            maximumMs: harness.config.appEvents.retryMaximumMs,
          },
          maxHistoryEvents: 1,
        },
      ],
    });
    const orderIds = [await confirmedOrder(), await confirmedOrder()];
    for (const orderId of orderIds)
      await eventually(
        () => statusesOf(backend.of(orderId)).includes('dispatching'),
        15_000,
        'dispatching heard',
      );
    expect(statusesOf(backend.of(orderIds[1]!)).slice(0, 3)).toEqual([
      'awaiting_confirmation',
      'confirmed',
      'dispatching',
    ]);
    const now = await harness.temporal.workflow.getHandle(relayId).describe();
    expect(now.runId).not.toBe(first.firstExecutionRunId);
    expect(now.status.name).toBe('RUNNING');

    expect((await admin().remove(endpoint.endpointId)).status).toBe(204);
    const last = harness.temporal.workflow.getHandle(relayId);
    expect(await last.result()).toBe('endpoint_deleted');
    // Both ends of the chain replay: a run that continued as new, and the run that ended.
    await recordHistory(harness.temporal, orderIds[0]!, 'app-event-relay-continued-as-new', {
      workflowId: relayId,
      runId: first.firstExecutionRunId,
    });
    await recordHistory(harness.temporal, orderIds[0]!, 'app-event-relay-ended-after-continuing', {
      workflowId: relayId,
      runId: (await last.describe()).runId,
    });
  });

  test('a delivery recorded before the relays is sent again by its own workflow', async () => {
    const backend = await startAppBackend();
    backends.push(backend);
    const older = await registerEndpoint(backend.url);
    // As the worker recorded deliveries before the relay: no schedule; it failed long ago.
    const event = {
      id: 'evt_before_relay',
      type: 'order.status_changed',
      orderId: 'ord_before_relay',
      sequence: 1,
      occurredAt: '2026-12-01T00:00:00.000Z',
      order: { orderId: 'ord_before_relay', status: 'completed' },
    };
    const deliveryId = appEventDeliveryWorkflowId(older.endpointId, event.id);
    const at = new Date('2026-12-01T00:00:00.000Z');
    await harness.database.models.AppEventDelivery.create({
      _id: deliveryId,
      endpointId: older.endpointId,
      eventId: event.id,
      type: 'order.status_changed',
      orderId: event.orderId,
      sequence: 1,
      body: JSON.stringify(event),
      status: 'failed',
      createdAt: at,
      updatedAt: at,
    });

    expect((await admin().retry(older.endpointId, deliveryId)).status).toBe(202);
    const arrived = await eventually(
      () => backend.received.find((r) => r.body.id === event.id),
      5_000,
      'the older delivery, sent again',
    );
    expect(verify(older.secret, arrived)).toEqual(event);
    const workflow = harness.temporal.workflow.getHandle(deliveryId);
    expect(await workflow.result()).toBe('delivered');
    const delivered = await admin().deliveries(older.endpointId, 'delivered');
    expect(delivered.body.deliveries).toEqual([
      expect.objectContaining({ deliveryId, status: 'delivered' }),
    ]);
    expect((await admin().remove(older.endpointId)).status).toBe(204);
  });

  test("a dead endpoint delays neither the order nor other endpoints, and an admin's retry sends now", async () => {
    // A port nobody listens on (yet).
    const probe = await startAppBackend();
    const deadPort = probe.port;
    await probe.close();
    const deadUrl = `http://127.0.0.1:${deadPort}/orderflow-events`;
    const dead = await registerEndpoint(deadUrl);

    const started = Date.now();
    const orderId = await confirmedOrder();
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    // The live endpoint has the news while the dead one is still being retried.
    await eventually(
      () => statusesOf(backend.of(orderId)).includes('dispatching'),
      10_000,
      'dispatching at the live endpoint',
    );
    expect(Date.now() - started).toBeLessThan(10_000);

    // Attempts 0.5 s, 1 s, 2 s, 4 s apart: after the fifth the next is 8 s away.
    const pending = await eventually(
      async () => {
        const { body } = await admin().deliveries(dead.endpointId, 'pending');
        return body.deliveries.find(
          (d: { orderId: string; type: string; attempts: unknown[] }) =>
            d.orderId === orderId && d.attempts.length >= 5,
        );
      },
      20_000,
      'five failed attempts',
    );
    expect(pending.attempts[0]).toMatchObject({ delivered: false, error: expect.any(String) });
    // The backlog operators page on (ops/prometheus/rules.yml), counted by the API's /metrics
    // (one count serves 5 s of scrapes).
    const backlog = await eventually(
      async () => {
        const text = await (await fetch(`${harness.apiUrl}/metrics`)).text();
        const value = Number(/^orderflow_app_event_deliveries_pending (\S+)$/m.exec(text)?.[1]);
        return value > 0 ? value : undefined;
      },
      10_000,
      'the pending delivery in /metrics',
    );
    expect(backlog).toBeGreaterThanOrEqual(1);

    const revived = await startAppBackend(() => 204, deadPort);
    backends.push(revived);
    const retried = await admin().retry(dead.endpointId, pending.deliveryId);
    expect(retried.status).toBe(202);
    const arrived = await eventually(
      () => revived.received.find((r) => r.body.id === pending.eventId),
      3_000,
      'the retried event, long before its backoff ends',
    );
    expect(verify(dead.secret, arrived)).toEqual(arrived.body);
    await eventually(async () => {
      const { body } = await admin().deliveries(dead.endpointId, 'delivered');
      return body.deliveries.some(
        (d: { deliveryId: string }) => d.deliveryId === pending.deliveryId,
      );
    });

    // A delivery that ended is sent again on request, with the same id.
    const again = await admin().retry(dead.endpointId, pending.deliveryId);
    expect(again.status).toBe(202);
    await eventually(
      () => revived.received.filter((r) => r.body.id === pending.eventId).length === 2,
      5_000,
      'the event sent again',
    );
    const unknown = await admin().retry(dead.endpointId, 'app-event-nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('delivery_not_found');

    // Deleting the endpoint ends its relay; what it had not delivered yet has failed.
    expect((await admin().remove(dead.endpointId)).status).toBe(204);
    const relay = harness.temporal.workflow.getHandle(appEventRelayWorkflowId(dead.endpointId));
    expect(await relay.result()).toBe('endpoint_deleted');
    const left = await admin().deliveries(dead.endpointId, 'pending');
    expect(left.body.deliveries).toEqual([]);
    await recordHistory(harness.temporal, orderId, 'app-event-relay-retried-by-admin', {
      workflowId: appEventRelayWorkflowId(dead.endpointId),
    });
  });
});
