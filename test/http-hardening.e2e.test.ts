// What a hostile or broken client meets: malformed paths and bodies are a 4xx with the JSON
// error shape (never a 500), requests Node's HTTP parser rejects still get JSON and an
// X-Request-Id, and a shutdown finishes even while clients keep their connections open.

import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import request from 'supertest';
import { startApi, type RunningApi } from '../api/server';
import { createLogger } from '../infra/logger';
import { attemptOrderId } from '../infra/models/idempotency';
import { eventually, TOKENS, useHarness } from './support/harness';
import { GROCERY_TOTAL, groceryOrder, placeOrder } from './support/orders';

const harness = useHarness({ providers: ['grocery'] });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectJsonError(
  response: { status: number; headers: Record<string, unknown>; body: unknown },
  status: number,
  code: string,
) {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['x-request-id']).toMatch(/\S/);
  expect(JSON.stringify(response.body)).not.toMatch(/\bat .*\.(js|ts):\d+/);
}

describe('malformed percent-escapes in the path', () => {
  test('on app routes: 400 malformed_path', async () => {
    const response = await request(harness.apiUrl)
      .get('/v1/orders/%ZZ')
      .set('Authorization', `Bearer ${TOKENS.app}`);
    expectJsonError(response, 400, 'malformed_path');
    const cancel = await request(harness.apiUrl)
      .post('/v1/orders/%E0%A4%A/cancel')
      .set('Authorization', `Bearer ${TOKENS.app}`)
      .send({ reason: 'x' });
    expectJsonError(cancel, 400, 'malformed_path');
  });

  test.each([
    ['post', '/v1/providers/%ZZ/orders/x/events'],
    ['post', '/v1/providers/p1/orders/%ZZ/confirmation'],
    ['get', '/v1/providers/%ZZ/orders'],
  ] as const)('on provider routes (%s %s): 400 malformed_path', async (method, path) => {
    const probe = request(harness.apiUrl)[method](path).set('X-Request-Id', 'probe-1');
    const response =
      method === 'post'
        ? await probe.set('Content-Type', 'application/json').send('{"type":"picked_up"}')
        : await probe;
    expectJsonError(response, 400, 'malformed_path');
    expect(response.headers['x-request-id']).toBe('probe-1');
  });
});

