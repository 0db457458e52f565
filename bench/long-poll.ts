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
import os from 'node:os';
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
  --measure  seconds the API is measured idle, then while they wait (default 10)
  --keep-data  keep the servers' data and the processes' logs (printed at the end)`;

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

/** Connections opened at once, below Node's listen backlog (511). */
const OPEN_BATCH = 250;

interface WaitAnswer {
  /** The HTTP status, with the error's code when not 200 (`503 dependency_unavailable`). */
  outcome: string;
  status: number;
  revision: number;
  /** performance.now() when it came. */
  at: number;
}

async function longPoll(
  apiUrl: string,
  headers: Record<string, string>,
  order: { orderId: string; revision: number },
): Promise<WaitAnswer> {
  try {
    const response = await fetch(
      `${apiUrl}/v1/orders/${order.orderId}?afterRevision=${order.revision}&wait=30`,
      { headers },
    );
    const body = (await response.json()) as { revision: number; error?: { code: string } };
    const outcome = body.error ? `${response.status} ${body.error.code}` : String(response.status);
    return { outcome, status: response.status, revision: body.revision, at: performance.now() };
  } catch (error) {
    const outcome = `no answer: ${error instanceof Error ? error.message : String(error)}`;
    return { outcome, status: 0, revision: 0, at: performance.now() };
  }
}

async function openWaits(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  return Number(/^orderflow_order_waits (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** Checkout, retried with its key while it answers 503 (a busy machine), as an app does. */
async function placeOrder(apiUrl: string, headers: Record<string, string>, body: string) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${apiUrl}/v1/orders`, { method: 'POST', headers, body });
    const answer = (await response.json()) as { orderId: string; revision: number };
    if (response.status === 201) return answer;
    if (response.status !== 503 || attempt === 60)
      throw new Error(`checkout answered ${response.status}: ${JSON.stringify(answer)}`);
    await sleep(1_000);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      waits: { type: 'string', default: '2000' },
      orders: { type: 'string', default: '200' },
      measure: { type: 'string', default: '10' },
      'keep-data': { type: 'boolean', default: false },
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
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const servers = await startServers(undefined, { keepData: values['keep-data'] });
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
      Array.from({ length: 4 }, async () => {
        while (next < orders) {
          next += 1;
          const body = await placeOrder(
            apiUrl,
            { ...app, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            JSON.stringify(sampleGroceryOrder(providerId)),
          );
          placed.push({ orderId: body.orderId, revision: body.revision });
        }
      }),
    );
    await sleep(2_000); // let the checkouts' last publications settle

    log(`measuring the API process idle for ${measureSeconds} s…`);
    const idle = await measure(api.pid, servers, measureSeconds);

    log(`opening ${waits} long polls over ${orders} orders, ${OPEN_BATCH} at a time…`);
    // Each follows its order as an order page does: a wait that runs out (30 s) is asked again
    // at once, so all stay open however long opening them takes; those asks are counted.
    const counts = { reasked: 0, answers: new Map<string, number>() };
    let following = true;
    const follow = async (order: { orderId: string; revision: number }) => {
      for (;;) {
        const answer = await longPoll(apiUrl, app, order);
        counts.answers.set(answer.outcome, (counts.answers.get(answer.outcome) ?? 0) + 1);
        if (answer.status !== 200 || answer.revision > order.revision || !following) return answer;
        counts.reasked += 1;
      }
    };
    const openedAt = performance.now();
    const followers: Promise<WaitAnswer>[] = [];
    while (followers.length < waits) {
      const batch = Math.min(OPEN_BATCH, waits - followers.length);
      for (let i = 0; i < batch; i++) followers.push(follow(placed[followers.length % orders]!));
      // A burst of connections beyond the listen backlog would wait on SYN retries.
      while ((await openWaits(apiUrl)) < followers.length) {
        if (performance.now() - openedAt > 120_000) throw new Error('the waits did not open');
        await sleep(50);
      }
    }
    const openMs = performance.now() - openedAt;
    log(`all ${waits} waiting after ${Math.round(openMs)} ms; measuring for ${measureSeconds} s…`);
    const reaskedBefore = counts.reasked;
    const waiting = await measure(api.pid, servers, measureSeconds);
    const reaskedWhileMeasured = counts.reasked - reaskedBefore;

    // Timed from when the store sends its confirmation: the workflow publishes the change
    // before the callback is answered, so the waits may answer before the store hears back.
    const target = placed[0]!;
    const confirmSentAt = performance.now();
    const confirmed = await store.confirm(target.orderId, { decision: 'accept' });
    if (confirmed.status !== 200) throw new Error(`confirmation answered ${confirmed.status}`);
    const confirmAnsweredMs = performance.now() - confirmSentAt;
    const targetAnswers = await Promise.all(followers.filter((_, i) => i % orders === 0));
    const latencies = targetAnswers
      .map((answer) => answer.at - confirmSentAt)
      .sort((a, b) => a - b);
    const stillOpen = await openWaits(apiUrl);

    log('stopping the API with its waits open…');
    following = false;
    const stoppingAt = performance.now();
    const stopped = api.stop();
    await Promise.all(followers);
    const shutdownAnsweredAllMs = performance.now() - stoppingAt;
    await stopped;
    const shutdownExitedMs = performance.now() - stoppingAt;

    const report = {
      machine: machineInfo(),
      loadAverage: os.loadavg().map(round1),
      databaseBackend: servers.databaseBackend,
      waits,
      orders,
      openAllMs: Math.round(openMs),
      idle,
      waiting: { ...waiting, waitsAskedAgainMeanwhile: reaskedWhileMeasured },
      confirmation: {
        waitsOnTheOrder: targetAnswers.length,
        changed: targetAnswers.filter((answer) => answer.revision > target.revision).length,
        storeAnsweredAfterMs: Math.round(confirmAnsweredMs),
        waitsAnsweredAfterMs: {
          min: Math.round(latencies[0] ?? NaN),
          p50: Math.round(percentile(latencies, 50) ?? NaN),
          max: Math.round(latencies.at(-1) ?? NaN),
        },
        othersStillWaiting: stillOpen,
      },
      shutdown: {
        allWaitsAnsweredAfterMs: Math.round(shutdownAnsweredAllMs),
        processExitedAfterMs: Math.round(shutdownExitedMs),
      },
      answers: Object.fromEntries(counts.answers),
      ...(values['keep-data'] ? { dataDir: servers.dataDir } : {}),
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
