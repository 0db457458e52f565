// What the app's long polls cost an API process: `npm run bench:long-poll -- [options]`
// (`--help` lists them). Starts throwaway servers, the order worker and the API as processes
// of their own (so /proc tells the API's CPU and memory apart), places ORDERS grocery orders,
// then measures the API process idle for a while, opens WAITS long polls
// (`GET /v1/orders/:id?afterRevision=<current>&wait=30`) spread over the orders, measures it
// again while they all wait, has the store confirm one order and times how fast that order's
// waits answer. The database's processes (FerretDB and its PostgreSQL) are measured too: the
// change feed's polls are theirs to answer. Nothing here asserts: it measures.

import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createAdminClient } from '../dev/admin-client';
import { freePort } from '../dev/embedded';
import { createProviderClient } from '../dev/provider-client';
import { sampleGroceryOrder } from '../dev/sample-orders';
import { machineInfo, memoryOf, treeCpuSeconds } from './lib/proc';
import {
  spawnService,
  startServers,
  waitUntilReady,
  workersPolling,
  type Servers,
} from './lib/runtime';
import { percentile } from './lib/stats';

const HELP = `npm run bench:long-poll -- [--waits N] [--orders N] [--measure S]
  --waits    long polls held open at once (default 2000)
  --orders   orders they are spread over (default 200)
  --measure  seconds the API is measured idle, then while they wait (default 10)`;

