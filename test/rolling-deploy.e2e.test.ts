// A rolling deploy of a workflow change on the cluster (dev/cluster/topology.ts: the Temporal
// server on PostgreSQL, a worker process per vertical queue, two for grocery). Orders of every
// vertical are in flight on workers of today's code, at every stage (awaiting the provider,
// dispatched, under way); the workers are then replaced one by one by workers of the next
// release (test/support/next-workflow-code.ts: a new generation in changes.ts and a guarded
// change in order.ts), each old one stopped with SIGTERM once its successor polls, while more
// orders come in. Every order completes, no workflow task fails on non-determinism, the books
// reconcile, and the new code did run the old orders (replayed) and record its generation on
// the new ones. ROLLING_DEPLOY_UNGUARDED=1 ships the change without its guard: the run fails.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createAdminClient } from '../dev/admin-client';
import { startCluster, type Cluster, type WorkerSpec } from '../dev/cluster/topology';
import { createProviderClient } from '../dev/provider-client';
import {
  dateFromToday,
  sampleGroceryOrder,
  sampleHotelOrder,
  sampleTeleconsultationOrder,
} from '../dev/sample-orders';
import { VERTICALS, type Vertical } from '../domain/order';
import { payloadDataConverter } from '../infra/codec';
import { loadConfig } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger } from '../infra/logger';
import { createSandboxGateway } from '../infra/payments/sandbox';
import { workerTaskQueues } from '../infra/task-queues';
import { workerTracingOptions } from '../infra/telemetry/temporal-tracing';
import { reconcile } from '../ops/reconcile-runner';
import { orderWorkflowId } from '../workflows/messages';
import { TEST_PAYLOAD_KEY, TOKENS } from './support/harness';
import { HISTORIES_DIR, loadHistory } from './support/histories';
import { bundleNextWorkflowCode, NEXT_GENERATION } from './support/next-workflow-code';
import { placeOrder, waitForStatus } from './support/orders';

const UNGUARDED = process.env.ROLLING_DEPLOY_UNGUARDED === '1';

/** Today's fleet, as in production but for the maintenance worker (no order runs there). */
const FLEET: readonly WorkerSpec[] = [
  { name: 'worker-grocery-1', lanes: ['grocery'] },
  { name: 'worker-grocery-2', lanes: ['grocery'] },
  { name: 'worker-hotel', lanes: ['hotel'] },
  { name: 'worker-teleconsultation', lanes: ['teleconsultation'] },
];

/** What a provider reports after accepting, to the end. */
const PROGRESS: Record<Vertical, readonly [string, string]> = {
  grocery: ['picked_up', 'delivered'],
  hotel: ['checked_in', 'checked_out'],
  teleconsultation: ['consultation_started', 'consultation_completed'],
};

/** 0 placed, 1 accepted and dispatched, 2 under way, 3 completed. */
type Stage = 0 | 1 | 2 | 3;

interface PlacedOrder {
  vertical: Vertical;
  orderId: string;
  placed: 'before' | 'during' | 'after';
  stage: Stage;
}

let dataDir: string;
let cluster: Cluster | undefined;
let webhooks: Server;
let temporal: Client;
let database: Database;
const nextBundle = () => path.join(dataDir, 'next-workflow-bundle.js');

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-rolling-'));
  // Providers' webhooks are acknowledged; the test plays the providers itself.
  webhooks = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => webhooks.listen(0, '127.0.0.1', resolve));
  const env = {
    NODE_ENV: 'test',
    MONGODB_URI: `${process.env.TEST_MONGODB_URI}/rolling_${randomBytes(4).toString('hex')}`,
    API_TOKENS: `checkout:app:${TOKENS.app},admin:admin:${TOKENS.admin}`,
    PAYLOAD_ENCRYPTION_KEYS: `${TEST_PAYLOAD_KEY.id}:${TEST_PAYLOAD_KEY.key}`,
    ALLOW_PRIVATE_WEBHOOKS: 'true',
    LOG_LEVEL: 'info',
  };
  const [started] = await Promise.all([
    startCluster({
      dataDir,
      env,
      database: false,
      apis: 1,
      ui: false,
      workers: FLEET,
      anyFreePorts: true,
    }),
    bundleNextWorkflowCode({ guarded: !UNGUARDED, bundlePath: nextBundle() }),
  ]);
  cluster = started;
  const config = loadConfig({ ...env, TEMPORAL_ADDRESS: cluster.temporal.address });
  temporal = new Client({
    connection: await Connection.connect({ address: cluster.temporal.address }),
    dataConverter: payloadDataConverter(config.temporal.payloadEncryptionKeys),
  });
  database = await connectDatabase(env.MONGODB_URI, createLogger('silent'));
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  await temporal?.connection.close();
  await database?.close();
  await new Promise((resolve) => webhooks?.close(resolve));
  rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

