// The load generator's cluster mode (npm run bench -- --cluster), so it cannot rot: the
// cluster topology started for the run (the Temporal server on its own PostgreSQL, two grocery
// workers and one per other lane, two APIs behind nginx; the suite's FerretDB as database),
// three orders of each vertical played through nginx, then three bare orders on a fresh cluster's
// Temporal server. Asserts that every role's processes were measured, not speed.

import { runLoad } from '../bench/load';
import { VERTICALS } from '../domain/order';

test('the load generator measures every role of the cluster, and the bare workflow on its Temporal server', async () => {
  const mongodbUri = process.env.TEST_MONGODB_URI;
  if (!mongodbUri) throw new Error('TEST_MONGODB_URI is not set: run through jest');
  const report = await runLoad({
    mode: 'both',
    cluster: { mongodbUri },
    arrival: { kind: 'fixed', rate: 4 },
    count: 6,
    confirmDelayMs: 100,
    eventDelayMs: 100,
    orderTimeoutMs: 30_000,
    // Every order's history (two of each vertical), so that they bound the workers' counts.
    historySample: 2,
    warmupOrders: 0,
  });
  const { orderflow, bare } = (JSON.parse(JSON.stringify(report)) as typeof report).runs;
  expect(report.topology).toBe('cluster');

  expect(orderflow!.errors).toEqual({ total: 0, byKind: {} });
  expect(orderflow!.orders).toMatchObject({ sent: 6, accepted: 6, completed: 6 });
  expect(orderflow!.latencyMs.checkout.count).toBe(6);
  expect(orderflow!.databaseOpsPerOrder!.total).toBeGreaterThan(0);
  // Each role apart: the APIs and nginx took every request; each vertical's worker group its
  // orders; the Temporal server and its PostgreSQL stored them; the database read model.
  const perOrder = orderflow!.cpuSecondsPerOrder;
  for (const role of [
    'api',
    'nginx',
    'worker-grocery',
    'worker-hotel',
    'worker-teleconsultation',
    'temporal',
    'temporal-postgres',
    'database',
  ] as const)
    expect([role, perOrder[role]]).toEqual([role, expect.any(Number)]);
  for (const role of ['api', 'worker-grocery', 'worker-hotel', 'temporal', 'temporal-postgres'])
    expect([role, perOrder[role as keyof typeof perOrder]! > 0]).toEqual([role, true]);
  expect(perOrder['worker-maintenance']).toBeDefined();
  // No API or worker of the dev server's kind: the cluster's own served the orders.
  expect(perOrder.worker).toBeUndefined();
  expect(orderflow!.processCount).toMatchObject({ api: 2, 'worker-grocery': 2, 'worker-hotel': 1 });
  expect(orderflow!.memory.byProcess['temporal-postgres']!.pss!.endMb).toBeGreaterThan(0);
  // The workers' own counts, bounded by the orders' histories: no more polled workflow tasks
  // per order than the histories have (some come back in a completion's answer instead of a
  // poll), and no more sticky cache lookups than tasks after a workflow's first (a task through
  // the normal queue looks up nothing: bench/lib/worker-tasks.ts). Bounds, not equalities: on a
  // busy machine tasks leave the sticky queue (an equality failed on CI that way). Each allows
  // three tasks in six orders: the hourly purge schedule's workflow may run among the orders.
  const tasks = orderflow!.workerTasksPerOrder!;
  for (const vertical of VERTICALS)
    expect([vertical, orderflow!.historyEventsPerOrder[vertical]!.sampled]).toEqual([vertical, 2]);
  const historyTasks =
    VERTICALS.reduce(
      (sum, vertical) =>
        sum + orderflow!.historyEventsPerOrder[vertical]!.byType.WORKFLOW_TASK_STARTED!,
      0,
    ) / VERTICALS.length;
  const purgeRun = 3 / 6;
  expect(tasks.workflowTasks).toBeGreaterThanOrEqual(1);
  expect(tasks.workflowTasks).toBeLessThanOrEqual(historyTasks + purgeRun);
  expect(tasks.stickyCacheHits).toBeGreaterThan(0);
  expect(tasks.stickyCacheHits + tasks.stickyCacheMisses).toBeLessThanOrEqual(
    historyTasks - 1 + purgeRun,
  );

  // The bare workflow on a cluster of its own kind, started afresh (what orderflow left in
  // Temporal's PostgreSQL does not slow it).
  expect(report.bareServers).toBe('fresh');
  expect(report.bareDataDir).toEqual(expect.any(String));
  expect(report.bareDataDir).not.toBe(report.dataDir);
  expect(bare!.errors.total).toBe(0);
  expect(bare!.orders).toMatchObject({ sent: 6, completed: 6 });
  expect(bare!.cpuSecondsPerOrder.worker).toBeGreaterThan(0);
  expect(bare!.cpuSecondsPerOrder['temporal-postgres']).toBeGreaterThan(0);
  expect(bare!.cpuSecondsPerOrder.api).toBeUndefined();
  expect(report.ratio!.value).toBeGreaterThan(0);
}, 240_000);

test('with --cluster-workers shared, two worker processes serve every vertical', async () => {
  const mongodbUri = process.env.TEST_MONGODB_URI;
  if (!mongodbUri) throw new Error('TEST_MONGODB_URI is not set: run through jest');
  const report = await runLoad({
    mode: 'orderflow',
    cluster: { mongodbUri, workers: 'shared' },
    arrival: { kind: 'fixed', rate: 4 },
    count: 3,
    confirmDelayMs: 100,
    eventDelayMs: 100,
    orderTimeoutMs: 30_000,
    historySample: 1,
    warmupOrders: 0,
  });
  const { orderflow } = report.runs;
  expect(orderflow!.errors).toEqual({ total: 0, byKind: {} });
  // One order of each vertical (the mix takes them in turn), all through the two processes.
  expect(orderflow!.orders).toMatchObject({ sent: 3, accepted: 3, completed: 3 });
  expect(orderflow!.processCount).toMatchObject({ api: 2, worker: 2 });
  expect(orderflow!.cpuSecondsPerOrder.worker).toBeGreaterThan(0);
  expect(orderflow!.cpuSecondsPerOrder['worker-grocery']).toBeUndefined();
}, 240_000);
