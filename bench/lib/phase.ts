// One run of the load generator against one system (orderflow or bare): places orders on the
// arrival schedule, lets the driver play each to its end, measures what it cost each process
// and the database, reads a sample of histories, and judges each window: held or not.

import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporal as proto } from '@temporalio/proto';
import type { Vertical } from '../../domain/order';
import { checkoutPhases, summarisePhases, type CheckoutPhase } from './checkout-phases';
import { idleRates, idleReport, type IdleReport } from './idle-cpu';
import type { Driver, ProcessName } from './driver';
import { MemorySampler, type MemoryReport, type MemoryTarget } from './memory';
import {
  arrivals,
  DEFAULT_DURATION_SECONDS,
  DEFAULT_RAMP_SECONDS,
  rateAt,
  verticalPicker,
  windowsOf,
  type Arrival,
  type LoadOptions,
  type Window,
} from './plan';
import { machineBusySeconds, ownCpuSeconds, treeCpuSeconds } from './proc';
import { ErrorLog, newRecord, overheadMs, type OrderRecord } from './record';
import { databaseCommandCounts, type Servers } from './runtime';
import { readWorkerTaskCounts, workerTasksPerOrder, type WorkerTaskCounts } from './worker-tasks';
import { increment, percentile, ratePer, summarise, type LatencySummary } from './stats';

/** No run places orders for longer than this, whatever it was asked. */
const MAX_RUN_SECONDS = 900;
/** Warm-up orders arrive at this rate (or the run's first rate when lower). */
const WARMUP_RATE = 2;
/** Warm-up orders are numbered from here, apart from the run's own (idempotency keys, ids). */
const WARMUP_SEQ = 1_000_000;
/** The CPU timeline takes a point this often. */
const TIMELINE_EVERY_MS = 10_000;
/** Resident memory is sampled this often, and at each window's end. */
const MEMORY_EVERY_MS = 5_000;
/** Before the idle measurement, for the warm-up's last orders to finish their trailing work. */
const IDLE_SETTLE_MS = 5_000;
/** A ramp step is judged this long after it ends (its last checkouts answer meanwhile). */
const JUDGE_AFTER_MS = 2_000;
/** Handshakes and monitoring, not the application's database work. */
const NOT_DATA_COMMANDS = new Set([
  'hello',
  'ismaster',
  'isMaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'serverStatus',
  'endSessions',
  'saslStart',
  'saslContinue',
  'getParameter',
  'getLog',
  'getCmdLineOpts',
  'hostInfo',
  'whatsmyuri',
  'connectionStatus',
  'listDatabases',
  'getFreeMonitoringStatus',
  'atlasVersion',
  'unknown',
]);

export type MeasuredProcess = ProcessName | 'generator';

export interface WindowReport {
  index: number;
  rate: number;
  fromSecond: number;
  toSecond: number;
  sent: number;
  accepted: number;
  completed: number;
  errors: number;
  checkoutP50Ms: number;
  checkoutP99Ms: number;
  overheadP99Ms: number;
  generatorLagP95Ms: number;
  /** Resident memory (MB) of each process at the window's end (the ones gone are left out). */
  rssMb?: Partial<Record<MeasuredProcess, number>>;
  held: boolean;
  /** Why not held. */
  problems: string[];
}

export interface HistoryStats {
  sampled: number;
  mean: number;
  min: number;
  max: number;
  /** Mean count per order of each event type. */
  byType: Record<string, number>;
}

export interface CheckoutPhasesSummary {
  /** The orders whose histories showed every phase. */
  sampled: number;
  phases: { name: string; p50: number; p95: number }[];
}

