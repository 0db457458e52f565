// The fault suite: orderflow's worker and API as separate processes on a Temporal dev server
// and FerretDB of their own (fresh data dir), a few hundred orders of all three verticals
// from retrying clients and chaotic providers, and faults on a timeline — the worker killed,
// the API killed, the database stopped, Temporal restarted. It ends with the reconciliation
// and the clients' view held against the ledger; `ok` only with zero breaches and zero
// violations. `npm run faults` is ops/faults/cli.ts. In cluster mode (`cluster`) the system
// is the production topology instead (ops/faults/cluster.ts) and the faults are its own (a
// grocery worker of two, an API behind nginx, the Temporal server and its PostgreSQL): the
// same load, providers and end checks, through the system's levers.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdminClient } from '../../dev/admin-client';
import type { Vertical } from '../../domain/order';
import { loadConfig } from '../../infra/config';
import { connectDatabase } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { createSandboxGateway } from '../../infra/payments/sandbox';
import { workerTaskQueues } from '../../infra/task-queues';
import { connectClient } from '../../infra/temporal';
import type { BreachKind } from '../reconcile';
import { startAppEventEndpoints, type AppEventStats } from './app-events';
import {
  checkoutBody,
  createCheckoutClient,
  type CheckoutAttempt,
  type CheckoutClientStats,
  type CheckoutRecord,
} from './clients';
import { bump, Findings, type Tally, type Violation } from './findings';
import { clusterFaultKinds, prepareClusterSystem } from './cluster';
import {
  makePlan,
  PROBES_PER_OUTAGE,
  type FaultKind,
  type Plan,
  type PlannedFault,
  type PlannedOrder,
} from './plan';
import { startChaoticProviders, type ProviderAccount, type ProviderStats } from './providers';
import { derivedRandom } from './random';
import { prepareSystem, type SystemUnderFault, type UnexpectedExit } from './stack';
import { verify, waitUntilSettled, type Census, type ClientViewChecked } from './verify';

export interface FaultSuiteOptions {
  /** Orders placed (default 300; 30 with `short`). */
  orders?: number;
  /** The CI run: few orders, one fault of each kind, a 5 s database outage. */
  short?: boolean;
  seed?: number;
  /** Where the JSON report goes. */
  out?: string;
  /** A prebuilt workflow bundle; otherwise one is built in the data dir. */
  workflowBundlePath?: string;
  /** Keep the data dir (servers' data and every process's log) even when all is well. */
  keepData?: boolean;
  /** CHECKOUT_WAIT_SECONDS of the system under test. */
  checkoutWaitSeconds?: number;
  /** How much longer than the checkout wait an answer may take. */
  checkoutMarginMs?: number;
  /** How long to wait at the end for every order to settle. */
  settleTimeoutMs?: number;
  /** Progress lines (the CLI prints them). */
  log?: (line: string) => void;
  /**
   * Cluster mode (ops/faults/cluster.ts): the production topology instead of the dev-server
   * stack, and its faults. `mongodbUri`: a database of the caller's (a URI with a database
   * name) rather than one of the cluster's own, which leaves out the database outage.
   */
  cluster?: boolean | { mongodbUri?: string };
}

export interface FaultRecord extends PlannedFault {
  /** When it struck and when the system was whole again (ms from the load's start). */
  startedAtMs: number;
  recoveredAtMs: number;
  /** How long its steps took, e.g. `stopMs` and `startMs` of a server. */
  steps: Record<string, number>;
  /** Checkout answers to requests sent while it lasted, and the slowest of them. */
  checkoutsDuring: Tally;
  slowestCheckoutDuringMs: number;
}