test('the next release replays every recorded history, and would not without its guard', async () => {
  const histories = readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({
      workflowId: file,
      history: loadHistory(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'))),
    }));
  quietRuntime();
  const unguardedBundle = path.join(dataDir, 'unguarded-workflow-bundle.js');
  await bundleNextWorkflowCode({ guarded: false, bundlePath: unguardedBundle });
  const failing = async (codePath: string) => {
    const failed: string[] = [];
    for await (const result of Worker.runReplayHistories(
      {
        workflowBundle: { codePath },
        dataConverter: payloadDataConverter([TEST_PAYLOAD_KEY]),
        sinks: workerTracingOptions().sinks,
      },
      histories,
    ))
      if (result.error) failed.push(result.workflowId);
    return failed;
  };
  if (!UNGUARDED) expect(await failing(nextBundle())).toEqual([]);
  // The change is one running orders' histories lack: unguarded, replaying them fails.
  expect((await failing(unguardedBundle)).length).toBeGreaterThan(histories.length / 2);
}, 120_000);

test('orders of every vertical in flight through a rolling deploy all complete, with no non-determinism and no breach', async () => {
  const live = cluster!;
  const started = Date.now();
  const providers = await registerProviders(live.apiUrl);
  const orders: PlacedOrder[] = [];
  const place = async (vertical: Vertical, placed: PlacedOrder['placed']) => {
    const response = await placeOrder(live.apiUrl, checkoutBody(vertical, providers[vertical]));
    expect({ vertical, status: response.status }).toEqual({ vertical, status: 201 });
    const order: PlacedOrder = { vertical, orderId: response.body.orderId, placed, stage: 0 };
    orders.push(order);
    return order;
  };
  const advance = async (order: PlacedOrder, to: Stage) => {
    const provider = createProviderClient(live.apiUrl, providers[order.vertical]);
    for (; order.stage < to; order.stage++) {
      const answer =
        order.stage === 0
          ? await provider.confirm(order.orderId, {
              decision: 'accept',
              ...(order.vertical === 'hotel' ? { confirmationCode: 'HTL-ROLLING' } : {}),
            })
          : await provider.reportEvent(order.orderId, PROGRESS[order.vertical][order.stage - 1]!);
      expect({ order: order.orderId, stage: order.stage, status: answer.status }).toEqual({
        order: order.orderId,
        stage: order.stage,
        status: 200,
      });
      // Dispatch follows the capture: the provider's events wait for it.
      if (order.stage === 0) await waitForStatus(live.apiUrl, order.orderId, 'dispatching', 60_000);
    }
  };

  try {
    // In flight on today's code: per vertical one awaiting the provider, one dispatched, one under way.
    await Promise.all(
      VERTICALS.flatMap((vertical) =>
        ([0, 1, 2] as const).map(async (stage) => advance(await place(vertical, 'before'), stage)),
      ),
    );

    // The roll: each worker's successor polls before the worker is stopped (it drains).
    const oldPids = live.workers.map((worker) => worker.process.pid);
    const newPids: number[] = [];
    const rollStarted = Date.now();
    const steps: { up: number; drained: number }[] = [];
    for (const [index, worker] of [...live.workers].entries()) {
      const stepStarted = Date.now();
      const next = await live.addWorker(
        { name: `${worker.name}-next`, lanes: worker.lanes },
        { WORKFLOW_BUNDLE_PATH: nextBundle() },
      );
      newPids.push(next.process.pid);
      const stopping = Date.now();
      await worker.process.stop(30_000);
      expect(await worker.process.exited).toEqual({ code: 0, signal: null });
      steps.push({ up: stopping - stepStarted, drained: Date.now() - stopping });
      // Half-way (grocery served by both releases, the others by today's): more orders.
      if (index === 0) await Promise.all(VERTICALS.map((vertical) => place(vertical, 'during')));
    }
    const rollSeconds = (Date.now() - rollStarted) / 1000;
    await Promise.all(VERTICALS.map((vertical) => place(vertical, 'after')));

    // Every order to its end, on the next release's workers only.
    await Promise.all(orders.map((order) => advance(order, 3)));
    const results = await Promise.all(
      orders.map((order) => temporal.workflow.getHandle(orderWorkflowId(order.orderId)).result()),
    );
    expect(results.map((result) => result.status)).toEqual(orders.map(() => 'completed'));

    // The new code ran every order: replaying the old ones, recording its generation on new ones.
    const tasks = new Map(
      await Promise.all(
        orders.map(async (order) => [order, await workflowTasks(order.orderId)] as const),
      ),
    );
    for (const order of orders) {
      const { pids, generation } = tasks.get(order)!;
      const last = pids[pids.length - 1]!;
      expect({ order: order.orderId, lastTaskOnNewCode: newPids.includes(last) }).toEqual({
        order: order.orderId,
        lastTaskOnNewCode: true,
      });
      if (order.placed === 'before') expect(oldPids).toContain(pids[0]);
      if (order.placed === 'after') expect(generation).toBe(NEXT_GENERATION);
      if (order.placed === 'before') expect(generation).not.toBe(NEXT_GENERATION);
    }

    const failures = await workflowTaskFailures();
    expect(failures).toEqual([]);
    const report = await reconcile({
      temporal,
      models: database.models,
      gateway: createSandboxGateway(database.models),
      taskQueues: workerTaskQueues(live.taskQueues),
      orderIds: orders.map((order) => order.orderId),
    });
    expect({ breaches: report.breaches, failures: report.failures }).toEqual({
      breaches: [],
      failures: [],
    });
    expect(report.ordersChecked).toBe(orders.length);

    const count = (placed: PlacedOrder['placed']) =>
      orders.filter((order) => order.placed === placed).length;
    process.stdout.write(
      `rolling deploy: ${orders.length} orders (${VERTICALS.map((v) => `${v} ${orders.filter((o) => o.vertical === v).length}`).join(', ')}; ` +
        `${count('before')} in flight before, ${count('during')} placed during, ${count('after')} after), ` +
        `${live.workers.length / 2} workers replaced in ${rollSeconds.toFixed(1)} s (new worker polling after ${steps.map((step) => (step.up / 1000).toFixed(1)).join('/')} s, old one drained in ${steps.map((step) => (step.drained / 1000).toFixed(1)).join('/')} s), ${((Date.now() - started) / 1000).toFixed(1)} s in all; ` +
        `workflow task failures ${failures.length}, breaches ${report.breaches.length}\n`,
    );
  } catch (error) {
    // Name the non-determinism behind a failure (an update that never answers, say).
    const failures = await workflowTaskFailures().catch(() => []);
    if (failures.length > 0 && error instanceof Error)
      error.message += `\nworkflow task failures:\n${failures.map((f) => `  ${f.workflowId}: ${f.cause}: ${f.message}`).join('\n')}`;
    throw error;
  }
}, 420_000);