export interface PhaseReport {
  system: 'orderflow' | 'bare';
  /** FerretDB's storage (`sqlite`, `postgresql`), when the database is FerretDB. */
  databaseBackend?: string;
  /** The app endpoints registered and the events they received during the run. */
  appEvents?: { endpoints: number; received: number };
  arrival: Arrival;
  stoppedBecause: 'limit' | 'unstable' | 'backlog' | 'aborted';
  orders: {
    sent: number;
    accepted: number;
    completed: number;
    failed: number;
    byVertical: Partial<Record<Vertical, { sent: number; accepted: number; completed: number }>>;
  };
  seconds: { placing: number; firstToLastCompletion: number; total: number };
  throughput: { acceptedPerSecond: number; completedPerSecond: number };
  latencyMs: {
    checkout: LatencySummary;
    /** Confirmation and event callbacks together, then each. */
    callback: LatencySummary;
    confirmationCallback: LatencySummary;
    eventCallback: LatencySummary;
    /** Checkout's answer to the provider's webhook (orderflow only). */
    webhookAfterCheckout: LatencySummary;
    endToEnd: LatencySummary;
    /** End to end minus the providers' deliberate delays: what the system added. */
    overhead: LatencySummary;
  };
  generatorLagMs: LatencySummary;
  windows: WindowReport[];
  /** The warm-up before the run (not in any other figure). */
  warmup: { orders: number; completed: number; errors: Record<string, number> };
  /** CPU seconds used since the run began, every 10 s: does an order cost more as data grows? */
  cpuTimeline: {
    second: number;
    completed: number;
    cpuSeconds: Partial<Record<MeasuredProcess, number>>;
  }[];
  /** Every window held: zero errors, all orders completed, latency stable. */
  sustainable: boolean;
  /** The highest target rate of the windows held from the start (0: not even the first). */
  highestHeldRate: number;
  historyEventsPerOrder: Partial<Record<Vertical, HistoryStats>>;
  /**
   * Where the sampled orders' checkouts spent their time, phase by phase, read off their
   * histories (bench/lib/checkout-phases.ts): p50 / p95 ms over the orders whose histories
   * show every phase.
   */
  checkoutPhasesMs: CheckoutPhasesSummary;
  /** The same for the slowest checkouts of the run (`--slowest`): where the tail's time went. */
  slowestCheckoutPhasesMs: CheckoutPhasesSummary;
  /**
   * The API's own account of checkout (its Server-Timing: validation, idempotency, payment),
   * over every accepted checkout and over the slowest; none for the bare workflow.
   */
  checkoutStepsMs: { all: CheckoutPhasesSummary; slowest: CheckoutPhasesSummary };
  databaseOpsPerOrder: { total: number; byCommand: Record<string, number> } | null;
  /**
   * What the workers counted per completed order (bench/lib/worker-tasks.ts): workflow tasks,
   * sticky cache hits, misses (a history replayed) and forced evictions. Null where the workers
   * serve no metrics (the dev server's run).
   */
  workerTasksPerOrder: WorkerTaskCounts | null;
  cpuSeconds: Partial<Record<MeasuredProcess, number>>;
  /**
   * Resident memory of each measured process (the database: FerretDB and its PostgreSQL, with
   * its backends; also their PSS), every 5 s and at each window's end, from the end of the
   * warm-up to the run's end: start, end, max, and growth in MB/min (least squares, over the
   * run and its second half). A process gone during the run says so, from when.
   */
  memory: MemoryReport<MeasuredProcess>;
  cpuSecondsPerOrder: Partial<Record<MeasuredProcess | 'server', number>>;
  /**
   * With `--idle S`: each process's CPU seconds per second over S seconds with no orders just
   * before the run, and its CPU per order with that idle rate over the run taken off.
   */
  idle: IdleReport<MeasuredProcess> | null;
  /** How many processes each group of `cpuSeconds` is (the cluster's: 2 APIs, 2 grocery workers). */
  processCount: Partial<Record<MeasuredProcess, number>>;
  /**
   * The machine's busy CPU seconds during the run, and the part no measured process used:
   * other work on the machine (another engineer's tests...) that competed with the run.
   */
  machineCpuSeconds: { busy: number; unaccounted: number } | null;
  /** nproc / server CPU seconds per order: the rate at which the serving processes fill the machine. */
  projectedCpuCeilingPerSecond: number | null;
  errors: { total: number; byKind: Record<string, number> };
}

type Pids = Partial<Record<MeasuredProcess, number | number[]>>;

const rootsOf = (entry: number | number[] | undefined) =>
  entry === undefined ? [] : Array.isArray(entry) ? entry : [entry];

