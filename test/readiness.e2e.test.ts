// Readiness: `/readyz` answers 200 while Temporal and the database answer, and 503 naming the
// one that is down otherwise, then 200 again once it is back; `/healthz` (liveness) never
// depends on them, and an endpoint that needs the missing dependency answers 503, not 500.
// The API under test reaches each server through a TCP relay the test can cut and restore,
// so "down" is exactly a dependency that stops answering, whatever the driver does next.

import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import request from 'supertest';
import { startApi, type RunningApi } from '../api/server';
import { loadConfig } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger } from '../infra/logger';
import { connectClient } from '../infra/temporal';
import type { Client } from '@temporalio/client';
import { eventually, TOKENS } from './support/harness';

/** A TCP relay to `host:port` that can stop relaying (every connection cut, new ones too). */
async function startRelay(host: string, port: number) {
  const open = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    cut() {
      cut = true;
      for (const socket of open) socket.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

type Relay = Awaited<ReturnType<typeof startRelay>>;

function hostAndPort(address: string): [string, number] {
  const { hostname, port } = new URL(address.includes('://') ? address : `tcp://${address}`);
  return [hostname, Number(port)];
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through jest (test/global-setup.ts)`);
  return value;
}

let databaseRelay: Relay;
let temporalRelay: Relay;
let database: Database;
let temporal: Client;
let api: RunningApi;

beforeAll(async () => {
  const mongoUri = required('TEST_MONGODB_URI');
  const temporalAddress = required('TEST_TEMPORAL_ADDRESS');
  databaseRelay = await startRelay(...hostAndPort(mongoUri));
  temporalRelay = await startRelay(...hostAndPort(temporalAddress));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    MONGODB_URI: `mongodb://127.0.0.1:${databaseRelay.port}/readyz_${randomBytes(6).toString('hex')}`,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalRelay.port}`,
    API_TOKENS: `checkout:app:${TOKENS.app}`,
  });
  const logger = createLogger('silent');
  database = await connectDatabase(config.mongodbUri, logger);
  temporal = await connectClient(config.temporal);
  api = await startApi({ config, database, temporal, logger });
});

afterEach(() => {
  databaseRelay.restore();
  temporalRelay.restore();
});

afterAll(async () => {
  await api?.close(0);
  await temporal?.connection.close().catch(() => undefined);
  await database?.connection.dropDatabase().catch(() => undefined);
  await database?.close().catch(() => undefined);
  await databaseRelay?.close();
  await temporalRelay?.close();
});

const readyz = () => request(api.url).get('/readyz');

const READY = { status: 'ready', checks: { database: 'up', temporal: 'up' } };

/** Readiness once the dependencies are back (drivers reconnect with their own backoff). */
async function readyAgain() {
  await eventually(async () => (await readyz()).status === 200, 30_000, '/readyz to be 200');
  expect((await readyz()).body).toEqual(READY);
}

test('both dependencies up: 200 ready', async () => {
  const response = await readyz();
  expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: READY });
  expect(response.headers['cache-control']).toBe('no-store');
});

test('the database down: 503 naming it, liveness unaffected; back: 200', async () => {
  databaseRelay.cut();
  const started = Date.now();
  const response = await readyz();
  expect({ status: response.status, body: response.body }).toEqual({
    status: 503,
    body: { status: 'unavailable', checks: { database: 'down', temporal: 'up' } },
  });
  // Bounded: a load balancer's probe gets its answer in a few seconds, not a driver timeout.
  expect(Date.now() - started).toBeLessThan(5_000);
  expect((await request(api.url).get('/healthz')).status).toBe(200);

  databaseRelay.restore();
  await readyAgain();
});

test('Temporal down: 503 naming it; back: 200', async () => {
  temporalRelay.cut();
  const started = Date.now();
  const response = await readyz();
  expect({ status: response.status, body: response.body }).toEqual({
    status: 503,
    body: { status: 'unavailable', checks: { database: 'up', temporal: 'down' } },
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect((await request(api.url).get('/healthz')).status).toBe(200);

  temporalRelay.restore();
  await readyAgain();
});

test('both down: 503 naming both', async () => {
  databaseRelay.cut();
  temporalRelay.cut();
  const response = await readyz();
  expect({ status: response.status, body: response.body }).toEqual({
    status: 503,
    body: { status: 'unavailable', checks: { database: 'down', temporal: 'down' } },
  });
  databaseRelay.restore();
  temporalRelay.restore();
  await readyAgain();
});

test('a request that needs the missing database answers 503 dependency_unavailable, never 500', async () => {
  databaseRelay.cut();
  const response = await request(api.url)
    .get('/v1/orders/ord_readiness')
    .set('Authorization', `Bearer ${TOKENS.app}`);
  expect({ status: response.status, code: response.body.error?.code }).toEqual({
    status: 503,
    code: 'dependency_unavailable',
  });
  databaseRelay.restore();
  await readyAgain();
});
