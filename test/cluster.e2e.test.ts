// Cluster mode (npm run start:cluster, dev/cluster/topology.ts) as it runs: the Temporal server
// on its own PostgreSQL (schema by the schema tool), its Web UI server, per-vertical worker
// processes and two API processes behind nginx. An order of each vertical placed through the
// proxy runs on its vertical's queue, its workflow tasks taken by that queue's workers; both
// API processes serve; the Web UI decodes through the codec endpoint with credentials;
// Prometheus scrapes every API, worker and the Temporal server and sees schedule-to-start per
// vertical queue; and stop() leaves no process behind. The suite's shared FerretDB is the
// database.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { createAdminClient } from '../dev/admin-client';
import {
  sampleGroceryOrder,
  sampleHotelOrder,
  sampleTeleconsultationOrder,
} from '../dev/sample-orders';
import { startCluster, type Cluster } from '../dev/cluster/topology';
import { isAlive } from '../dev/supervisor';
import { VERTICALS, type Vertical } from '../domain/order';
import { payloadDataConverter } from '../infra/codec';
import { loadConfig } from '../infra/config';
import { orderWorkflowId } from '../workflows/messages';
import { eventually } from './support/harness';

const APP_TOKEN = `cluster-app-${randomBytes(8).toString('hex')}`;
const ADMIN_TOKEN = `cluster-admin-${randomBytes(8).toString('hex')}`;