/** CPU seconds so far of each measured process (with its children: PostgreSQL's backends). */
function cpuSnapshot(pids: Pids) {
  const snapshot: Partial<Record<MeasuredProcess, number>> = { generator: ownCpuSeconds() };
  for (const [name, entry] of Object.entries(pids) as [MeasuredProcess, Pids[MeasuredProcess]][]) {
    const roots = rootsOf(entry);
    const seconds = roots.map(treeCpuSeconds);
    if (roots.length > 0 && seconds.every((s) => s !== undefined))
      snapshot[name] = seconds.reduce((sum: number, s) => sum + s!, 0);
  }
  return snapshot;
}

/** What the memory sampler reads: each serving process's tree, the generator alone. */
function memoryTargets(pids: Pids): Partial<Record<MeasuredProcess, MemoryTarget>> {
  const targets: Partial<Record<MeasuredProcess, MemoryTarget>> = {
    // Its children are the API and worker (and the embedded servers): itself only.
    generator: { pids: [process.pid], ownOnly: true },
  };
  for (const [name, entry] of Object.entries(pids) as [MeasuredProcess, Pids[MeasuredProcess]][]) {
    const roots = rootsOf(entry);
    // PostgreSQL's processes share its buffers: their RSS counts each shared page again.
    if (roots.length > 0)
      targets[name] = {
        pids: roots,
        withPss: name === 'database' || name === 'temporal-postgres',
      };
  }
  return targets;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export async function runPhase(
  driver: Driver,
  servers: Servers,
  arrival: Arrival,
  options: LoadOptions,
  nproc: number,
): Promise<PhaseReport> {
  const signal = options.signal ?? new AbortController().signal;
  // Every order waiting on a timer listens to it.
  setMaxListeners(0, signal);
  const durationSeconds = Math.min(
    options.durationSeconds ??
      (options.count !== undefined
        ? MAX_RUN_SECONDS
        : arrival.kind === 'ramp'
          ? DEFAULT_RAMP_SECONDS
          : DEFAULT_DURATION_SECONDS),
    MAX_RUN_SECONDS,
  );
  const limits = { count: options.count ?? Infinity, durationMs: durationSeconds * 1000 };
  const windows = windowsOf(arrival, options.windowSeconds, limits.durationMs);
  const errors = new ErrorLog();
  const records: OrderRecord[] = [];
  const playing = new Set<Promise<void>>();
  const pids: Pids = { ...driver.pids, ...servers.pids };
  let stoppedBecause: PhaseReport['stoppedBecause'] = 'limit';
  let stopRequested = false;

  if (options.warmupOrders > 0)
    options.progress?.(`[${driver.kind}] warming up with ${options.warmupOrders} orders`, false);
  const warmup = await warmUp(driver, arrival, options, mix(), signal);
  const idleSeconds = options.idleSeconds ?? 0;
  let idleRate: Partial<Record<MeasuredProcess, number>> | undefined;
  if (idleSeconds > 0 && !signal.aborted) {
    options.progress?.(`[${driver.kind}] ${idleSeconds} s with no orders: idle CPU`, false);
    await sleep(IDLE_SETTLE_MS, undefined, { signal }).catch(() => undefined);
    const idleStart = cpuSnapshot(pids);
    const idleStarted = performance.now();
    await sleep(idleSeconds * 1000, undefined, { signal }).catch(() => undefined);
    idleRate = idleRates(idleStart, cpuSnapshot(pids), (performance.now() - idleStarted) / 1000);
  }
  const cpuBefore = cpuSnapshot(pids);
  const appEventsBefore = driver.appEventsReceived?.() ?? 0;
  const machineBefore = machineBusySeconds();
  const dbBefore = await databaseCommandCounts(servers.admin);
  const workerTasksBefore = await readWorkerTaskCounts(driver.workerMetricsUrls ?? []);
  const memory = new MemorySampler(memoryTargets(pids), MEMORY_EVERY_MS / 1000);
  memory.sample(0);
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let nextMemorySample = MEMORY_EVERY_MS;
  let windowsSampled = 0;
  /** Samples memory when 5 s have passed or a window has ended since the last sample. */
  const sampleMemory = (final: boolean) => {
    const now = elapsed();
    const ended: number[] = [];
    while (windowsSampled < windows.length && windows[windowsSampled]!.endMs <= now)
      ended.push(windowsSampled++);
    if (!final && ended.length === 0 && now < nextMemorySample) return;
    while (nextMemorySample <= now) nextMemorySample += MEMORY_EVERY_MS;
    memory.sample(now / 1000, ended);
  };

  // Ramp: a step with errors or an unstable checkout p99 ends the climb.
  let judged = 0;
  let baselineCheckoutP99: number | undefined;
  const judgeSteps = () => {
    if (arrival.kind !== 'ramp') return;
    while (judged < windows.length && elapsed() >= windows[judged]!.endMs + JUDGE_AFTER_MS) {
      const inStep = records.filter((r) => r.window === judged);
      const p99 = percentile(
        inStep
          .flatMap((r) => (r.checkoutMs === undefined ? [] : [r.checkoutMs]))
          .sort((a, b) => a - b),
        99,
      );
      baselineCheckoutP99 ??= p99;
      const unstable =
        p99 !== undefined &&
        baselineCheckoutP99 !== undefined &&
        p99 > Math.min(options.stableFactor * baselineCheckoutP99 + 100, options.maxCheckoutP99Ms);
      if (inStep.some((r) => r.errors.length > 0) || unstable) {
        stopRequested = true;
        stoppedBecause = 'unstable';
      }
      judged++;
    }
  };
  const cpuTimeline: PhaseReport['cpuTimeline'] = [];
  let nextTimelinePoint = TIMELINE_EVERY_MS;
  const progress = setInterval(() => {
    judgeSteps();
    sampleMemory(false);
    if (elapsed() >= nextTimelinePoint) {
      nextTimelinePoint += TIMELINE_EVERY_MS;
      const now = cpuSnapshot(pids);
      cpuTimeline.push({
        second: Math.round(elapsed() / 1000),
        completed: records.filter((r) => r.outcome === 'completed').length,
        cpuSeconds: Object.fromEntries(
          Object.entries(now).map(([name, seconds]) => [
            name,
            round3(seconds - (cpuBefore[name as MeasuredProcess] ?? 0)),
          ]),
        ),
      });
    }
    const window = Math.min(
      windows.length - 1,
      Math.floor(elapsed() / (windows[0]?.endMs ?? Infinity)),
    );
    const current = records.filter((r) => r.window === window && r.checkoutMs !== undefined);
    const p99 =
      percentile(
        current.map((r) => r.checkoutMs!).sort((a, b) => a - b),
        99,
      ) ?? 0;
    options.progress?.(
      `[${driver.kind}] ${Math.round(elapsed() / 1000)}s rate ${rateAt(arrival, Math.max(0, window))}/s` +
        ` sent ${records.length} accepted ${records.filter((r) => r.orderId).length}` +
        ` completed ${records.filter((r) => r.outcome === 'completed').length}` +
        ` in flight ${playing.size} errors ${errors.total} checkout p99 ${Math.round(p99)} ms`,
      true,
    );
  }, 1000);

  try {
    const maxInFlight = (rate: number) => Math.max(200, rate * 60);
    for (const planned of arrivals(arrival, options.windowSeconds, limits, verticalPicker(mix()))) {
      const delay = planned.at - elapsed();
      if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) {
        stoppedBecause = 'aborted';
        break;
      }
      if (stopRequested) break;
      if (playing.size > maxInFlight(rateAt(arrival, planned.window))) {
        stoppedBecause = 'backlog';
        break;
      }
      const record = newRecord(
        planned.seq,
        planned.vertical,
        planned.window,
        planned.at,
        performance.now(),
      );
      records.push(record);
      const play: Promise<void> = driver
        .play(record, errors, signal)
        .finally(() => playing.delete(play));
      playing.add(play);
    }
    const placing = elapsed();
    await Promise.all(playing);
    judgeSteps();
    const total = elapsed();
    const cpuAfter = cpuSnapshot(pids);
    sampleMemory(true);
    const machineAfter = machineBusySeconds();
    const dbAfter = await databaseCommandCounts(servers.admin);
    const workerTasksAfter = await readWorkerTaskCounts(driver.workerMetricsUrls ?? []);

    const completed = records.filter((r) => r.outcome === 'completed');
    const cpuSeconds: PhaseReport['cpuSeconds'] = {};
    const cpuSecondsPerOrder: PhaseReport['cpuSecondsPerOrder'] = {};
    let server = 0;
    let measured = 0;
    for (const name of Object.keys(cpuAfter) as MeasuredProcess[]) {
      const before = cpuBefore[name];
      const after = cpuAfter[name];
      if (before === undefined || after === undefined) continue;
      cpuSeconds[name] = round3(after - before);
      measured += after - before;
      if (completed.length > 0)
        cpuSecondsPerOrder[name] = round3((after - before) / completed.length);
      if (name !== 'generator') server += after - before;
    }
    if (completed.length > 0) cpuSecondsPerOrder.server = round3(server / completed.length);
    const idle: PhaseReport['idle'] = idleRate
      ? idleReport(idleSeconds, idleRate, cpuSeconds, total / 1000, completed.length)
      : null;

    return {
      system: driver.kind,
      databaseBackend: servers.databaseBackend,
      ...(driver.appEventsReceived
        ? {
            appEvents: {
              endpoints: options.appEndpoints ?? 0,
              received: driver.appEventsReceived() - appEventsBefore,
            },
          }
        : {}),
      arrival,
      stoppedBecause,
      orders: ordersSummary(records),
      seconds: {
        placing: round3(placing / 1000),
        firstToLastCompletion: round3(completionSpanMs(completed) / 1000),
        total: round3(total / 1000),
      },
      throughput: throughput(records, completed, arrival),
      latencyMs: latencies(records),
      generatorLagMs: summarise(records.map((r) => r.startedAt - started - r.plannedAt)),
      warmup,
      cpuTimeline,
      ...withMemory(judgeWindows(windows, records, options, started), memory),
      ...(await sampleHistories(driver, servers, completed, options)),
      checkoutStepsMs: {
        all: checkoutSteps(completed),
        slowest: checkoutSteps(slowestCheckouts(completed, options.slowestSample)),
      },
      databaseOpsPerOrder: databaseOps(dbBefore, dbAfter, completed.length),
      workerTasksPerOrder: workerTasksPerOrder(
        workerTasksBefore,
        workerTasksAfter,
        completed.length,
      ),
      cpuSeconds,
      memory: memory.report(),
      cpuSecondsPerOrder,
      idle,
      processCount: Object.fromEntries(
        Object.entries(pids).map(([name, entry]) => [name, rootsOf(entry).length]),
      ),
      machineCpuSeconds:
        machineBefore === undefined || machineAfter === undefined
          ? null
          : {
              busy: round3(machineAfter - machineBefore),
              unaccounted: round3(Math.max(0, machineAfter - machineBefore - measured)),
            },
      projectedCpuCeilingPerSecond:
        completed.length > 0 && server > 0 ? round3(nproc / (server / completed.length)) : null,
      errors: { total: errors.total, byKind: errors.byKind },
    };
  } finally {
    clearInterval(progress);
  }

  function mix() {
    // The bare run has one shape: grocery's.
    return driver.kind === 'bare' ? { grocery: 1, hotel: 0, teleconsultation: 0 } : options.mix;
  }
}

