// The load generator's smoke run, so bench/load.ts cannot rot: six orders (two of each
// vertical) through orderflow's API and worker processes, played by the generator's app (with
// an app endpoint) and providers, then six bare orders, on this run's servers. Asserts the report, not speed.

import { runLoad, type PhaseReport } from '../bench/load';
import { GROCERY_CHECKOUT_PHASES } from './support/checkout-phases';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through jest (test/global-setup.ts)`);
  return value;
}

/**
 * The event types that make an order's shape: activities, updates, timers, status upserts.
 * (Markers are left out: a provider event that arrives before its step adds a local write.)
 */
const SHAPE = [
  'ACTIVITY_TASK_SCHEDULED',
  'WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
  'TIMER_STARTED',
  'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
];

test('the load generator follows every vertical to its end and measures the bare ceiling', async () => {
  const report = await runLoad({
    mode: 'both',
    arrival: { kind: 'fixed', rate: 4 },
    count: 6,
    confirmDelayMs: 100,
    eventDelayMs: 100,
    orderTimeoutMs: 30_000,
    historySample: 2,
    slowestSample: 2,
    warmupOrders: 0,
    // A second with no orders before each run: the processes' idle CPU (bench/lib/idle-cpu.ts).
    idleSeconds: 1,
    // The app's backend hears every order's status changes, as in production.
    appEndpoints: 1,
    servers: {
      temporalAddress: required('TEST_TEMPORAL_ADDRESS'),
      mongodbUri: required('TEST_MONGODB_URI'),
    },
    workflowBundlePath: required('TEST_WORKFLOW_BUNDLE_PATH'),
  });
  // What the command line writes.
  const json = JSON.parse(JSON.stringify(report)) as typeof report;
  const { orderflow, bare } = json.runs;

  expect(orderflow).toBeDefined();
  expect(orderflow!.errors).toEqual({ total: 0, byKind: {} });
  expect(orderflow!.orders).toMatchObject({ sent: 6, accepted: 6, completed: 6, failed: 0 });
  for (const vertical of ['grocery', 'hotel', 'teleconsultation'] as const) {
    expect(orderflow!.orders.byVertical[vertical]).toEqual({ sent: 2, accepted: 2, completed: 2 });
    expect(orderflow!.historyEventsPerOrder[vertical]!.mean).toBeGreaterThan(0);
  }
  expect(orderflow!.latencyMs.checkout.count).toBe(6);
  // A confirmation and two events per order.
  expect(orderflow!.latencyMs.callback.count).toBe(18);
  expect(orderflow!.latencyMs.checkout.p50).toBeGreaterThan(0);
  expect(orderflow!.latencyMs.checkout.max).toBeGreaterThanOrEqual(
    orderflow!.latencyMs.checkout.p99,
  );
  expect(orderflow!.appEvents!.endpoints).toBe(1);
  expect(orderflow!.appEvents!.received).toBeGreaterThan(0);
  expect(orderflow!.throughput.acceptedPerSecond).toBeGreaterThan(0);
  expect(orderflow!.throughput.completedPerSecond).toBeGreaterThan(0);
  expect(orderflow!.databaseOpsPerOrder!.total).toBeGreaterThan(0);
  expect(orderflow!.cpuSecondsPerOrder.api).toBeGreaterThan(0);
  expect(orderflow!.cpuSecondsPerOrder.worker).toBeGreaterThan(0);
  expect(orderflow!.cpuSecondsPerOrder.temporal).toBeGreaterThan(0);
  // Resident memory of every serving process (and the generator), from start to end.
  const memoryOf = (run: PhaseReport | undefined, name: keyof PhaseReport['memory']['byProcess']) =>
    run!.memory.byProcess[name];
  for (const name of ['api', 'worker', 'temporal', 'database', 'generator'] as const) {
    const memory = memoryOf(orderflow, name)!;
    expect(memory.status).toBe('running');
    expect(memory.samples).toBeGreaterThanOrEqual(2);
    expect(memory.rss!.startMb).toBeGreaterThan(0);
    expect(memory.rss!.endMb).toBeGreaterThan(0);
    expect(memory.rss!.maxMb).toBeGreaterThanOrEqual(
      Math.max(memory.rss!.startMb, memory.rss!.endMb!),
    );
  }
  // FerretDB and its PostgreSQL (when the suite's FerretDB stores in it): their shared
  // buffers count once in the PSS, once per process in the RSS.
  const database = memoryOf(orderflow, 'database')!;
  expect(database.pss!.endMb).toBeGreaterThan(0);
  expect(database.pss!.endMb).toBeLessThanOrEqual(database.rss!.endMb!);
  expect(orderflow!.memory.timeline.length).toBe(database.samples);
  expect(orderflow!.sustainable).toBe(true);
  expect(orderflow!.highestHeldRate).toBe(4);

  expect(bare).toBeDefined();
  expect(bare!.errors.total).toBe(0);
  expect(bare!.appEvents).toBeUndefined();
  expect(bare!.orders).toMatchObject({ sent: 6, completed: 6 });
  expect(bare!.cpuSecondsPerOrder.worker).toBeGreaterThan(0);
  for (const name of ['worker', 'temporal', 'database'] as const) {
    expect(memoryOf(bare, name)!.status).toBe('running');
    expect(memoryOf(bare, name)!.rss!.endMb).toBeGreaterThan(0);
  }
  // The bare workflow has the shape of orderflow's grocery order.
  const shapeOf = (byType: Record<string, number>) => SHAPE.map((type) => byType[type]);
  expect(shapeOf(bare!.historyEventsPerOrder.grocery!.byType)).toEqual(
    shapeOf(orderflow!.historyEventsPerOrder.grocery!.byType),
  );

  // Both checkouts split into the same phases, read off the sampled histories, and so do the
  // two slowest checkouts of each run.
  for (const run of [orderflow!, bare!]) {
    for (const summary of [run.checkoutPhasesMs, run.slowestCheckoutPhasesMs]) {
      expect(summary.phases.map((p) => p.name)).toEqual(GROCERY_CHECKOUT_PHASES);
      for (const phase of summary.phases) expect(phase.p95).toBeGreaterThanOrEqual(phase.p50);
    }
    expect(run.checkoutPhasesMs.sampled).toBeGreaterThan(0);
    expect(run.slowestCheckoutPhasesMs.sampled).toBe(2);
  }
  // Orderflow's API also tells its checkout's steps (Server-Timing); bare has no API.
  const { all, slowest } = orderflow!.checkoutStepsMs;
  expect(all.sampled).toBe(6);
  expect(slowest.sampled).toBe(2);
  for (const summary of [all, slowest])
    expect(summary.phases.map((p) => p.name)).toEqual([
      'app',
      'validation',
      'idempotency',
      'payment',
    ]);
  expect(bare!.checkoutStepsMs.all.sampled).toBe(0);

  // Each process's idle CPU, and what an order cost beyond it: never more than its gross figure,
  // since no process spends less than nothing while idle.
  for (const [run, names] of [
    [orderflow!, ['api', 'worker'] as const],
    [bare!, ['worker'] as const],
  ] as const) {
    expect(run.idle!.seconds).toBe(1);
    for (const name of names) {
      expect(run.idle!.cpuSecondsPerSecond[name]).toBeGreaterThanOrEqual(0);
      expect(run.idle!.cpuSecondsPerOrderNetOfIdle[name]).toBeLessThanOrEqual(
        run.cpuSecondsPerOrder[name]! + 0.001,
      );
    }
  }

  // Servers given to the run cannot be restarted: bare shares orderflow's, and says so.
  expect(json.bareServers).toBe('orderflow');
  expect(json.ratio!.value).toBeGreaterThan(0);
  expect(json.machine.nproc).toBeGreaterThan(0);
});
