// The webhook client against a real HTTP server on 127.0.0.1: with private webhooks refused,
// nothing reaches it, whether the URL names the address, `localhost`, or a name that resolves
// there (also only by the time of delivery); with them allowed, the same requests arrive, at
// the address the checked answer named.

import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createWebhookClient,
  targetRefusalOf,
  webhookUrlRefusal,
  WebhookTargetRefused,
  type Resolve,
  type WebhookClient,
} from './webhook-client';

const STRICT = { allowPrivate: false };
const DEV = { allowPrivate: true };

interface Receiver {
  port: number;
  received: { url?: string; headers: IncomingMessage['headers']; body: string }[];
  server: Server;
}

async function startReceiver(answer: (res: import('node:http').ServerResponse) => void) {
  const receiver = { received: [] } as unknown as Receiver;
  receiver.server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      receiver.received.push({ url: req.url, headers: req.headers, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.port = (receiver.server.address() as AddressInfo).port;
  return receiver;
}

const at = (...addresses: string[]): LookupAddress[] =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
/** A resolver that knows only `names`. */
const resolver =
  (names: Record<string, () => LookupAddress[]>): Resolve =>
  async (hostname) => {
    const answer = names[hostname];
    if (!answer) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer();
  };

const send = (client: WebhookClient, url: string) =>
  client.post(url, {
    headers: { 'content-type': 'application/json', 'x-test': 'yes' },
    body: '{"id":"evt_1"}',
    timeoutMs: 5000,
  });

let receiver: Receiver;
const clients: WebhookClient[] = [];
function client(policy: typeof STRICT, resolve?: Resolve): WebhookClient {
  const made = createWebhookClient(policy, resolve ? { resolve } : {});
  clients.push(made);
  return made;
}

beforeAll(async () => {
  receiver = await startReceiver((res) => res.writeHead(204).end());
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  receiver.received.length = 0;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.server.close(resolve));
});

async function expectRefused(sending: Promise<unknown>, reason: RegExp) {
  const error = await sending.then(
    () => undefined,
    (e: unknown) => e,
  );
  const refusal = targetRefusalOf(error);
  expect(refusal).toBeInstanceOf(WebhookTargetRefused);
  expect(refusal?.message).toMatch(reason);
}

describe('private webhooks not allowed: nothing reaches a server on 127.0.0.1', () => {
  test('by its address', async () => {
    await expectRefused(
      send(client(STRICT), `http://127.0.0.1:${receiver.port}/hook`),
      /127\.0\.0\.1 is a loopback address/,
    );
    expect(receiver.received).toEqual([]);
  });

  test('by `localhost`', async () => {
    await expectRefused(
      send(client(STRICT), `http://localhost:${receiver.port}/hook`),
      /localhost is a loopback address/,
    );
    expect(receiver.received).toEqual([]);
  });

  test('by a name that resolves there, alone or among public addresses', async () => {
    const resolve = resolver({
      'hooks.test': () => at('127.0.0.1'),
      'mixed.test': () => at('93.184.216.34', '127.0.0.1'),
    });
    await expectRefused(
      send(client(STRICT, resolve), `http://hooks.test:${receiver.port}/hook`),
      /^hooks\.test: 127\.0\.0\.1 is a loopback address/,
    );
    await expectRefused(
      send(client(STRICT, resolve), `http://mixed.test:${receiver.port}/hook`),
      /^mixed\.test: 127\.0\.0\.1 is a loopback address/,
    );
    expect(receiver.received).toEqual([]);
  });

  test('by a name that resolved to a public address when it was registered, and there only now (rebinding)', async () => {
    let answers = 0;
    const resolve = resolver({
      'rebind.test': () => (++answers === 1 ? at('93.184.216.34') : at('127.0.0.1')),
    });
    const url = `http://rebind.test:${receiver.port}/hook`;
    expect(await webhookUrlRefusal(url, STRICT, { resolve })).toBeUndefined();
    await expectRefused(send(client(STRICT, resolve), url), /rebind\.test: 127\.0\.0\.1/);
    expect(receiver.received).toEqual([]);
  });
});

describe('private webhooks allowed', () => {
  test('the same requests arrive, at the address the checked answer named', async () => {
    const resolve = resolver({
      'hooks.test': () => at('127.0.0.1'),
      localhost: () => at('127.0.0.1'),
    });
    const webhooks = client(DEV, resolve);
    for (const host of ['127.0.0.1', 'localhost', 'hooks.test'])
      expect(await send(webhooks, `http://${host}:${receiver.port}/hook`)).toEqual({ status: 204 });
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2]).toMatchObject({
      url: '/hook',
      headers: { 'content-type': 'application/json', 'x-test': 'yes' },
      body: '{"id":"evt_1"}',
    });
  });

  test('metadata addresses stay refused, by address or by a name that resolves there', async () => {
    const resolve = resolver({ 'meta.test': () => at('169.254.169.254') });
    const webhooks = client(DEV, resolve);
    await expectRefused(send(webhooks, 'http://169.254.169.254/latest/'), /metadata/);
    await expectRefused(send(webhooks, 'http://[::ffff:a9fe:a9fe]/'), /metadata/);
    await expectRefused(send(webhooks, 'http://metadata.google.internal/'), /metadata/);
    await expectRefused(send(webhooks, `http://meta.test:${receiver.port}/`), /metadata/);
  });

  test('a redirect is not followed: the 3xx is the answer', async () => {
    const redirecting = await startReceiver((res) =>
      res.writeHead(302, { location: `http://127.0.0.1:${receiver.port}/elsewhere` }).end(),
    );
    try {
      expect(await send(client(DEV), `http://127.0.0.1:${redirecting.port}/hook`)).toEqual({
        status: 302,
      });
      expect(redirecting.received).toHaveLength(1);
      expect(receiver.received).toEqual([]);
    } finally {
      await new Promise((resolve) => redirecting.server.close(resolve));
    }
  });
});

describe('webhookUrlRefusal (registration)', () => {
  const resolve = resolver({
    'private.test': () => at('10.1.2.3'),
    'v6.test': () => at('2606:4700::1', 'fd00:ec2::254'),
    'public.test': () => at('93.184.216.34', '2606:4700::1'),
  });

  test.each<[string, typeof STRICT, string | undefined]>([
    ['https://public.test/hooks', STRICT, undefined],
    ['https://private.test/hooks', STRICT, 'private.test: 10.1.2.3 is a private address'],
    ['https://private.test/hooks', DEV, undefined],
    ['https://v6.test/hooks', DEV, 'v6.test: fd00:ec2::254 is a cloud metadata address'],
    ['http://[::1]:22/', STRICT, '::1 is a loopback address'],
    // Not resolvable now: every delivery resolves and checks it again.
    ['https://not-yet.test/hooks', STRICT, undefined],
  ])('%s (private allowed: %j)', async (url, policy, refusal) => {
    const answer = await webhookUrlRefusal(url, policy, { resolve });
    if (refusal === undefined) expect(answer).toBeUndefined();
    else expect(answer).toContain(refusal);
  });

  test('a resolver that does not answer is given up on after the timeout', async () => {
    const never: Resolve = () => new Promise(() => undefined);
    const started = Date.now();
    expect(
      await webhookUrlRefusal('https://slow.test/', STRICT, { resolve: never, timeoutMs: 200 }),
    ).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
