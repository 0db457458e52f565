// The load generator: `npm run bench -- [options]` (`--help` lists them). It starts the
// embedded runtime in a temp dir, runs orderflow's API and worker as child processes, plays
// the app and the providers over HTTP (bench/lib/orderflow-driver.ts) at a fixed rate or a
// ramp, then runs the bare workflow of the same shape on the same server (bench/bare/) for
// the platform's ceiling, and prints one table and writes one JSON report. With --cluster the
// same runs go to the cluster topology instead (bench/lib/cluster-runtime.ts). `runLoad` is the
// core (test/bench-smoke.e2e.test.ts runs it); the rest of this file is the command line.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { compileServices } from '../dev/service-entry';
import { startBareDriver } from './lib/bare-driver';
import { startClusterServers } from './lib/cluster-runtime';
import type { Driver } from './lib/driver';
import { startOrderflowDriver } from './lib/orderflow-driver';
import { runPhase, type PhaseReport } from './lib/phase';
import { DEFAULT_OPTIONS, type Arrival, type LoadOptions, type Mode } from './lib/plan';
import { machineBusySeconds, machineInfo, type MachineInfo } from './lib/proc';
import { renderTable, type Ratio } from './lib/report';
import { startServers, type Servers } from './lib/runtime';

export type { LoadOptions } from './lib/plan';
export type { PhaseReport } from './lib/phase';

export interface LoadReport {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  /**
   * How busy the machine was (0…1 of all cores) in the seconds before the run (measured by the
   * command line): other work on a shared machine takes CPU from the run and worsens every figure.
   */
  machineBusyBefore?: number | null;
  /** What ran the orders: the embedded dev server, servers given, or the cluster topology. */
  topology: 'dev-server' | 'given-servers' | 'cluster';
  options: Omit<LoadOptions, 'signal' | 'progress'>;
  runs: { orderflow?: PhaseReport; bare?: PhaseReport };
  /**
   * Mode `both`: whether bare ran on servers started afresh for it, or on orderflow's (given
   * servers cannot be restarted).
   */
  bareServers?: 'fresh' | 'orderflow';
  /** orderflow's end-to-end throughput as a share of the bare ceiling (mode `both`). */
  ratio: Ratio | null;
  /** Where the servers' data and the processes' logs are (kept only with `keepData`). */
  dataDir: string;
  /** The same for the servers started afresh for bare (`bareServers: 'fresh'`). */
  bareDataDir?: string;
}

function checkOptions(options: LoadOptions): void {
  const positive = (value: number, what: string) => {
    if (!(Number.isFinite(value) && value > 0))
      throw new Error(`${what} must be a positive number`);
  };
  for (const arrival of [options.arrival, options.bareArrival]) {
    if (!arrival) continue;
    if (arrival.kind === 'fixed') positive(arrival.rate, 'the rate');
    else {
      positive(arrival.start, 'the ramp start');
      positive(arrival.everySeconds, 'the ramp step length');
      if (!(arrival.step >= 0)) throw new Error('the ramp step must be 0 or more');
    }
  }
  if (options.cluster) {
    if (options.servers) throw new Error('--cluster starts its own Temporal server');
    if (options.workflowBundlePath) throw new Error('the cluster bundles its workflows itself');
  }
  if (options.devServerWal && (options.cluster || options.servers))
    throw new Error('--dev-server-wal sets up the embedded dev server; this run has none');
  if (options.count !== undefined) positive(options.count, '--count');
  if (options.durationSeconds !== undefined) positive(options.durationSeconds, '--duration');
  if (!Object.values(options.mix).some((weight) => weight > 0))
    throw new Error('the mix needs a vertical with a positive weight');
  positive(options.orderTimeoutMs, 'the order timeout');
  positive(options.windowSeconds, 'the window');
  if (options.idleSeconds !== undefined && options.idleSeconds !== 0)
    positive(options.idleSeconds, '--idle');
}