export interface FaultSuiteReport {
  ok: boolean;
  seed: number;
  short: boolean;
  /** The dev-server stack (ops/faults/stack.ts) or the cluster (ops/faults/cluster.ts). */
  topology: SystemUnderFault['topology'];
  command: string;
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; platform: string };
  /** FerretDB's storage in this run. */
  databaseBackend: string;
  durationMs: number;
  loadMs: number;
  settings: Record<string, string>;
  orders: {
    planned: number;
    /** Of which placed by the database outages themselves. */
    probes: number;
    byVertical: Tally;
    byScenario: Tally;
    checkoutRequests: number;
    finalAnswers: Tally;
    /** Orders answered 201, by the status they ended in. */
    acceptedByStatus: Tally;
    /** The customers' cancellations (customer_cancel), by answer. */
    cancellations: Tally;
    /** Every order as a read by id answers it (including attempts that charged nothing). */
    documents: Census;
  };
  checkout: CheckoutClientStats & { limitMs: number };
  /** The kinds this topology takes, each injected at least once when all went to plan. */
  faults: { byKind: Partial<Record<FaultKind, number>>; timeline: FaultRecord[] };
  providers: ProviderStats;
  /** The app's live and dead event endpoints (ops/faults/app-events.ts). */
  appEvents?: AppEventStats;
  processes: { starts: Record<string, number>; unexpectedExits: UnexpectedExit[] };
  settle: { settled: boolean; waitedMs: number; stillOpen: Tally };
  reconciliation: {
    ordersChecked: number;
    breaches: number;
    breachesByKind: Record<BreachKind, number>;
    /** With, for each, what the client placing it was answered (to see how it came about). */
    breachList: { orderId: string; kind: string; detail: string; clientAnswers?: string[] }[];
    unchecked: number;
  };
  /** What the clients were told, checked against the books (ops/faults/verify.ts). */
  clientView: ClientViewChecked;
  violations: Violation[];
  violationsByKind: Tally;
  notes: string[];
  dataDir?: string;
}

const APP_CLIENT = 'faults-app';
/** How long the app's live endpoint may still be hearing of orders once they have settled. */
const APP_EVENTS_GRACE_MS = 30_000;

