// An app's order page follows its order without polling in a loop: `GET /v1/orders/:id
// ?afterRevision=N&wait=S` answers as soon as the order's revision passes N (the provider
// confirms), or after S seconds with the order unchanged, against the real Temporal server and
// database. A wait holds nothing but a listener on the API process's change feed: the
// `orderflow_order_waits` gauge counts them, and a client that leaves, or a server that shuts
// down, frees its wait at once.

import { startApi, type RunningApi } from '../api/server';
import { createLogger } from '../infra/logger';
import { eventually, TOKENS, useHarness } from './support/harness';
import { getOrder, groceryOrder, placeOrder } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

interface OrderBody {
  orderId: string;
  status: string;
  revision: number;
}

async function newOrder(): Promise<OrderBody> {
  const placed = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
  expect(placed.status).toBe(201);
  return placed.body as OrderBody;
}

/** A long poll, timed from its start; `signal` lets the client leave. */
async function longPoll(
  orderId: string,
  query: string,
  options: { apiUrl?: string; token?: string; signal?: AbortSignal } = {},
) {
  const started = performance.now();
  const response = await fetch(
    `${options.apiUrl ?? harness.apiUrl}/v1/orders/${orderId}?${query}`,
    {
      headers: { authorization: `Bearer ${options.token ?? TOKENS.app}` },
      signal: options.signal,
    },
  );
  const body = (await response.json()) as OrderBody & {
    error?: { code: string; details?: { path: string }[] };
  };
  return {
    status: response.status,
    body,
    answeredAt: performance.now(),
    ms: performance.now() - started,
  };
}

/** The API process's open waits, from its /metrics. */
async function openWaits(apiUrl = harness.apiUrl): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const match = /^orderflow_order_waits (\d+)$/m.exec(text);
  if (!match) throw new Error('no orderflow_order_waits in /metrics');
  return Number(match[1]);
}

const waitsToBe = (count: number, apiUrl?: string) =>
  eventually(async () => (await openWaits(apiUrl)) === count, 5_000, `${count} open waits`);

test('the order carries its revision, which grows with every change', async () => {
  const order = await newOrder();
  expect(Number.isInteger(order.revision)).toBe(true);
  expect(order.revision).toBeGreaterThanOrEqual(1);
  const read = await getOrder(harness.apiUrl, order.orderId);
  expect(read.body.revision).toBe(order.revision);

  const confirmed = await harness.store.client.confirm(order.orderId, { decision: 'accept' });
  expect(confirmed.status).toBe(200);
  const after = await getOrder(harness.apiUrl, order.orderId);
  expect(after.body.revision).toBeGreaterThan(order.revision);
});

test('a waiting request answers promptly once the provider confirms', async () => {
  const order = await newOrder();
  const waiting = longPoll(order.orderId, `afterRevision=${order.revision}&wait=20`);
  await waitsToBe(1);

  const confirmed = await harness.store.client.confirm(order.orderId, { decision: 'accept' });
  expect(confirmed.status).toBe(200);
  const confirmedAt = performance.now();
  const answer = await waiting;

  expect(answer.status).toBe(200);
  expect(answer.body.revision).toBeGreaterThan(order.revision);
  expect(['confirmed', 'dispatching', 'in_progress']).toContain(answer.body.status);
  // The feed polls every 200 ms: far from the 20 s the request was ready to wait.
  expect(answer.answeredAt - confirmedAt).toBeLessThan(2_000);
  await waitsToBe(0);
});

test('a wait that runs out answers the order as it is', async () => {
  const order = await newOrder();
  const answer = await longPoll(order.orderId, `afterRevision=${order.revision}&wait=1`);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({
    orderId: order.orderId,
    status: 'awaiting_confirmation',
    revision: order.revision,
  });
  expect(answer.ms).toBeGreaterThanOrEqual(990);
  expect(answer.ms).toBeLessThan(3_000);
  // Timed apart from the route's plain reads, which a wait's seconds would otherwise swamp.
  const metrics = await (await fetch(`${harness.apiUrl}/metrics`)).text();
  expect(metrics).toMatch(
    /orderflow_http_request_duration_seconds_count\{[^}]*route="\/v1\/orders\/:orderId \(long poll\)"/,
  );
});