async function measure(
  starting: Promise<Driver>,
  servers: Servers,
  arrival: Arrival,
  options: LoadOptions,
  nproc: number,
): Promise<PhaseReport> {
  const driver = await starting;
  try {
    return await runPhase(driver, servers, arrival, options, nproc);
  } finally {
    await driver.stop();
  }
}

function ratioOf(orderflow: PhaseReport, bare: PhaseReport): Ratio {
  const divide = (a: number | null, b: number | null) =>
    a === null || b === null || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
  const ramped = orderflow.arrival.kind === 'ramp' && bare.arrival.kind === 'ramp';
  const highestHeldRate = ramped ? divide(orderflow.highestHeldRate, bare.highestHeldRate) : null;
  const projectedCpuCeiling = divide(
    orderflow.projectedCpuCeilingPerSecond,
    bare.projectedCpuCeilingPerSecond,
  );
  const completedPerSecond = divide(
    orderflow.throughput.completedPerSecond,
    bare.throughput.completedPerSecond,
  );
  // A ramp to instability measures each ceiling; at a fixed rate both usually keep up, and the
  // CPU each order costs the serving processes says where each would hit the machine's limit.
  const basis: Ratio['basis'] =
    highestHeldRate !== null
      ? 'highest_held_rate'
      : projectedCpuCeiling !== null
        ? 'projected_cpu_ceiling'
        : 'completed_per_second';
  return {
    value:
      basis === 'highest_held_rate'
        ? highestHeldRate
        : basis === 'projected_cpu_ceiling'
          ? projectedCpuCeiling
          : completedPerSecond,
    basis,
    highestHeldRate,
    bareCeilingReached: !bare.sustainable,
    completedPerSecond,
    projectedCpuCeiling,
  };
}

async function busyFraction(nproc: number, seconds = 2): Promise<number | null> {
  const before = machineBusySeconds();
  await sleep(seconds * 1000);
  const after = machineBusySeconds();
  if (before === undefined || after === undefined) return null;
  return Math.round(((after - before) / seconds / nproc) * 100) / 100;
}

/** Runs orderflow, the bare workflow, or both (one after the other) under load. */
export async function runLoad(input: Partial<LoadOptions> = {}): Promise<LoadReport> {
  const options: LoadOptions = { ...DEFAULT_OPTIONS, ...input };
  checkOptions(options);
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const topology: LoadReport['topology'] = options.cluster
    ? 'cluster'
    : options.servers
      ? 'given-servers'
      : 'dev-server';
  options.progress?.(
    {
      'dev-server': 'starting Temporal and FerretDB',
      'given-servers': 'connecting to the servers',
      cluster:
        'starting the cluster: Temporal server and PostgreSQL, FerretDB, APIs, workers, nginx',
    }[topology],
    false,
  );
  const startTopology = async (): Promise<Servers> =>
    options.cluster
      ? startClusterServers(options, runId, options.cluster)
      : startServers(options.servers, {
          keepData: options.keepData,
          devServerWal: options.devServerWal,
        });
  let servers: Servers | undefined = await startTopology();
  const { dataDir } = servers;
  let bareDataDir: string | undefined;
  options.progress?.(
    options.cluster ? 'registering the providers' : 'starting the API and the workers',
    false,
  );
  const runs: LoadReport['runs'] = {};
  // Bare on the servers orderflow has just loaded would pay for what orderflow left there (the
  // dev server's SQLite holds its histories): 0.02 CPU s and ~10 ms of checkout p50 per order
  // on the twelfth round's machine (docs/BENCHMARKS.md). Servers this run started itself are
  // started afresh for bare; given ones cannot be, and bare then shares them.
  const bareOnFreshServers = options.mode === 'both' && topology !== 'given-servers';
  // Otherwise the bare worker bundles its workflow while orderflow runs; idle, it only long-polls.
  let bareStarting =
    options.mode === 'orderflow' || bareOnFreshServers
      ? undefined
      : startBareDriver(servers, options, runId);
  bareStarting?.catch(() => undefined);
  try {
    if (options.mode !== 'bare') {
      runs.orderflow = await measure(
        startOrderflowDriver(servers, options, runId),
        servers,
        options.arrival,
        options,
        machine.nproc,
      );
    }
    if (bareOnFreshServers && !options.signal?.aborted) {
      options.progress?.('starting fresh servers for the bare workflow', false);
      const used = servers;
      servers = undefined;
      await used.stop();
      servers = await startTopology();
      bareDataDir = servers.dataDir;
      bareStarting = startBareDriver(servers, options, runId);
    }
    if (bareStarting && !options.signal?.aborted) {
      runs.bare = await measure(
        bareStarting,
        servers,
        options.bareArrival ?? options.arrival,
        options,
        machine.nproc,
      );
    }
  } finally {
    await bareStarting?.then((driver) => driver.stop()).catch(() => undefined);
    await servers?.stop();
  }
  const { signal: _signal, progress: _progress, ...recorded } = options;
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    topology,
    options: recorded,
    runs,
    ...(runs.orderflow && runs.bare
      ? { bareServers: bareOnFreshServers ? ('fresh' as const) : ('orderflow' as const) }
      : {}),
    ratio: runs.orderflow && runs.bare ? ratioOf(runs.orderflow, runs.bare) : null,
    dataDir,
    ...(bareDataDir ? { bareDataDir } : {}),
  };
}