/** Plays the warm-up orders to their end; none of them counts in the run's figures. */
async function warmUp(
  driver: Driver,
  arrival: Arrival,
  options: LoadOptions,
  mix: LoadOptions['mix'],
  signal: AbortSignal,
): Promise<PhaseReport['warmup']> {
  const rate = Math.min(WARMUP_RATE, rateAt(arrival, 0));
  const errors = new ErrorLog();
  const plays: Promise<void>[] = [];
  const records: OrderRecord[] = [];
  const started = performance.now();
  const plan = arrivals(
    { kind: 'fixed', rate },
    options.windowSeconds,
    { count: options.warmupOrders, durationMs: Infinity },
    verticalPicker(mix),
  );
  for (const planned of plan) {
    const delay = started + planned.at - performance.now();
    if (delay > 0) await sleep(delay, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    const record = newRecord(
      WARMUP_SEQ + planned.seq,
      planned.vertical,
      -1,
      planned.at,
      performance.now(),
    );
    records.push(record);
    plays.push(driver.play(record, errors, signal));
  }
  await Promise.all(plays);
  return {
    orders: records.length,
    completed: records.filter((r) => r.outcome === 'completed').length,
    errors: errors.byKind,
  };
}

function ordersSummary(records: OrderRecord[]): PhaseReport['orders'] {
  const byVertical: PhaseReport['orders']['byVertical'] = {};
  for (const record of records) {
    const entry = (byVertical[record.vertical] ??= { sent: 0, accepted: 0, completed: 0 });
    entry.sent += 1;
    if (record.orderId) entry.accepted += 1;
    if (record.outcome === 'completed') entry.completed += 1;
  }
  const accepted = records.filter((r) => r.orderId).length;
  const completed = records.filter((r) => r.outcome === 'completed').length;
  return {
    sent: records.length,
    accepted,
    completed,
    failed: records.length - completed,
    byVertical,
  };
}

function completionSpanMs(completed: OrderRecord[]): number {
  if (completed.length === 0) return 0;
  const times = completed.map((r) => r.completedAt!);
  return Math.max(...times) - Math.min(...times);
}

/**
 * Accepted per second over the time orders were placed; completed per second over the span
 * from the first to the last completion, or the placing time when longer (a short run's
 * completions bunch up at its end).
 */
function throughput(records: OrderRecord[], completed: OrderRecord[], arrival: Arrival) {
  const last = records[records.length - 1];
  if (!last) return { acceptedPerSecond: 0, completedPerSecond: 0 };
  const interval = 1 / rateAt(arrival, last.window);
  const placingSeconds = last.plannedAt / 1000 + interval;
  const accepted = records.filter((r) => r.orderId).length;
  const meanGap =
    completed.length > 1 ? completionSpanMs(completed) / 1000 / (completed.length - 1) : interval;
  return {
    acceptedPerSecond: ratePer(accepted, placingSeconds),
    completedPerSecond: ratePer(
      completed.length,
      Math.max(placingSeconds, completionSpanMs(completed) / 1000 + meanGap),
    ),
  };
}

function latencies(records: OrderRecord[]): PhaseReport['latencyMs'] {
  const values = (pick: (r: OrderRecord) => number | undefined) =>
    records.flatMap((r) => {
      const value = pick(r);
      return value === undefined ? [] : [value];
    });
  const confirmations = values((r) => r.confirmationMs);
  const events = records.flatMap((r) => r.eventMs);
  return {
    checkout: summarise(values((r) => r.checkoutMs)),
    callback: summarise([...confirmations, ...events]),
    confirmationCallback: summarise(confirmations),
    eventCallback: summarise(events),
    webhookAfterCheckout: summarise(values((r) => r.webhookAfterCheckoutMs)),
    endToEnd: summarise(
      values((r) => (r.completedAt === undefined ? undefined : r.completedAt - r.startedAt)),
    ),
    overhead: summarise(values(overheadMs)),
  };
}

/**
 * A window is held when its orders met no error and all completed, its checkout and overhead
 * p99 stayed within `factor` × the first window's (plus 100 ms and 500 ms; checkout never above
 * `maxCheckoutP99Ms`), and the generator kept to the schedule (p95 lag under 250 ms).
 */
function judgeWindows(
  windows: Window[],
  records: OrderRecord[],
  { stableFactor: factor, maxCheckoutP99Ms }: LoadOptions,
  phaseStart: number,
): Pick<PhaseReport, 'windows' | 'sustainable' | 'highestHeldRate'> {
  const sorted = (numbers: number[]) => numbers.sort((a, b) => a - b);
  let baseline: { checkout: number; overhead: number } | undefined;
  const reports: WindowReport[] = [];
  for (const window of windows) {
    const inWindow = records.filter((r) => r.window === window.index);
    if (inWindow.length === 0) break;
    const checkouts = sorted(
      inWindow.flatMap((r) => (r.checkoutMs === undefined ? [] : [r.checkoutMs])),
    );
    const overheads = sorted(inWindow.flatMap((r) => overheadMs(r) ?? []));
    const lags = sorted(inWindow.map((r) => r.startedAt - phaseStart - r.plannedAt));
    const checkoutP99 = percentile(checkouts, 99) ?? 0;
    const overheadP99 = percentile(overheads, 99) ?? 0;
    baseline ??= { checkout: checkoutP99, overhead: overheadP99 };
    const problems: string[] = [];
    const errors = inWindow.reduce((sum, r) => sum + r.errors.length, 0);
    const completed = inWindow.filter((r) => r.outcome === 'completed').length;
    if (errors > 0) problems.push(`${errors} errors`);
    if (completed < inWindow.length) problems.push(`${inWindow.length - completed} not completed`);
    if (checkoutP99 > Math.min(factor * baseline.checkout + 100, maxCheckoutP99Ms))
      problems.push(`checkout p99 ${Math.round(checkoutP99)} ms`);
    if (overheadP99 > factor * baseline.overhead + 500)
      problems.push(`overhead p99 ${Math.round(overheadP99)} ms`);
    const lagP95 = percentile(lags, 95) ?? 0;
    if (lagP95 > 250) problems.push(`generator ${Math.round(lagP95)} ms behind`);
    reports.push({
      index: window.index,
      rate: window.rate,
      fromSecond: window.startMs / 1000,
      toSecond: window.endMs / 1000,
      sent: inWindow.length,
      accepted: inWindow.filter((r) => r.orderId).length,
      completed,
      errors,
      checkoutP50Ms: Math.round(percentile(checkouts, 50) ?? 0),
      checkoutP99Ms: Math.round(checkoutP99),
      overheadP99Ms: Math.round(overheadP99),
      generatorLagP95Ms: Math.round(lagP95),
      held: problems.length === 0,
      problems,
    });
  }
  let highestHeldRate = 0;
  for (const report of reports) {
    if (!report.held) break;
    highestHeldRate = Math.max(highestHeldRate, report.rate);
  }
  return {
    windows: reports,
    sustainable: reports.length > 0 && reports.every((r) => r.held),
    highestHeldRate,
  };
}

/** Each window's report with the resident memory sampled at its end. */
function withMemory<T extends { windows: WindowReport[] }>(
  judged: T,
  memory: MemorySampler<MeasuredProcess>,
): T {
  for (const window of judged.windows) {
    const rssMb = memory.rssAtWindowEnd(window.index);
    if (rssMb) window.rssMb = rssMb;
  }
  return judged;
}

function databaseOps(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
  orders: number,
): PhaseReport['databaseOpsPerOrder'] {
  if (!before || !after || orders === 0) return null;
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta <= 0 || NOT_DATA_COMMANDS.has(name)) continue;
    byCommand[name] = round3(delta / orders);
    total += delta;
  }
  return { total: round3(total / orders), byCommand };
}

