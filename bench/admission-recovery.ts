// How fast checkout's admission control recovers after a database outage:
// `npm run bench:admission -- [options]` (`--help` lists them). It starts orderflow as the fault
// suite does (ops/faults/stack.ts: its servers, the worker and the API as processes), places
// grocery orders at a steady rate from well-behaved apps (ops/faults/clients.ts, each retrying
// with its key exactly when Retry-After says), stops the database for a while, starts it again,
// sends a storm of orders as it returns (customers who waited), keeps the steady load a while
// longer, and prints: the admission limit over time (from /metrics), how long after the
// database's return the limit is back and checkouts stop being turned away, the tries and the
// time each key needed, and how many tries were turned away (`503 server_busy`). Nothing here
// asserts: it measures.

import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  checkoutBody,
  createCheckoutClient,
  type CheckoutAttempt,
  type CheckoutRecord,
} from '../ops/faults/clients';
import { createAdminClient } from '../dev/admin-client';
import { Findings } from '../ops/faults/findings';
import type { PlannedOrder } from '../ops/faults/plan';
import { prepareSystem } from '../ops/faults/stack';
import { percentile } from './lib/stats';

export interface RecoveryOptions {
  /** New orders per second, before, during and after the outage. */
  rate: number;
  warmupSeconds: number;
  outageSeconds: number;
  /** Orders placed at once as the database returns. */
  storm: number;
  afterSeconds: number;
  /** CHECKOUT_WAIT_SECONDS of the system (the fault suite's 5 by default). */
  waitSeconds: number;
  keepData: boolean;
  log: (line: string) => void;
}

interface LimitSample {
  /** Ms since the load started. */
  atMs: number;
  limit: number;
  inFlight: number;
}

interface SecondFigures {
  /** Seconds from the database's return. */
  second: number;
  /** The lowest limit and the most checkouts in flight sampled in it. */
  limit: number | null;
  inFlight: number | null;
  /** Tries sent in it, and of those turned away (503 server_busy). */
  tries: number;
  turnedAway: number;
  /** 201s received in it, and the median and slowest of their latencies (ms). */
  placed: number;
  placedLatencyMedianMs: number | null;
  placedLatencyMaxMs: number | null;
}

interface KeyFigures {
  keys: number;
  accepted: number;
  triesMedian?: number;
  triesMax?: number;
  /** From the first try to the 201, for keys that got one. */
  secondsToAcceptedMedian?: number;
  secondsToAcceptedMax?: number;
  /** When the last of them got its 201, in seconds from the database's return. */
  lastAcceptedAfterReturn?: number;
  turnedAway: number;
}

export interface RecoveryReport {
  options: Omit<RecoveryOptions, 'log'>;
  /** Ms since the load started. */
  outage: { stoppedAtMs: number; stopMs: number; returnedAtMs: number; startMs: number };
  limit: {
    beforeOutage: number;
    lowest: number;
    /** From the database's return until the limit is back to 90 % of `beforeOutage`. */
    backAfterMs: number | null;
  };
  /** Second by second from 5 s before the outage (seconds from the database's return). */
  seconds: SecondFigures[];
  /** From the database's return until the last try turned away (none after it). */
  lastTurnedAwayAfterMs: number | null;
  turnedAway: { beforeOutage: number; duringOutage: number; afterReturn: number };
  /** Keys first tried while the database was away, the storm's keys, and the steady keys after. */
  keys: { duringOutage: KeyFigures; storm: KeyFigures; afterReturn: KeyFigures };
  answers: Record<string, number>;
  dataDir?: string;
}

const APP_CLIENT = 'admission-app';

function settingsOf({ log: _log, ...settings }: RecoveryOptions): RecoveryReport['options'] {
  return settings;
}
const round1 = (n: number) => Math.round(n * 10) / 10;

function plannedOrder(index: number, atMs: number): PlannedOrder {
  return {
    index,
    key: `admission-${index}`,
    customerId: `admission-${index}`,
    atMs,
    vertical: 'grocery',
    scenario: 'happy',
    token: 'tok_ok',
    doubleSubmit: false,
    providerDelayMs: 0,
    slotInMs: 0,
    variant: index,
  };
}

/** A provider that takes every webhook and never answers: orders wait for it, quietly. */
async function startSilentProvider() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function registerStore(apiUrl: string, adminToken: string, webhookUrl: string) {
  const { providerId } = await createAdminClient(apiUrl, adminToken).registerOrThrow({
    providerId: 'admission-store',
    vertical: 'grocery',
    name: 'Admission store',
    webhookUrl,
    // Longer than the run: no order expires (and voids) while it is measured.
    confirmationTimeoutSeconds: 3_600,
  });
  return providerId;
}