// ---- The command line ----

const HELP = `npm run bench -- [options]

  --mode orderflow|bare|both   what to load (default both: orderflow, then bare)
  --rate N                     fixed arrival rate, orders/s (default 5)
  --ramp start:step:every      start orders/s, +step every 'every' seconds, until a step has
                               errors or an unstable p99 (default bound 300 s)
  --bare-rate N, --bare-ramp s:t:e   the bare run's own schedule (default: the same)
  --count N                    orders per run (with a rate: at most N)
  --duration S                 seconds of arrivals per run (default 30; ramps 300; max 900)
  --mix g:h:t                  weights of grocery:hotel:teleconsultation (default 1:1:1)
  --confirm-delay MS           provider's delay before confirming (default 500)
  --event-delay MS             delay before each provider event (default 500)
  --order-timeout S            an order not completed after S seconds failed (default 60)
  --window S                   fixed rate: judge stability per S seconds (default 10)
  --stable-factor F            p99 may grow to F x the first window's (default 2)
  --max-p99 MS                 a window with a checkout p99 above MS is not held (default 3000)
  --history-sample N           histories read per vertical (default 5)
  --slowest N                  also read the N slowest checkouts' histories: their phases
                               (default 10; 0: none)
  --warmup N                   orders played (at 2/s) before each run, not counted (default 10)
  --idle S                     after the warm-up, S seconds with no orders: each process's idle
                               CPU, and CPU per order net of it, are reported too (default 0)
  --token TOKEN                payment token (default tok_ok; tok_flaky, tok_slow)
  --app-endpoints N            register N app endpoints (at the generator, answering 204)
                               first, so orders' app events are delivered (default 0)
  --providers N                register N providers per vertical, orders spread over them
                               in turn (default 1; production has thousands)
  --log-level LEVEL            LOG_LEVEL of the API and workers (default warn)
  --cluster                    run on the cluster topology (npm run start:cluster's: Temporal
                               server on PostgreSQL, workers per queue, 2 APIs behind nginx),
                               started for the run, instead of the dev server
  --cluster-workers lanes|shared   the cluster's workers: per lane (default: two grocery, one
                               per other lane) or two processes polling every lane
  --temporal-address H:P --mongodb-uri URI   use running servers instead of embedded ones
                               (with --cluster: --mongodb-uri alone, the cluster's database)
  --keep-data                  keep the temp dir (server data, process logs)
  --dev-server-wal             the dev server's SQLite in write-ahead-log mode (faster
                               persistence, for both runs; not the default, see BENCHMARKS.md)
  --cpu-prof DIR               write the API's and workers' V8 CPU profiles to DIR/<process>/
                               (npm run bench:profile -- DIR summarises them)
  --runtime compiled|tsx       the serving processes as production runs them, compiled to
                               JavaScript under node (default), or TypeScript through tsx
  --out FILE                   the JSON report (default bench/results/<timestamp>.json)
`;