const HISTORY_CLOSED = new Set([
  'WORKFLOW_EXECUTION_COMPLETED',
  'WORKFLOW_EXECUTION_FAILED',
  'WORKFLOW_EXECUTION_TIMED_OUT',
  'WORKFLOW_EXECUTION_TERMINATED',
  'WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  'WORKFLOW_EXECUTION_CANCELED',
]);

function eventTypeName(type: number | null | undefined): string {
  const name = proto.api.enums.v1.EventType[type ?? 0] ?? String(type);
  return name.replace(/^EVENT_TYPE_/, '');
}

/** An order's closed history and, when it shows every step, where its checkout's time went. */
async function historyOf(
  driver: Driver,
  servers: Servers,
  record: OrderRecord,
): Promise<{ events: HistoryEvents; phases?: CheckoutPhase[] } | undefined> {
  const workflowId = driver.workflowIdOf(record);
  const events = workflowId && (await closedHistory(servers, workflowId));
  if (!events) return undefined;
  const { checkoutAt } = record;
  const phases = checkoutAt && checkoutPhases(events, checkoutAt.sentMs, checkoutAt.answeredMs);
  return { events, ...(phases ? { phases } : {}) };
}

/** The checkout phases of these orders, read off their histories. */
async function checkoutPhasesOf(
  driver: Driver,
  servers: Servers,
  records: readonly OrderRecord[],
): Promise<CheckoutPhasesSummary> {
  const phasesOfOrders: CheckoutPhase[][] = [];
  for (const record of records) {
    const phases = (await historyOf(driver, servers, record))?.phases;
    if (phases) phasesOfOrders.push(phases);
  }
  return { sampled: phasesOfOrders.length, phases: summarisePhases(phasesOfOrders) };
}