/** Samples the admission gauges of the API's /metrics until `signal` aborts. */
async function sampleLimit(
  apiUrl: string,
  clock: () => number,
  samples: LimitSample[],
  signal: AbortSignal,
) {
  const gauge = (text: string, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  while (!signal.aborted) {
    const atMs = clock();
    try {
      const text = await (
        await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(1_000) })
      ).text();
      samples.push({
        atMs,
        limit: gauge(text, 'orderflow_checkout_admission_limit'),
        inFlight: gauge(text, 'orderflow_checkouts_in_flight'),
      });
    } catch {
      // A missed sample (the API busy for a second) is only a gap in the series.
    }
    await sleep(250, undefined, { signal }).catch(() => undefined);
  }
}

const isTurnedAway = (attempt: { status: unknown; code?: string }) =>
  attempt.status === 503 && attempt.code === 'server_busy';

function keyFigures(records: CheckoutRecord[], returnedAtMs: number): KeyFigures {
  const tries = records.map((r) => r.attempts.length).sort((a, b) => a - b);
  const acceptedAt = records.flatMap((record) =>
    record.attempts.flatMap((a) => (a.status === 201 ? [a.startedAtMs + a.latencyMs] : [])),
  );
  const toAccepted = records
    .flatMap((record) => {
      const accepted = record.attempts.find((a) => a.status === 201);
      const first = record.attempts[0];
      return accepted && first
        ? [(accepted.startedAtMs + accepted.latencyMs - first.startedAtMs) / 1000]
        : [];
    })
    .sort((a, b) => a - b);
  return {
    keys: records.length,
    accepted: toAccepted.length,
    triesMedian: percentile(tries, 50),
    triesMax: tries.at(-1),
    secondsToAcceptedMedian: round1(percentile(toAccepted, 50) ?? Number.NaN),
    secondsToAcceptedMax: round1(toAccepted.at(-1) ?? Number.NaN),
    lastAcceptedAfterReturn: round1((Math.max(...acceptedAt) - returnedAtMs) / 1000),
    turnedAway: records.flatMap((r) => r.attempts).filter(isTurnedAway).length,
  };
}

function limitFigures(samples: LimitSample[], stoppedAtMs: number, returnedAtMs: number) {
  const before = samples
    .filter((s) => s.atMs >= stoppedAtMs - 5_000 && s.atMs < stoppedAtMs)
    .map((s) => s.limit)
    .sort((a, b) => a - b);
  const beforeOutage = percentile(before, 50) ?? Number.NaN;
  const later = samples.filter((s) => s.atMs >= stoppedAtMs);
  const back = samples.find((s) => s.atMs >= returnedAtMs && s.limit >= 0.9 * beforeOutage);
  return {
    beforeOutage: round1(beforeOutage),
    lowest: round1(Math.min(...later.map((s) => s.limit))),
    backAfterMs: back ? Math.max(0, back.atMs - returnedAtMs) : null,
  };
}

/** The run second by second (from 5 s before the outage), relative to the database's return. */
function secondFigures(
  samples: LimitSample[],
  attempts: CheckoutAttempt[],
  fromMs: number,
  returnedAtMs: number,
): SecondFigures[] {
  const secondOf = (atMs: number) => Math.floor((atMs - returnedAtMs) / 1000);
  const last = secondOf(Math.max(...attempts.map((a) => a.startedAtMs + a.latencyMs)));
  const seconds = new Map<number, SecondFigures & { latencies: number[] }>();
  for (let second = secondOf(fromMs); second <= last; second++)
    seconds.set(second, {
      second,
      limit: null,
      inFlight: null,
      tries: 0,
      turnedAway: 0,
      placed: 0,
      placedLatencyMedianMs: null,
      placedLatencyMaxMs: null,
      latencies: [],
    });
  for (const sample of samples) {
    const figures = seconds.get(secondOf(sample.atMs));
    if (!figures) continue;
    figures.limit = round1(Math.min(figures.limit ?? Infinity, sample.limit));
    figures.inFlight = Math.max(figures.inFlight ?? 0, sample.inFlight);
  }
  for (const attempt of attempts) {
    const sent = seconds.get(secondOf(attempt.startedAtMs));
    if (sent) {
      sent.tries += 1;
      if (isTurnedAway(attempt)) sent.turnedAway += 1;
    }
    const answered = seconds.get(secondOf(attempt.startedAtMs + attempt.latencyMs));
    if (answered && attempt.status === 201) {
      answered.placed += 1;
      answered.latencies.push(attempt.latencyMs);
    }
  }
  return [...seconds.values()].map(({ latencies, ...figures }) => {
    const sorted = latencies.sort((a, b) => a - b);
    return {
      ...figures,
      placedLatencyMedianMs: percentile(sorted, 50) ?? null,
      placedLatencyMaxMs: sorted.at(-1) ?? null,
    };
  });
}