function number(value: string, what: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${what}: not a number: ${value}`);
  return parsed;
}

function rampOf(value: string): Arrival {
  const parts = value.split(':').map((part) => number(part, '--ramp'));
  if (parts.length !== 3) throw new Error('--ramp is start:step:everySeconds, e.g. 2:2:20');
  const [start, step, everySeconds] = parts as [number, number, number];
  return { kind: 'ramp', start, step, everySeconds };
}

export function parseCommandLine(argv: string[]): {
  options: Partial<LoadOptions>;
  /** How the serving processes run: compiled (as in production) or through tsx. */
  runtime: 'compiled' | 'tsx';
  out?: string;
  help: boolean;
} {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      mode: { type: 'string' },
      rate: { type: 'string' },
      ramp: { type: 'string' },
      'bare-rate': { type: 'string' },
      'bare-ramp': { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      mix: { type: 'string' },
      'confirm-delay': { type: 'string' },
      'event-delay': { type: 'string' },
      'order-timeout': { type: 'string' },
      window: { type: 'string' },
      'stable-factor': { type: 'string' },
      'max-p99': { type: 'string' },
      'history-sample': { type: 'string' },
      slowest: { type: 'string' },
      warmup: { type: 'string' },
      idle: { type: 'string' },
      token: { type: 'string' },
      'app-endpoints': { type: 'string' },
      providers: { type: 'string' },
      'log-level': { type: 'string' },
      'temporal-address': { type: 'string' },
      'mongodb-uri': { type: 'string' },
      cluster: { type: 'boolean' },
      'cluster-workers': { type: 'string' },
      'keep-data': { type: 'boolean' },
      'dev-server-wal': { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      runtime: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const options: Partial<LoadOptions> = {};
  if (values.mode !== undefined) {
    if (!['orderflow', 'bare', 'both'].includes(values.mode))
      throw new Error('--mode is orderflow, bare or both');
    options.mode = values.mode as Mode;
  }
  if (values.rate !== undefined && values.ramp !== undefined)
    throw new Error('--rate or --ramp, not both');
  if (values.rate !== undefined)
    options.arrival = { kind: 'fixed', rate: number(values.rate, '--rate') };
  if (values.ramp !== undefined) options.arrival = rampOf(values.ramp);
  if (values['bare-rate'] !== undefined)
    options.bareArrival = { kind: 'fixed', rate: number(values['bare-rate'], '--bare-rate') };
  if (values['bare-ramp'] !== undefined) options.bareArrival = rampOf(values['bare-ramp']);
  if (values.count !== undefined) options.count = number(values.count, '--count');
  if (values.duration !== undefined)
    options.durationSeconds = number(values.duration, '--duration');
  if (values.mix !== undefined) {
    const weights = values.mix.split(':').map((part) => number(part, '--mix'));
    if (weights.length !== 3)
      throw new Error('--mix is grocery:hotel:teleconsultation, e.g. 2:1:1');
    const [grocery, hotel, teleconsultation] = weights as [number, number, number];
    options.mix = { grocery, hotel, teleconsultation };
  }
  if (values['confirm-delay'] !== undefined)
    options.confirmDelayMs = number(values['confirm-delay'], '--confirm-delay');
  if (values['event-delay'] !== undefined)
    options.eventDelayMs = number(values['event-delay'], '--event-delay');
  if (values['order-timeout'] !== undefined)
    options.orderTimeoutMs = number(values['order-timeout'], '--order-timeout') * 1000;
  if (values.window !== undefined) options.windowSeconds = number(values.window, '--window');
  if (values['stable-factor'] !== undefined)
    options.stableFactor = number(values['stable-factor'], '--stable-factor');
  if (values['max-p99'] !== undefined)
    options.maxCheckoutP99Ms = number(values['max-p99'], '--max-p99');
  if (values['history-sample'] !== undefined)
    options.historySample = number(values['history-sample'], '--history-sample');
  if (values.slowest !== undefined) options.slowestSample = number(values.slowest, '--slowest');
  if (values.warmup !== undefined) options.warmupOrders = number(values.warmup, '--warmup');
  if (values.idle !== undefined) options.idleSeconds = number(values.idle, '--idle');
  if (values.token !== undefined) options.paymentToken = values.token;
  if (values['app-endpoints'] !== undefined)
    options.appEndpoints = number(values['app-endpoints'], '--app-endpoints');
  if (values.providers !== undefined)
    options.providersPerVertical = number(values.providers, '--providers');
  if (values['log-level'] !== undefined) options.logLevel = values['log-level'];
  if (values.cluster) {
    if (values['temporal-address'] !== undefined)
      throw new Error('--cluster starts its own Temporal server: no --temporal-address');
    const workers = values['cluster-workers'];
    if (workers !== undefined && workers !== 'lanes' && workers !== 'shared')
      throw new Error('--cluster-workers is lanes or shared');
    options.cluster = {
      ...(values['mongodb-uri'] === undefined ? {} : { mongodbUri: values['mongodb-uri'] }),
      ...(workers === undefined ? {} : { workers }),
    };
  } else if (values['cluster-workers'] !== undefined)
    throw new Error('--cluster-workers goes with --cluster');
  else if ((values['temporal-address'] === undefined) !== (values['mongodb-uri'] === undefined))
    throw new Error('--temporal-address and --mongodb-uri go together');
  else if (values['temporal-address'] !== undefined && values['mongodb-uri'] !== undefined)
    options.servers = {
      temporalAddress: values['temporal-address'],
      mongodbUri: values['mongodb-uri'],
    };
  if (values['keep-data']) options.keepData = true;
  if (values['dev-server-wal']) options.devServerWal = true;
  if (values['cpu-prof'] !== undefined) options.cpuProfileDir = values['cpu-prof'];
  const runtime = values.runtime ?? 'compiled';
  if (runtime !== 'compiled' && runtime !== 'tsx') throw new Error('--runtime is compiled or tsx');
  return { options, runtime, out: values.out, help: values.help === true };
}

async function main(): Promise<void> {
  const { options, runtime, out, help } = parseCommandLine(process.argv.slice(2));
  if (help) {
    process.stdout.write(HELP);
    return;
  }
  if (runtime === 'compiled') {
    process.stderr.write('compiling the services (tsc)...\n');
    options.compiledRoot = await compileServices(path.join(__dirname, '..', '.bench', 'dist'));
  }
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping: no new orders; the report follows\n');
    abort.abort();
  });
  const tty = process.stderr.isTTY;
  let lines = 0;
  const machineBusyBefore = await busyFraction(os.availableParallelism());
  const report = await runLoad({
    ...options,
    signal: abort.signal,
    progress: (line, periodic) => {
      // A terminal gets the status line rewritten every second; a log file one every 5 s.
      if (tty) process.stderr.write(periodic ? `\r${line}\x1b[K` : `\r${line}\x1b[K\n`);
      else if (!periodic || lines++ % 5 === 0) process.stderr.write(`${line}\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  report.machineBusyBefore = machineBusyBefore;
  const file =
    out ?? path.join(__dirname, 'results', `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const busy = report.machineBusyBefore ?? 0;
  if (busy > 0.2)
    process.stdout.write(
      `warning: the machine was ${Math.round(busy * 100)}% busy before the run: other work competed with it\n`,
    );
  const bareOn = { fresh: 'servers started afresh for it', orderflow: "orderflow's servers" };
  process.stdout.write(
    `${renderTable(report.runs, report.ratio)}\n` +
      (report.bareServers ? `bare ran on ${bareOn[report.bareServers]}\n` : '') +
      `\nreport: ${file}\n`,
  );
  if (options.keepData) {
    process.stdout.write(`data and logs: ${report.dataDir}\n`);
    if (report.bareDataDir) process.stdout.write(`bare's data and logs: ${report.bareDataDir}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `load generator failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  });
}