/** The API's Server-Timing steps of these orders' checkouts, p50 / p95 each. */
function checkoutSteps(records: readonly OrderRecord[]): CheckoutPhasesSummary {
  const stepsOfOrders = records.flatMap((r) =>
    r.checkoutSteps ? [Object.entries(r.checkoutSteps).map(([name, ms]) => ({ name, ms }))] : [],
  );
  return { sampled: stepsOfOrders.length, phases: summarisePhases(stepsOfOrders) };
}

/** The `count` completed orders whose checkouts took longest. */
export function slowestCheckouts(completed: readonly OrderRecord[], count: number): OrderRecord[] {
  return completed
    .filter((r) => r.checkoutMs !== undefined)
    .sort((a, b) => b.checkoutMs! - a.checkoutMs!)
    .slice(0, count);
}

/**
 * Histories of a sample of completed orders per vertical, spread over the run: their event
 * counts, and where their checkouts' time went; and where the slowest checkouts' time went.
 */
async function sampleHistories(
  driver: Driver,
  servers: Servers,
  completed: OrderRecord[],
  options: LoadOptions,
): Promise<
  Pick<PhaseReport, 'historyEventsPerOrder' | 'checkoutPhasesMs' | 'slowestCheckoutPhasesMs'>
> {
  const historyEventsPerOrder: PhaseReport['historyEventsPerOrder'] = {};
  const phasesOfOrders: CheckoutPhase[][] = [];
  for (const vertical of driver.verticals) {
    const ofVertical = completed.filter((r) => r.vertical === vertical);
    const want = Math.min(options.historySample, ofVertical.length);
    if (want === 0) continue;
    const sample = Array.from(
      { length: want },
      (_, i) => ofVertical[Math.floor((i * ofVertical.length) / want)]!,
    );
    const counts: number[] = [];
    const byType: Record<string, number> = {};
    for (const record of sample) {
      const history = await historyOf(driver, servers, record);
      if (!history) continue;
      counts.push(history.events.length);
      for (const event of history.events) increment(byType, eventTypeName(event.eventType));
      if (history.phases) phasesOfOrders.push(history.phases);
    }
    if (counts.length === 0) continue;
    historyEventsPerOrder[vertical] = {
      sampled: counts.length,
      mean: round3(counts.reduce((a, b) => a + b, 0) / counts.length),
      min: Math.min(...counts),
      max: Math.max(...counts),
      byType: Object.fromEntries(
        Object.entries(byType).map(([type, n]) => [type, round3(n / counts.length)]),
      ),
    };
  }
  return {
    historyEventsPerOrder,
    checkoutPhasesMs: { sampled: phasesOfOrders.length, phases: summarisePhases(phasesOfOrders) },
    slowestCheckoutPhasesMs: await checkoutPhasesOf(
      driver,
      servers,
      slowestCheckouts(completed, options.slowestSample),
    ),
  };
}

type HistoryEvents = proto.api.history.v1.IHistoryEvent[];

/** A workflow's history once it has closed (a few seconds at most). */
async function closedHistory(
  servers: Servers,
  workflowId: string,
): Promise<HistoryEvents | undefined> {
  const handle = servers.client.workflow.getHandle(workflowId);
  for (let attempt = 0; attempt < 50; attempt++) {
    const events = (await handle.fetchHistory()).events ?? [];
    if (HISTORY_CLOSED.has(eventTypeName(events[events.length - 1]?.eventType))) return events;
    await sleep(200);
  }
  return undefined;
}