export async function runAdmissionRecovery(options: RecoveryOptions): Promise<RecoveryReport> {
  const { log } = options;
  const runStarted = Date.now();
  let loadStarted = runStarted;
  const clock = () => Date.now() - loadStarted;
  const findings = new Findings(clock);
  const say = (line: string) =>
    log(`[admission +${((Date.now() - runStarted) / 1000).toFixed(1)}s] ${line}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-admission-'));
  say(`data and logs in ${dataDir}`);
  const system = await prepareSystem({
    dataDir,
    appClient: APP_CLIENT,
    taskQueue: 'orders-admission',
    checkoutWaitSeconds: options.waitSeconds,
    clock,
    say,
  });
  const provider = await startSilentProvider();
  const sampling = new AbortController();
  try {
    await system.start();
    const providerId = await registerStore(system.apiUrl, system.tokens.admin, provider.url);
    const clients = createCheckoutClient({
      apiUrl: system.apiUrl,
      appToken: system.tokens.app,
      waitMs: options.waitSeconds * 1000,
      marginMs: 3_000,
      findings,
      maxAttempts: 1_000,
      maxRetryMs: 120_000,
      // An app that does as it is told: again after Retry-After when given, else backoff.
      retryDelayMs: (n, retryAfterMs) => retryAfterMs ?? Math.min(5_000, 400 * 2 ** n),
    });
    say('worker and API up; placing orders');
    loadStarted = Date.now();
    const samples: LimitSample[] = [];
    const sampler = sampleLimit(system.apiUrl, clock, samples, sampling.signal);
    const placing: Promise<CheckoutRecord>[] = [];
    let index = 0;
    const place = () => {
      const order = plannedOrder(index++, clock());
      placing.push(clients.place(order, checkoutBody(order, providerId, Date.now())));
    };
    let steady = true;
    const steadyLoad = (async () => {
      for (let next = 0; steady; next += 1000 / options.rate) {
        await sleep(Math.max(0, next - clock()));
        if (steady) place();
      }
    })();

    await sleep(options.warmupSeconds * 1000);
    const stoppedAtMs = clock();
    say('stopping the database');
    await system.servers.database.stop();
    const stopMs = clock() - stoppedAtMs;
    await sleep(options.outageSeconds * 1000);
    const starting = clock();
    await system.servers.database.start();
    const returnedAtMs = clock();
    say(`database back (stopped for ${((returnedAtMs - stoppedAtMs) / 1000).toFixed(1)} s)`);
    const stormFrom = index;
    for (let i = 0; i < options.storm; i++) place();
    const stormTo = index;
    await sleep(options.afterSeconds * 1000);
    steady = false;
    await steadyLoad;
    say(`waiting for the last of ${index} orders`);
    const records = await Promise.all(placing);
    sampling.abort();
    await sampler;

    const firstTryAt = (r: CheckoutRecord) => r.attempts[0]?.startedAtMs ?? r.order.atMs;
    const attempts = records.flatMap((r) => r.attempts);
    const turnedAway = attempts.filter(isTurnedAway);
    const lastTurnedAway = turnedAway
      .map((a) => a.startedAtMs + a.latencyMs)
      .filter((at) => at >= returnedAtMs)
      .sort((a, b) => a - b)
      .at(-1);
    const answers: Record<string, number> = {};
    for (const a of attempts) {
      const label = `${a.status}${a.code ? ` ${a.code}` : ''}`;
      answers[label] = (answers[label] ?? 0) + 1;
    }
    const inStorm = (r: CheckoutRecord) => r.order.index >= stormFrom && r.order.index < stormTo;
    const report: RecoveryReport = {
      options: settingsOf(options),
      outage: { stoppedAtMs, stopMs, returnedAtMs, startMs: returnedAtMs - starting },
      limit: limitFigures(samples, stoppedAtMs, returnedAtMs),
      seconds: secondFigures(samples, attempts, stoppedAtMs - 5_000, returnedAtMs),
      lastTurnedAwayAfterMs: lastTurnedAway === undefined ? null : lastTurnedAway - returnedAtMs,
      turnedAway: {
        beforeOutage: turnedAway.filter((a) => a.startedAtMs < stoppedAtMs).length,
        duringOutage: turnedAway.filter(
          (a) => a.startedAtMs >= stoppedAtMs && a.startedAtMs < returnedAtMs,
        ).length,
        afterReturn: turnedAway.filter((a) => a.startedAtMs >= returnedAtMs).length,
      },
      keys: {
        duringOutage: keyFigures(
          records.filter((r) => firstTryAt(r) >= stoppedAtMs && firstTryAt(r) < returnedAtMs),
          returnedAtMs,
        ),
        storm: keyFigures(records.filter(inStorm), returnedAtMs),
        afterReturn: keyFigures(
          records.filter((r) => !inStorm(r) && firstTryAt(r) >= returnedAtMs),
          returnedAtMs,
        ),
      },
      answers,
    };
    if (options.keepData) report.dataDir = dataDir;
    return report;
  } finally {
    sampling.abort();
    await provider.close();
    await system.stop();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatRecovery(report: RecoveryReport): string {
  const { limit, outage, keys, turnedAway } = report;
  const seconds = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
  const keyLine = (name: string, k: KeyFigures) =>
    `  ${name.padEnd(22)} ${String(k.keys).padStart(4)} keys, ${k.accepted} placed; tries median ${k.triesMedian ?? '-'}, max ${k.triesMax ?? '-'}; ` +
    `first try to 201 median ${k.secondsToAcceptedMedian ?? '-'} s, max ${k.secondsToAcceptedMax ?? '-'} s, the last +${k.lastAcceptedAfterReturn ?? '-'} s after the return; ${k.turnedAway} tries turned away`;
  const cell = (value: number | null, width: number) => String(value ?? '-').padStart(width);
  const table = report.seconds
    .filter((s) => s.second >= -3 && s.second <= 40)
    .map(
      (s) =>
        `  ${cell(s.second, 6)} ${cell(s.limit, 6)} ${cell(s.inFlight, 10)} ${cell(s.tries, 6)} ${cell(s.turnedAway, 12)} ${cell(s.placed, 7)} ${cell(s.placedLatencyMedianMs, 11)} ${cell(s.placedLatencyMaxMs, 8)}`,
    );
  return [
    `database stopped at +${(outage.stoppedAtMs / 1000).toFixed(1)} s (stop took ${outage.stopMs} ms), back at +${(outage.returnedAtMs / 1000).toFixed(1)} s (start took ${outage.startMs} ms)`,
    `admission limit: ${limit.beforeOutage} before the outage, lowest ${limit.lowest}; back to 90 % of it ${seconds(limit.backAfterMs)} after the database returned`,
    `last checkout turned away: ${seconds(report.lastTurnedAwayAfterMs)} after the database returned`,
    `tries turned away (503 server_busy): ${turnedAway.beforeOutage} before the outage, ${turnedAway.duringOutage} during it, ${turnedAway.afterReturn} after the return`,
    'keys:',
    keyLine('first tried in outage', keys.duringOutage),
    keyLine(`storm at return`, keys.storm),
    keyLine('steady, after return', keys.afterReturn),
    `answers: ${Object.entries(report.answers)
      .map(([label, n]) => `${n} × ${label}`)
      .join(', ')}`,
    "second by second (from the database's return): lowest limit, most in flight, tries sent, of them turned away, 201s received, their median and slowest latency (ms)",
    '  second  limit  in flight  tries  turned away  placed  p50 placed  slowest',
    ...table,
    '',
  ].join('\n');
}

const USAGE =
  'usage: npm run bench:admission -- [--rate 2] [--warmup 20] [--outage 15] [--storm 40] [--after 30] [--wait 5] [--out report.json] [--keep-data]\n';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '20' },
      outage: { type: 'string', default: '15' },
      storm: { type: 'string', default: '40' },
      after: { type: 'string', default: '30' },
      wait: { type: 'string', default: '5' },
      out: { type: 'string' },
      'keep-data': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const number = (name: string, value: string, min: number) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} must be ≥ ${min}`);
    return parsed;
  };
  const report = await runAdmissionRecovery({
    rate: number('rate', values.rate, 0.1),
    warmupSeconds: number('warmup', values.warmup, 5),
    outageSeconds: number('outage', values.outage, 0),
    storm: Math.floor(number('storm', values.storm, 0)),
    afterSeconds: number('after', values.after, 1),
    waitSeconds: number('wait', values.wait, 1),
    keepData: values['keep-data'],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(formatRecovery(report));
  const out = values.out ?? path.join(os.tmpdir(), 'orderflow-admission-recovery.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`report written to ${out}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
      process.exit(2);
    },
  );
}