let dataDir: string;
let cluster: Cluster | undefined;
let webhooks: Server;
let temporal: Client;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-cluster-'));
  // Providers' webhooks land here and are acknowledged; the test drives no provider further.
  webhooks = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => webhooks.listen(0, '127.0.0.1', resolve));
  const env = {
    NODE_ENV: 'test',
    MONGODB_URI: `${process.env.TEST_MONGODB_URI}/cluster_${randomBytes(4).toString('hex')}`,
    API_TOKENS: `checkout:app:${APP_TOKEN},admin:admin:${ADMIN_TOKEN}`,
    PAYLOAD_ENCRYPTION_KEYS: `c1:${randomBytes(32).toString('base64')}`,
    ALLOW_PRIVATE_WEBHOOKS: 'true',
    LOG_LEVEL: 'info',
  };
  cluster = await startCluster({
    dataDir,
    env,
    anyFreePorts: true,
    database: false,
    prometheus: { scrapeInterval: '2s' },
    // As npm run start:cluster runs them: compiled while the servers start (kept between runs
    // of the suite, so a rerun compiles only what changed).
    runtime: { compileInto: path.resolve(__dirname, '..', '.bench', 'cluster-test-dist') },
  });
  const config = loadConfig({ ...env, TEMPORAL_ADDRESS: cluster.temporal.address });
  temporal = new Client({
    connection: await Connection.connect({ address: cluster.temporal.address }),
    dataConverter: payloadDataConverter(config.temporal.payloadEncryptionKeys),
  });
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  await temporal?.connection.close();
  await new Promise((resolve) => webhooks?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

const SAMPLE = {
  grocery: sampleGroceryOrder,
  hotel: sampleHotelOrder,
  teleconsultation: sampleTeleconsultationOrder,
} as const;

/** The pids whose Temporal identity (`<pid>@<host>`) took a workflow task of the workflow. */
async function workflowTaskPids(workflowId: string): Promise<Set<number>> {
  const pids = new Set<number>();
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  for (const event of history.events ?? []) {
    const identity = event.workflowTaskStartedEventAttributes?.identity;
    if (identity) pids.add(Number(identity.split('@')[0]));
  }
  return pids;
}

test('an order of each vertical runs on its own queue, through the proxy, on its own workers', async () => {
  const live = cluster!;
  const admin = createAdminClient(live.apiUrl, ADMIN_TOKEN);
  const suffix = randomBytes(4).toString('hex');
  const placed: Record<string, string> = {};
  for (const vertical of VERTICALS) {
    const providerId = `cluster-${vertical}-${suffix}`;
    await admin.registerOrThrow({
      providerId,
      vertical,
      name: `Cluster ${vertical}`,
      webhookUrl: `http://127.0.0.1:${(webhooks.address() as { port: number }).port}/hooks`,
      timeZone: 'UTC',
    });
    const response = await fetch(`${live.apiUrl}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${APP_TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': `cluster-${vertical}-${suffix}`,
      },
      body: JSON.stringify(SAMPLE[vertical](providerId)),
    });
    const body = (await response.json()) as { orderId: string; status: string };
    // Authorised: the workflow ran, and its payment activity, on the vertical's workers.
    expect({ vertical, status: response.status, order: body.status }).toEqual({
      vertical,
      status: 201,
      order: 'awaiting_confirmation',
    });
    placed[vertical] = body.orderId;
  }

  for (const [vertical, orderId] of Object.entries(placed) as [Vertical, string][]) {
    const workflowId = orderWorkflowId(orderId);
    const description = await temporal.workflow.getHandle(workflowId).describe();
    expect(description.taskQueue).toBe(`orders-${vertical}`);
    const lanePids = live.workers
      .filter((worker) => worker.lanes.includes(vertical))
      .map((worker) => worker.process.pid);
    const pids = [...(await workflowTaskPids(workflowId))];
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every((pid) => lanePids.includes(pid))).toBe(true);
  }

  // nginx spread the calls over both API processes.
  for (const index of [1, 2]) {
    const log = readFileSync(path.join(dataDir, 'logs', `api-${index}.log`), 'utf8');
    expect(log).toMatch(/"url":"\/v1\/(orders|admin\/providers)"/);
  }
}, 120_000);

test("Prometheus scrapes both APIs, every worker and the Temporal server, and sees each vertical queue's schedule-to-start", async () => {
  const live = cluster!;
  const prometheus = async <T>(query: string): Promise<T> => {
    const answer = await fetch(`${live.prometheusUrl}/api/v1/${query}`);
    return ((await answer.json()) as { data: T }).data;
  };
  const host = (url: string) => new URL(url).host;
  const expected = [
    ...live.apiProcesses.map((api) => `orderflow-api ${host(api.url)}`),
    ...live.workers.map((worker) => `orderflow-worker ${host(worker.metricsUrl)}`),
    `temporal-server ${host(live.temporal.metricsUrl)}`,
  ];
  type Target = { labels: { job: string; instance: string }; health: string };
  const up = await eventually(
    async () => {
      const { activeTargets } = await prometheus<{ activeTargets: Target[] }>('targets');
      const healthy = activeTargets.filter((target) => target.health === 'up');
      return healthy.length === expected.length ? healthy : undefined;
    },
    30_000,
    'every target up',
  );
  expect(up.map((t) => `${t.labels.job} ${t.labels.instance}`).sort()).toEqual(expected.sort());
  // The orders of the first test ran a workflow task on each vertical's queue.
  const query = 'count by (task_queue) (temporal_workflow_task_schedule_to_start_latency_count)';
  const verticalQueues = VERTICALS.map((vertical) => `orders-${vertical}`);
  const queues = await eventually(
    async () => {
      const { result } = await prometheus<{ result: { metric: { task_queue: string } }[] }>(
        `query?query=${encodeURIComponent(query)}`,
      );
      const names = result.map((series) => series.metric.task_queue);
      return verticalQueues.every((queue) => names.includes(queue)) ? names : undefined;
    },
    30_000,
    'schedule-to-start series of every vertical queue',
  );
  expect(queues).toEqual(expect.arrayContaining(verticalQueues));
});

test('the maintenance worker serves the schedules and the old single queue', async () => {
  const live = cluster!;
  const maintenance = live.workers.find((worker) => worker.lanes.includes('legacy'))!;
  const schedule = await temporal.schedule.getHandle('purge-idempotency-records').describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', taskQueue: 'orders-maintenance' });
  // A workflow started on `orders` before the switch to per-vertical queues still completes.
  const handle = await temporal.workflow.start('purgeExpiredIdempotencyRecords', {
    workflowId: `cluster-legacy-${randomBytes(4).toString('hex')}`,
    taskQueue: 'orders',
    args: [{ retentionHours: 24 }],
  });
  await expect(handle.result()).resolves.toMatchObject({ recordsDeleted: expect.any(Number) });
  expect([...(await workflowTaskPids(handle.workflowId))]).toEqual([maintenance.process.pid]);
});

test("the Web UI is set to decode through orderflow's codec endpoint, with credentials", async () => {
  const settings = (await (await fetch(`${cluster!.uiUrl}/api/v1/settings`)).json()) as {
    Codec: { Endpoint: string; IncludeCredentials: boolean };
  };
  expect(settings.Codec).toMatchObject({
    Endpoint: `${cluster!.apiUrl}/codec`,
    IncludeCredentials: true,
  });
  const preflight = await fetch(`${cluster!.apiUrl}/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: cluster!.uiUrl!, 'access-control-request-method': 'POST' },
  });
  expect(preflight.headers.get('access-control-allow-origin')).toBe(cluster!.uiUrl);
  expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
});

test('the APIs and workers run compiled JavaScript under node, as production runs them', () => {
  const live = cluster!;
  const commandLine = (pid: number) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const compiled = path.resolve(__dirname, '..', '.bench', 'cluster-test-dist');
  for (const api of live.apiProcesses)
    expect(commandLine(api.process.pid)).toEqual([
      process.execPath,
      path.join(compiled, 'api', 'server.js'),
    ]);
  for (const worker of live.workers)
    expect(commandLine(worker.process.pid)).toEqual([
      process.execPath,
      path.join(compiled, 'workers', 'order-worker.js'),
    ]);
});

test('stop() leaves no process of the cluster behind', async () => {
  const live = cluster!;
  const pids = [dataDir, path.join(dataDir, 'temporal')].flatMap((dir) =>
    readFileSync(path.join(dir, 'stack.pids'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { pid: number }).pid),
  );
  // Temporal + its PostgreSQL, the UI, Prometheus, nginx, 5 workers, 2 APIs.
  expect(pids.length).toBe(12);
  expect(pids.every(isAlive)).toBe(true);
  cluster = undefined;
  await live.stop();
  expect(pids.filter(isAlive)).toEqual([]);
}, 120_000);