describe('bodies that do not decode with their Content-Encoding', () => {
  const garbage = Buffer.from('these bytes are not compressed at all \x00\x01\x02\xff', 'binary');
  const truncatedGzip = gzipSync(JSON.stringify({ vertical: 'grocery' })).subarray(0, 12);
  const truncatedBrotli = brotliCompressSync(Buffer.from(JSON.stringify({ a: 'b'.repeat(500) })));

  const corrupt: [label: string, encoding: string, body: Buffer][] = [
    ['garbage gzip', 'gzip', garbage],
    ['garbage deflate', 'deflate', garbage],
    ['garbage br', 'br', garbage],
    ['truncated gzip', 'gzip', truncatedGzip],
    ['truncated br', 'br', truncatedBrotli.subarray(0, truncatedBrotli.length - 4)],
  ];

  test.each(corrupt)(
    'checkout with a %s body: 400 malformed_body',
    async (label, encoding, body) => {
      const response = await request(harness.apiUrl)
        .post('/v1/orders')
        .set('Authorization', `Bearer ${TOKENS.app}`)
        .set('Idempotency-Key', `corrupt-${label.replace(' ', '-')}`)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send(body);
      expectJsonError(response, 400, 'malformed_body');
    },
  );

  test.each(corrupt)(
    'a provider callback with a %s body: 400 malformed_body',
    async (_label, encoding, body) => {
      const response = await request(harness.apiUrl)
        .post(`/v1/providers/${harness.store.providerId}/orders/ord_x/events`)
        .set('Orderflow-Signature', 't=1,v1=00')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send(body);
      expectJsonError(response, 400, 'malformed_body');
    },
  );

  test('an encoding the server does not speak: 415 unsupported_encoding', async () => {
    const response = await request(harness.apiUrl)
      .post('/v1/orders')
      .set('Authorization', `Bearer ${TOKENS.app}`)
      .set('Idempotency-Key', 'corrupt-compress')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'compress')
      .send(garbage);
    expectJsonError(response, 415, 'unsupported_encoding');
  });
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Sends raw bytes on a fresh connection and parses what comes back before it closes. */
function rawExchange(url: string, data: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(data));
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer arrived is fine; the answer is what counts.
    socket.on('error', (error) => (chunks.length ? undefined : reject(error)));
    socket.on('close', () => resolve(parseRawAnswer(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** One HTTP/1.1 answer as received on a raw connection. */
function parseRawAnswer(text: string): RawResponse {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // left as text for the assertion to show
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: parsed };
}

describe("requests Node's HTTP parser rejects", () => {
  test('20 KB of headers: 431 with a JSON body and an X-Request-Id', async () => {
    const response = await rawExchange(
      harness.apiUrl,
      `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectJsonError(response, 431, 'headers_too_large');
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(response.headers.connection).toBe('close');
  });

  test.each([
    ['a garbage request line', 'this is not http at all\r\n\r\n'],
    ['an invalid header', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n'],
  ])('%s: 400 with a JSON body and an X-Request-Id', async (_name, data) => {
    const response = await rawExchange(harness.apiUrl, data);
    expectJsonError(response, 400, 'malformed_request');
    expect(response.headers['x-request-id']).toMatch(UUID);
  });
});

describe('shutdown', () => {
  const GRACE_MS = 1_500;
  let api: RunningApi;
  /** What the API logged, one parsed JSON line each. */
  let logged: { level: number; msg: string }[];

  beforeEach(async () => {
    logged = [];
    api = await startApi({
      config: harness.config,
      database: harness.database,
      temporal: harness.temporal,
      logger: createLogger('info', {}, { write: (line: string) => logged.push(JSON.parse(line)) }),
    });
  });

  afterEach(async () => {
    await api.close(0).catch(() => undefined);
  });

  /** Resolves with how long `close(grace)` took; fails past grace + 2 s. */
  async function timedClose(graceMs: number): Promise<number> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      api.close(graceMs),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`close(${graceMs}) did not resolve within grace + 2 s`)),
          graceMs + 2_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return Date.now() - started;
  }

  /** Resolves when the server has received the next request's head (Express runs it). */
  const nextRequestReceived = () =>
    new Promise<void>((resolve) => api.server.once('request', () => resolve()));

  const eventsPath = () => `/v1/providers/${harness.store.providerId}/orders/ord_x/events`;
  const eventBody = JSON.stringify({ type: 'picked_up', at: '2030-01-01T00:00:00.000Z' });

  /** A raw connection: what it received once the server closed it. */
  async function rawConnection() {
    const { hostname, port } = new URL(api.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<string>((resolve) =>
      socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8'))),
    );
    return { socket, closed };
  }

  /** Sends a request's head and part of its body, and waits until the server has it. */
  async function startSlowRequest() {
    const { socket, closed } = await rawConnection();
    const received = nextRequestReceived();
    socket.write(
      `POST ${eventsPath()} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${eventBody.length}\r\n\r\n${eventBody.slice(0, 5)}`,
    );
    await received; // the server is reading the body
    return { finish: () => socket.write(eventBody.slice(5)), closed };
  }

  test('a keep-alive client looping on one connection is moved off it, and close() resolves', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const CLOSE_DURING = 5;
    let closing: Promise<number> | undefined;
    /** One request on the agent's connection; number CLOSE_DURING is in flight at close(). */
    const send = (index: number) =>
      new Promise<{ connection?: string; error?: string }>((resolve) => {
        const req = httpRequest(
          `${api.url}${eventsPath()}`,
          {
            agent,
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'Content-Length': eventBody.length },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ connection: res.headers.connection }));
          },
        );
        req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
        if (index !== CLOSE_DURING) {
          req.end(eventBody);
          return;
        }
        const received = nextRequestReceived();
        req.write(eventBody.slice(0, 5));
        void received.then(() => {
          closing = timedClose(GRACE_MS);
          req.end(eventBody.slice(5));
        });
      });

    const results: { connection?: string; error?: string }[] = [];
    try {
      // Without a working shutdown this loop would go on for ever; 100 requests is plenty.
      for (let index = 0; index < 100; index += 1) {
        const result = await send(index);
        results.push(result);
        if (result.error === 'ECONNREFUSED') break;
      }
    } finally {
      agent.destroy();
    }
    expect(closing).toBeDefined();
    const elapsed = await closing;
    expect(elapsed).toBeLessThan(GRACE_MS + 2_000);

    const outcome = (r: { connection?: string; error?: string }) => r.error ?? r.connection;
    expect(results.slice(0, CLOSE_DURING).map(outcome)).toEqual(
      Array(CLOSE_DURING).fill('keep-alive'),
    );
    // The request in flight at close() is answered, telling the client to move off...
    expect(outcome(results[CLOSE_DURING]!)).toBe('close');
    // ...and the next one finds no server to connect to.
    expect(results.slice(CLOSE_DURING + 1).map(outcome)).toEqual(['ECONNREFUSED']);
  });

  test('a request arriving on an open connection after close() began gets Connection: close', async () => {
    const { socket, closed } = await rawConnection();
    const received = nextRequestReceived();
    // The request line is in, the head is not finished: the connection is not idle.
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = timedClose(GRACE_MS * 4);
    socket.write('\r\n');
    await received;
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('{"status":"ok"}');
    expect(await closing).toBeLessThan(GRACE_MS * 4);
  });

  test('close() without arguments closes idle keep-alive connections at once; again is harmless', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const response = await request(api.url).get('/healthz').agent(agent);
      expect(response.headers.connection).toBe('keep-alive');
      const started = Date.now();
      await api.close();
      // Well before the default grace period (and the 65 s keep-alive timeout).
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(api.close()).resolves.toBeUndefined();
    } finally {
      agent.destroy();
    }
  });

  test('a request in flight when close() begins finishes, answered with Connection: close', async () => {
    const slow = await startSlowRequest();
    const closing = timedClose(GRACE_MS * 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    slow.finish();
    const answer = await slow.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('"invalid_signature"');
    expect(await closing).toBeLessThan(GRACE_MS * 4);
  });

  test('a request still running at the end of the grace period is answered 503 shutting_down, and close() resolves', async () => {
    const slow = await startSlowRequest();
    const elapsed = await timedClose(GRACE_MS);
    expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(elapsed).toBeLessThan(GRACE_MS + 1_000);
    // Not a reset connection: an answer the client can act on, then the connection closes.
    const answer = parseRawAnswer(await slow.closed);
    expectJsonError(answer, 503, 'shutting_down');
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['x-request-id']).toMatch(UUID);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  test('a checkout that outlives the grace is told to retry with its key, and the retry places the one order', async () => {
    const key = randomUUID();
    // tok_slow keeps the gateway about two seconds: longer than the grace.
    const body = groceryOrder(harness.store.providerId, { token: 'tok_slow' });
    const received = nextRequestReceived();
    const checkout = Promise.resolve(
      request(api.url)
        .post('/v1/orders')
        .set('Authorization', `Bearer ${TOKENS.app}`)
        .set('Idempotency-Key', key)
        .set('X-Request-Id', 'checkout-at-shutdown')
        .send(body),
    );
    await received;
    const elapsed = await timedClose(GRACE_MS);
    const answer = await checkout;

    expect(elapsed).toBeLessThan(GRACE_MS + 1_000);
    expectJsonError(answer, 503, 'shutting_down');
    expect(answer.body.error.message).toMatch(/same Idempotency-Key/);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['x-request-id']).toBe('checkout-at-shutdown');

    // The app retries with its key (on another API process): the same order, charged once.
    const retried = await placeOrder(harness.apiUrl, body, { key });
    expect(retried.status).toBe(201);
    const record = await harness.database.models.IdempotencyRecord.findOne({
      _id: { $regex: `:${key}$` },
    }).lean();
    expect(retried.body.orderId).toBe(attemptOrderId(record!.orderId, 0));
    expect(await harness.ledgerOf(retried.body.orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
    ]);
    // The first handler finished too, after its caller had the 503: it wrote nothing more.
    await eventually(
      async () =>
        logged.some((line) => line.msg === 'request finished after the shutdown answered it') ||
        undefined,
      10_000,
      'the cut-short checkout handler to finish',
    );
    expect(logged.filter((line) => line.msg === 'error after the response started')).toEqual([]);
  });
});