export async function runFaultSuite(options: FaultSuiteOptions = {}): Promise<FaultSuiteReport> {
  const short = options.short ?? false;
  const seed = options.seed ?? 1;
  const cluster =
    options.cluster === true ? {} : options.cluster === false ? undefined : options.cluster;
  const plan = makePlan({
    seed,
    short,
    orders: options.orders ?? (short ? 30 : 300),
    ...(cluster ? { cluster: true, kinds: clusterFaultKinds(!cluster.mongodbUri) } : {}),
  });
  const waitSeconds = options.checkoutWaitSeconds ?? 5;
  const marginMs = options.checkoutMarginMs ?? 3_000;
  const log = options.log ?? (() => undefined);
  const runStarted = Date.now();
  let loadStarted = runStarted;
  const findings = new Findings(() => Date.now() - loadStarted);
  const say = (line: string) => {
    findings.note(line);
    log(`[faults +${((Date.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);
  };

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-faults-'));
  say(`data and logs in ${dataDir}`);
  const clock = () => Date.now() - loadStarted;
  const systemOptions = {
    dataDir,
    appClient: APP_CLIENT,
    taskQueue: 'orders-faults',
    checkoutWaitSeconds: waitSeconds,
    ...(options.workflowBundlePath ? { workflowBundlePath: options.workflowBundlePath } : {}),
    clock,
    say,
  };
  const system: SystemUnderFault = cluster
    ? await prepareClusterSystem({
        ...systemOptions,
        ...(cluster.mongodbUri ? { mongodbUri: cluster.mongodbUri } : {}),
      })
    : await prepareSystem(systemOptions);
  const { apiUrl, tokens, settings, databaseBackend } = system;
  const config = loadConfig(settings);
  for (const kind of plan.kinds)
    if (!system.levers[kind]) throw new Error(`the ${system.topology} cannot take ${kind}`);

  const clients = createCheckoutClient({
    apiUrl,
    appToken: tokens.app,
    waitMs: waitSeconds * 1000,
    marginMs,
    findings,
  });
  const providers = await startChaoticProviders({
    plan,
    findings,
    cancellationOf: clients.cancellationOf,
  });

  let report: FaultSuiteReport | undefined;
  let appEndpoints: Awaited<ReturnType<typeof startAppEventEndpoints>> | undefined;
  try {
    await system.start();
    say(system.topology === 'cluster' ? 'the cluster is up' : 'worker and API up');
    const accounts = await registerProviders(apiUrl, tokens.admin, plan, providers.webhookUrl);
    providers.use(
      Object.values(accounts).flatMap((a) => [a, a.fallbackAccount]),
      apiUrl,
    );
    appEndpoints = await startAppEventEndpoints(apiUrl, tokens.admin);
    say('app event endpoints registered: one live, one dead');

    // ---- The load, and the faults on their timeline ----
    loadStarted = Date.now();
    say(
      `placing ${plan.orders.length} orders over ${plan.loadMs / 1000}s, ${plan.probes.length} more during database outages`,
    );
    const records: CheckoutRecord[] = [];
    const placing: Promise<void>[] = [];
    /** Places one order as the app would, and cancels it when the customer changes their mind. */
    const placeOrder = async (order: PlannedOrder) => {
      const body = checkoutBody(order, accounts[order.vertical].providerId, Date.now());
      const record = await clients.place(order, body);
      records.push(record);
      if (order.scenario === 'customer_cancel' && record.final?.kind === 'accepted') {
        await sleep(derivedRandom(seed, 'cancel', order.index).int(300, 1500));
        await clients.cancel(record, record.final.orderId);
      }
    };
    for (const order of plan.orders) placing.push(sleep(order.atMs).then(() => placeOrder(order)));
    const probes = [...plan.probes];
    const probe = () => {
      const order = probes.shift();
      if (order) placing.push(placeOrder(order));
    };
    const timed = async (step: () => Promise<void>) => {
      const started = Date.now();
      await step();
      return Date.now() - started;
    };
    const lever = (kind: FaultKind) => system.levers[kind]!;
    /** A process killed, started again after the fault's time down. */
    const killAndStart = (kind: FaultKind) => async (fault: PlannedFault) => ({
      killMs: await timed(() => lever(kind).down()),
      startMs: await timed(async () => {
        await sleep(fault.downMs);
        await lever(kind).up();
      }),
    });
    /** A server stopped, started again after the fault's time down. */
    const stopAndStart = (kind: FaultKind) => async (fault: PlannedFault) => {
      const stopMs = await timed(() => lever(kind).down());
      await sleep(fault.downMs);
      return { stopMs, startMs: await timed(() => lever(kind).up()) };
    };
    const timeline = await runFaults(plan, {
      clock,
      say,
      inject: {
        worker_kill: killAndStart('worker_kill'),
        api_kill: killAndStart('api_kill'),
        database_outage: async (fault) => {
          // One checkout as the database goes away, more while it is away.
          const stopping = timed(() => lever('database_outage').down());
          probe();
          const stopMs = await stopping;
          for (let i = 1; i < PROBES_PER_OUTAGE; i++) {
            await sleep(fault.downMs / PROBES_PER_OUTAGE);
            probe();
          }
          await sleep(fault.downMs / PROBES_PER_OUTAGE);
          return { stopMs, startMs: await timed(() => lever('database_outage').up()) };
        },
        temporal_restart: stopAndStart('temporal_restart'),
        temporal_database_restart: stopAndStart('temporal_database_restart'),
      },
    });
    await Promise.all(placing);
    say('every checkout answered; waiting for the providers to finish');
    await providers.idle();
    await system.settled();

    // ---- Settle, reconcile, check the clients' view ----
    const logger = createLogger('silent');
    const database = await connectDatabase(config.mongodbUri, logger);
    const temporal = await connectClient(config.temporal);
    try {
      const deps = {
        temporal,
        models: database.models,
        gateway: createSandboxGateway(database.models),
        taskQueues: workerTaskQueues(config.temporal),
      };
      const settleTimeoutMs = options.settleTimeoutMs ?? (short ? 90_000 : 300_000);
      say(`waiting up to ${settleTimeoutMs / 1000}s for every order to settle`);
      const settle = await waitUntilSettled(deps, settleTimeoutMs, (running) =>
        say(`${running} order workflows still running`),
      );
      say(
        settle.settled
          ? `every order settled (${Math.round(settle.waitedMs / 1000)}s)`
          : `still open after ${settle.waitedMs / 1000}s: ${JSON.stringify(settle.stillOpen)}`,
      );
      say('reconciling');
      const verification = await verify(deps, records, APP_CLIENT, new Date(runStarted));
      for (const violation of verification.violations)
        findings.violation(violation.kind, violation.detail, violation.orderId);
      const processes = system.processes();
      for (const exit of processes.unexpectedExits) {
        if (exit.wasReady)
          findings.violation(
            'process_crashed',
            `${exit.service} exited on its own at +${exit.atMs} ms (code ${exit.code}, signal ${exit.signal})`,
          );
      }
      const acceptedStatus = verification.statuses;
      // Every order reaches the app: a relay's follow-up round comes a second after its last
      // wake-up, and its retries after a fault within seconds more.
      const told = await appEndpoints.untold(verification.statuses, APP_EVENTS_GRACE_MS);
      for (const orderId of told.unheard)
        findings.violation(
          'app_event_missing',
          "the app's live endpoint heard nothing of it",
          orderId,
        );
      const appEvents = {
        ...(await appEndpoints.stats(database.models)),
        ...(told.behind.length > 0 ? { liveBehind: told.behind } : {}),
      };
      say(`app events: ${JSON.stringify(appEvents)}`);
      report = buildReport({
        plan,
        records,
        timeline,
        findings,
        settle,
        verification,
        acceptedStatus,
        providers: providers.stats,
        appEvents,
        clientStats: clients.stats(),
        limitMs: waitSeconds * 1000 + marginMs,
        processes,
        topology: system.topology,
        settings,
        runStarted,
        databaseBackend,
      });
    } finally {
      await temporal.connection.close().catch(() => undefined);
      await database.close().catch(() => undefined);
    }
  } finally {
    await providers.close();
    await appEndpoints?.close();
    await system.stop();
  }
  if (!report) throw new Error('the fault suite ended without a report');
  if (options.keepData || !report.ok) report.dataDir = dataDir;
  else rmSync(dataDir, { recursive: true, force: true });
  if (options.out) writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

async function registerProviders(
  apiUrl: string,
  adminToken: string,
  plan: Plan,
  webhookUrl: (providerId: string) => string,
): Promise<Record<Vertical, ProviderAccount & { fallbackAccount: ProviderAccount }>> {
  const admin = createAdminClient(apiUrl, adminToken);
  const register = async (
    vertical: Vertical,
    providerId: string,
    fallbackProviderIds?: string[],
  ): Promise<ProviderAccount> => {
    const { signingSecret } = await admin.registerOrThrow({
      providerId,
      vertical,
      name: `Chaotic ${vertical} provider`,
      webhookUrl: webhookUrl(providerId),
      confirmationTimeoutSeconds: plan.confirmationTimeoutSeconds,
      // UTC: hotel orders check in today (by the UTC date) and report the check-in at once.
      timeZone: 'UTC',
      ...(vertical === 'teleconsultation'
        ? { doctorNoShowGraceSeconds: plan.doctorNoShowGraceSeconds }
        : {}),
      ...(fallbackProviderIds ? { fallbackProviderIds } : {}),
    });
    return {
      providerId,
      vertical,
      signingSecret,
      ...(fallbackProviderIds ? {} : { isFallback: true }),
    };
  };
  // Each provider hands a rejected or unanswered order to its fallback (re-routing).
  const withFallback = async (vertical: Vertical) => {
    const fallback = await register(vertical, `faults-${vertical}-fallback`);
    const primary = await register(vertical, `faults-${vertical}`, [fallback.providerId]);
    return { ...primary, fallbackAccount: fallback };
  };
  return {
    grocery: await withFallback('grocery'),
    hotel: await withFallback('hotel'),
    teleconsultation: await withFallback('teleconsultation'),
  };
}

/** Runs the planned faults one after the other, each at its moment (or once the last ended). */
async function runFaults(
  plan: Plan,
  deps: {
    clock: () => number;
    say: (line: string) => void;
    /** Injects the fault and recovers from it; answers how long its steps took (ms). */
    inject: Record<FaultKind, (fault: PlannedFault) => Promise<Record<string, number>>>;
  },
): Promise<FaultRecord[]> {
  const timeline: FaultRecord[] = [];
  for (const fault of plan.faults) {
    await sleep(Math.max(0, fault.atMs - deps.clock()));
    const startedAtMs = deps.clock();
    deps.say(`fault: ${fault.kind} (down ${fault.downMs} ms)`);
    const steps = await deps.inject[fault.kind](fault);
    const recoveredAtMs = deps.clock();
    deps.say(
      `recovered from ${fault.kind} after ${recoveredAtMs - startedAtMs} ms (${Object.entries(steps)
        .map(([step, ms]) => `${step} ${ms}`)
        .join(', ')})`,
    );
    timeline.push({
      ...fault,
      startedAtMs,
      recoveredAtMs,
      steps,
      checkoutsDuring: {},
      slowestCheckoutDuringMs: 0,
    });
  }
  return timeline;
}

/** Every answer the client got for the key that placed `orderId`: when, what, how fast. */
function answersOfKeyPlacing(records: readonly CheckoutRecord[], orderId: string): string[] {
  const record = records.find(
    (r) =>
      r.attempts.some((a) => a.orderId === orderId) ||
      r.nothingCharged.some((n) => n.orderId === orderId),
  );
  if (!record) return [];
  return [
    `key ${record.order.key} (${record.order.vertical} ${record.order.scenario}, ${record.order.token})`,
    ...record.attempts.map(
      (a) =>
        `+${(a.startedAtMs / 1000).toFixed(1)}s ${a.status}${a.code ? ` ${a.code}` : ''}${a.orderId ? ` ${a.orderId}` : ''} after ${a.latencyMs} ms`,
    ),
  ];
}

function buildReport(input: {
  plan: Plan;
  records: CheckoutRecord[];
  timeline: FaultRecord[];
  findings: Findings;
  settle: FaultSuiteReport['settle'];
  verification: Awaited<ReturnType<typeof verify>>;
  acceptedStatus: ReadonlyMap<string, string>;
  providers: ProviderStats;
  appEvents: AppEventStats;
  clientStats: CheckoutClientStats;
  limitMs: number;
  processes: FaultSuiteReport['processes'];
  settings: Record<string, string>;
  runStarted: number;
  databaseBackend: string;
  topology: SystemUnderFault['topology'];
}): FaultSuiteReport {
  const { plan, records, findings, verification } = input;
  const attempts: CheckoutAttempt[] = records.flatMap((r) => r.attempts);
  for (const fault of input.timeline) {
    for (const attempt of attempts) {
      if (attempt.startedAtMs < fault.startedAtMs || attempt.startedAtMs > fault.recoveredAtMs)
        continue;
      bump(fault.checkoutsDuring, `${attempt.status}${attempt.code ? ` ${attempt.code}` : ''}`);
      fault.slowestCheckoutDuringMs = Math.max(fault.slowestCheckoutDuringMs, attempt.latencyMs);
    }
  }
  const byVertical: Tally = {};
  const byScenario: Tally = {};
  const finalAnswers: Tally = {};
  const acceptedByStatus: Tally = {};
  const cancellations: Tally = {};
  for (const record of records) {
    if (record.cancellation)
      bump(
        cancellations,
        `${record.cancellation.status}${record.cancellation.code ? ` ${record.cancellation.code}` : ''}`,
      );
    bump(byVertical, record.order.vertical);
    bump(byScenario, `${record.order.vertical} ${record.order.scenario}`);
    const final = record.final!;
    bump(
      finalAnswers,
      final.kind === 'accepted'
        ? '201 accepted'
        : final.kind === 'declined'
          ? `402 ${final.code}`
          : final.kind === 'refused'
            ? `${final.status} ${final.code ?? ''}`.trim()
            : `gave up after ${final.last}`,
    );
    if (final.kind === 'accepted')
      bump(acceptedByStatus, input.acceptedStatus.get(final.orderId) ?? 'no document');
  }
  const byKind: Partial<Record<FaultKind, number>> = Object.fromEntries(
    plan.kinds.map((kind) => [kind, input.timeline.filter((f) => f.kind === kind).length]),
  );
  const violationsByKind: Tally = {};
  for (const violation of findings.violations) bump(violationsByKind, violation.kind);
  const reconciliation = verification.reconciliation;
  const machine = os.cpus();
  return {
    ok:
      reconciliation.breaches.length === 0 &&
      findings.violations.length === 0 &&
      plan.kinds.every((kind) => (byKind[kind] ?? 0) > 0),
    seed: plan.seed,
    short: plan.short,
    topology: input.topology,
    command: `npm run faults -- ${input.topology === 'cluster' ? '--cluster ' : ''}${plan.short ? '--short' : `--orders ${plan.orders.length}`} --seed ${plan.seed}`,
    machine: {
      cpus: os.availableParallelism(),
      cpuModel: machine[0]?.model ?? 'unknown',
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
    },
    databaseBackend: input.databaseBackend,
    durationMs: Date.now() - input.runStarted,
    loadMs: plan.loadMs,
    settings: Object.fromEntries(
      Object.entries(input.settings).filter(
        ([name]) => !['API_TOKENS', 'PAYLOAD_ENCRYPTION_KEYS'].includes(name),
      ),
    ),
    orders: {
      planned: records.length,
      probes: plan.probes.length,
      byVertical,
      byScenario,
      checkoutRequests: attempts.length,
      finalAnswers,
      acceptedByStatus,
      cancellations,
      documents: verification.census,
    },
    checkout: { ...input.clientStats, limitMs: input.limitMs },
    faults: { byKind, timeline: input.timeline },
    providers: input.providers,
    appEvents: input.appEvents,
    processes: input.processes,
    settle: input.settle,
    reconciliation: {
      ordersChecked: reconciliation.ordersChecked,
      breaches: reconciliation.breaches.length,
      breachesByKind: reconciliation.breachesByKind,
      breachList: reconciliation.breaches.slice(0, 50).map((breach) => ({
        ...breach,
        clientAnswers: answersOfKeyPlacing(records, breach.orderId),
      })),
      unchecked: reconciliation.failures.length,
    },
    clientView: verification.checked,
    violations: findings.violations,
    violationsByKind,
    notes: findings.notes,
  };
}