/** The unguarded replays fail on purpose: their failures are counted, not logged. */
function quietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      // As the harness's: the jest worker's signals are jest's.
      shutdownSignals: [],
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Installed already by an earlier test file in this jest worker.
  }
}

async function registerProviders(apiUrl: string) {
  const admin = createAdminClient(apiUrl, TOKENS.admin);
  const suffix = randomBytes(4).toString('hex');
  const registered = await Promise.all(
    VERTICALS.map((vertical) =>
      admin.registerOrThrow({
        providerId: `rolling-${vertical}-${suffix}`,
        vertical,
        name: `Rolling ${vertical}`,
        webhookUrl: `http://127.0.0.1:${(webhooks.address() as { port: number }).port}/hooks`,
        timeZone: 'UTC',
        // Orders awaiting an answer must outlast the deploy.
        confirmationTimeoutSeconds: 900,
      }),
    ),
  );
  return Object.fromEntries(VERTICALS.map((vertical, i) => [vertical, registered[i]!])) as Record<
    Vertical,
    (typeof registered)[number]
  >;
}

function checkoutBody(vertical: Vertical, provider: { providerId: string }) {
  if (vertical === 'grocery') return sampleGroceryOrder(provider.providerId);
  // Checking in today: a stay cannot begin before its check-in day.
  if (vertical === 'hotel')
    return sampleHotelOrder(provider.providerId, { checkIn: dateFromToday(0), nights: 1 });
  // Inside the session's 10-minute lead (it opens on acceptance), and no no-show before the end.
  return sampleTeleconsultationOrder(provider.providerId, {
    slotStart: new Date(Date.now() + 9 * 60_000),
  });
}

/** Who took each workflow task of the order (`<pid>@<host>`), and the generation it recorded. */
async function workflowTasks(orderId: string) {
  const history = await temporal.workflow.getHandle(orderWorkflowId(orderId)).fetchHistory();
  const pids: number[] = [];
  let generation: string | undefined;
  for (const event of history.events ?? []) {
    const identity = event.workflowTaskStartedEventAttributes?.identity;
    if (identity) pids.push(Number(identity.split('@')[0]));
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch' && generation === undefined) {
      const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
      const { id } = JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { id: string };
      if (id.startsWith('order-workflow-')) generation = id;
    }
  }
  return { pids, generation };
}

/** Every failed workflow task of every workflow on the server (orders, after-sales, the rest). */
async function workflowTaskFailures() {
  const { WorkflowTaskFailedCause } = proto.api.enums.v1;
  const failures: { workflowId: string; cause: string; message: string }[] = [];
  for await (const workflow of temporal.workflow.list()) {
    const history = await temporal.workflow
      .getHandle(workflow.workflowId, workflow.runId)
      .fetchHistory();
    for (const event of history.events ?? []) {
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed)
        failures.push({
          workflowId: workflow.workflowId,
          cause: WorkflowTaskFailedCause[failed.cause ?? 0] ?? String(failed.cause),
          message: failed.failure?.message ?? '',
        });
    }
  }
  return failures;
}