test('an order already past afterRevision answers at once', async () => {
  const order = await newOrder();
  const answer = await longPoll(order.orderId, `afterRevision=${order.revision - 1}&wait=20`);
  expect(answer.status).toBe(200);
  expect(answer.body.revision).toBe(order.revision);
  expect(answer.ms).toBeLessThan(1_000);
});

test('bad afterRevision or wait values are 422 naming the field, and nothing waits', async () => {
  const order = await newOrder();
  const cases: [query: string, field: string][] = [
    ['afterRevision=-1', 'afterRevision'],
    ['afterRevision=abc', 'afterRevision'],
    ['afterRevision=', 'afterRevision'],
    ['afterRevision=1.5', 'afterRevision'],
    ['afterRevision=1&afterRevision=2', 'afterRevision'],
    ['afterRevision=1&wait=31', 'wait'],
    ['afterRevision=1&wait=-1', 'wait'],
    ['afterRevision=1&wait=2.5', 'wait'],
    ['afterRevision=1&wait=', 'wait'],
    ['wait=5', 'afterRevision'],
  ];
  for (const [query, field] of cases) {
    const answer = await longPoll(order.orderId, query);
    expect({ query, status: answer.status, code: answer.body.error?.code }).toEqual({
      query,
      status: 422,
      code: 'validation_failed',
    });
    expect(answer.body.error?.details?.map((detail) => detail.path)).toContain(field);
    expect(answer.ms).toBeLessThan(1_000);
  }
});

test("another app's order, or an unknown one, is 404 at once", async () => {
  const order = await newOrder();
  const other = await longPoll(order.orderId, `afterRevision=${order.revision}&wait=20`, {
    token: TOKENS.otherApp,
  });
  expect(other.status).toBe(404);
  expect(other.body.error?.code).toBe('order_not_found');
  expect(other.ms).toBeLessThan(1_000);

  const unknown = await longPoll('ord_no_such_order', 'afterRevision=0&wait=20');
  expect(unknown.status).toBe(404);
  expect(unknown.ms).toBeLessThan(1_000);
  expect(await openWaits()).toBe(0);
});

test('a client that leaves frees its wait', async () => {
  const order = await newOrder();
  const leave = new AbortController();
  const waiting = longPoll(order.orderId, `afterRevision=${order.revision}&wait=30`, {
    signal: leave.signal,
  });
  await waitsToBe(1);
  leave.abort();
  await expect(waiting).rejects.toThrow();
  await waitsToBe(0);
});

describe('a second API process on the same database', () => {
  let second: RunningApi;

  beforeAll(async () => {
    second = await startApi({
      config: harness.config,
      database: harness.database,
      temporal: harness.temporal,
      logger: createLogger('silent'),
    });
  });

  afterAll(async () => {
    await second?.close();
  });

  test('wakes its own waits from its own feed', async () => {
    const order = await newOrder();
    const waiting = longPoll(order.orderId, `afterRevision=${order.revision}&wait=20`, {
      apiUrl: second.url,
    });
    await waitsToBe(1, second.url);
    // The confirmation goes through the first API; the second learns of it from the database.
    await harness.store.client.confirm(order.orderId, { decision: 'accept' });
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body.revision).toBeGreaterThan(order.revision);
    expect(answer.ms).toBeLessThan(5_000);
  });

  test('answers its waits at once when it shuts down, with the order as it is', async () => {
    const order = await newOrder();
    const waiting = longPoll(order.orderId, `afterRevision=${order.revision}&wait=30`, {
      apiUrl: second.url,
    });
    await waitsToBe(1, second.url);
    const closingAt = performance.now();
    const closed = second.close();
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ orderId: order.orderId, revision: order.revision });
    // Well inside the 10 s grace that a request still running would be given.
    expect(answer.answeredAt - closingAt).toBeLessThan(2_000);
    await closed;
  });
});