interface Phase {
  seconds: number;
  /** API process CPU over the phase, as a share of one core. */
  apiCpuPercent: number;
  /** The database's processes (FerretDB and its PostgreSQL, with its backends). */
  databaseCpuPercent?: number;
  apiRssMb: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Samples CPU before and after `seconds` of doing nothing here, and the RSS at the end. */
async function measure(apiPid: number, servers: Servers, seconds: number): Promise<Phase> {
  const databaseCpu = () =>
    servers.pids.database?.reduce((sum, pid) => sum + (treeCpuSeconds(pid) ?? 0), 0);
  const apiBefore = treeCpuSeconds(apiPid) ?? 0;
  const databaseBefore = databaseCpu();
  await sleep(seconds * 1000);
  const apiAfter = treeCpuSeconds(apiPid) ?? 0;
  const databaseAfter = databaseCpu();
  return {
    seconds,
    apiCpuPercent: round1(((apiAfter - apiBefore) / seconds) * 100),
    ...(databaseBefore !== undefined && databaseAfter !== undefined
      ? { databaseCpuPercent: round1(((databaseAfter - databaseBefore) / seconds) * 100) }
      : {}),
    apiRssMb: round1((memoryOf(apiPid, false)?.rssKb ?? 0) / 1024),
  };
}

async function openWaits(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  return Number(/^orderflow_order_waits (\d+)$/m.exec(text)?.[1] ?? NaN);
}

async function main() {
  const { values } = parseArgs({
    options: {
      waits: { type: 'string', default: '2000' },
      orders: { type: 'string', default: '200' },
      measure: { type: 'string', default: '10' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const waits = Number(values.waits);
  const orders = Number(values.orders);
  const measureSeconds = Number(values.measure);
  // Every wait must still be open when the confirmation comes: 30 s is the most one waits.
  if (measureSeconds > 20) throw new Error('--measure must be at most 20 (waits last 30 s)');
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const servers = await startServers(undefined);
  const runId = randomBytes(4).toString('hex');
  const appToken = `bench-app-${randomBytes(12).toString('hex')}`;
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const taskQueue = `orders-long-poll-${runId}`;
  const env = {
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    MONGODB_URI: `${servers.mongodbUri}/long_poll_${runId}`,
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_TOKENS: `bench-app:app:${appToken},bench-admin:admin:${adminToken}`,
    REFUND_WINDOW_SECONDS: '0',
  };
  const worker = spawnService('order-worker', 'workers/order-worker.ts', env, servers.dataDir);
  const api = spawnService('api', 'api/server.ts', env, servers.dataDir);
  try {
    await Promise.all([
      waitUntilReady(
        api,
        async () => (await fetch(`${apiUrl}/readyz`)).ok,
        60_000,
        servers.dataDir,
      ),
      waitUntilReady(
        worker,
        () => workersPolling(servers.client, taskQueue),
        120_000,
        servers.dataDir,
      ),
    ]);
    const providerId = `bench-store-${runId}`;
    const { signingSecret } = await createAdminClient(apiUrl, adminToken).registerOrThrow({
      providerId,
      vertical: 'grocery',
      name: 'Long-poll bench store',
    });
    const store = createProviderClient(apiUrl, { providerId, signingSecret });
    const app = { authorization: `Bearer ${appToken}` };

    log(`placing ${orders} grocery orders…`);
    const placed: { orderId: string; revision: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < orders) {
          next += 1;
          const response = await fetch(`${apiUrl}/v1/orders`, {
            method: 'POST',
            headers: {
              ...app,
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify(sampleGroceryOrder(providerId)),
          });
          const body = (await response.json()) as { orderId: string; revision: number };
          if (response.status !== 201) throw new Error(`checkout answered ${response.status}`);
          placed.push({ orderId: body.orderId, revision: body.revision });
        }
      }),
    );
    await sleep(2_000); // let the checkouts' last publications settle

    log(`measuring the API process idle for ${measureSeconds} s…`);
    const idle = await measure(api.pid, servers, measureSeconds);

    log(`opening ${waits} long polls over ${orders} orders…`);
    const openedAt = performance.now();
    const answers = Array.from({ length: waits }, async (_, i) => {
      const order = placed[i % placed.length]!;
      try {
        const response = await fetch(
          `${apiUrl}/v1/orders/${order.orderId}?afterRevision=${order.revision}&wait=30`,
          { headers: app },
        );
        const body = (await response.json()) as { revision: number };
        return { status: response.status, revision: body.revision, at: performance.now() };
      } catch {
        return { status: 0, revision: 0, at: performance.now() };
      }
    });
    while ((await openWaits(apiUrl)) < waits) {
      if (performance.now() - openedAt > 20_000) throw new Error('the waits did not all open');
      await sleep(100);
    }
    const openMs = performance.now() - openedAt;
    log(`all ${waits} waiting after ${Math.round(openMs)} ms; measuring for ${measureSeconds} s…`);
    const waiting = await measure(api.pid, servers, measureSeconds);

    const target = placed[0]!;
    const confirmed = await store.confirm(target.orderId, { decision: 'accept' });
    if (confirmed.status !== 200) throw new Error(`confirmation answered ${confirmed.status}`);
    const confirmedAt = performance.now();
    const targetIndexes = new Set(
      Array.from({ length: waits }, (_, i) => i).filter((i) => i % placed.length === 0),
    );
    const targetAnswers = await Promise.all(answers.filter((_, i) => targetIndexes.has(i)));
    const latencies = targetAnswers.map((answer) => answer.at - confirmedAt).sort((a, b) => a - b);
    const stillOpen = await openWaits(apiUrl);

    log('waiting for the other waits to run out…');
    const all = await Promise.all(answers);
    const report = {
      machine: machineInfo(),
      databaseBackend: servers.databaseBackend,
      waits,
      orders,
      openAllMs: Math.round(openMs),
      idle,
      waiting,
      confirmation: {
        waitsOnTheOrder: targetAnswers.length,
        changed: targetAnswers.filter((answer) => answer.revision > target.revision).length,
        answeredAfterMs: {
          min: Math.round(latencies[0] ?? NaN),
          p50: Math.round(percentile(latencies, 50) ?? NaN),
          max: Math.round(latencies.at(-1) ?? NaN),
        },
        othersStillWaiting: stillOpen,
      },
      answers: Object.fromEntries(
        [...new Set(all.map((answer) => answer.status))].map((status) => [
          status,
          all.filter((answer) => answer.status === status).length,
        ]),
      ),
    };
    log(JSON.stringify(report, null, 2));
  } finally {
    await api.stop();
    await worker.stop();
    await servers.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
