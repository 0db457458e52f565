// What the load generator does and when: its options, the arrival schedule (a fixed rate, or
// a ramp in steps) cut into windows, and which vertical each order is.

import type { Vertical } from '../../domain/order';

export type Arrival =
  | { kind: 'fixed'; rate: number }
  /** `start` orders/s, `step` more every `everySeconds`. */
  | { kind: 'ramp'; start: number; step: number; everySeconds: number };

export type Mode = 'orderflow' | 'bare' | 'both';

export interface LoadOptions {
  mode: Mode;
  arrival: Arrival;
  /** The bare run's schedule when it should differ (its ceiling is higher); else `arrival`. */
  bareArrival?: Arrival;
  /** Stop placing orders after this many (per run)... */
  count?: number;
  /** ...or after this many seconds (per run), whichever comes first. */
  durationSeconds?: number;
  /** Relative weights of the verticals. */
  mix: Record<Vertical, number>;
  /** How long a provider takes to confirm after the webhook (or, bare, after checkout). */
  confirmDelayMs: number;
  /** How long before each provider event (after the previous answer). */
  eventDelayMs: number;
  /** An order not completed this long after its checkout began counts as timed out. */
  orderTimeoutMs: number;
  /** Fixed rate: windows of this many seconds are judged one by one (ramp: the steps). */
  windowSeconds: number;
  /** A window's p99 may grow to factor × the first window's (+ a margin) and still be stable. */
  stableFactor: number;
  /** ...but a window whose checkout p99 is above this is never held. */
  maxCheckoutP99Ms: number;
  /**
   * Orders played at a low rate before each run and left out of its figures, so the first
   * window (the stability baseline) is not the processes' warm-up (JIT, caches, connections).
   */
  warmupOrders: number;
  /** Histories read per vertical to count events per order. */
  historySample: number;
  /** The slowest checkouts whose histories are read too, for where the tail's time went. */
  slowestSample: number;
  /**
   * Seconds of no orders, after the warm-up, over which each process's idle CPU is measured:
   * the run then also reports CPU per order net of it (bench/lib/idle-cpu.ts). 0: not measured.
   */
  idleSeconds?: number;
  /** The payment token of every order (`tok_ok`, or `tok_flaky` / `tok_slow`). */
  paymentToken: string;
  /**
   * App endpoints registered before the run (orderflow only), each a path of the generator's
   * receiver answering 204: every status change of every order is then delivered to each, as
   * in production. None by default.
   */
  appEndpoints?: number;
  /**
   * Providers registered per vertical (orderflow only), orders spread over them in turn: with
   * many, each process reads a provider afresh more often, as with production's thousands.
   * One by default.
   */
  providersPerVertical?: number;
  /** LOG_LEVEL of the API and worker processes. */
  logLevel: string;
  /** Run against these servers instead of starting embedded ones. */
  servers?: { temporalAddress: string; mongodbUri: string };
  /**
   * Run on the cluster topology (dev/cluster/topology.ts) started for the run instead of the
   * dev server: its APIs behind nginx, its workers per queue, the Temporal server on PostgreSQL;
   * FerretDB on PostgreSQL, or the database at `mongodbUri` (base URI, no database name).
   */
  cluster?: {
    mongodbUri?: string;
    /** Its workers one group per lane (the default), or two processes polling every lane. */
    workers?: 'lanes' | 'shared';
  };
  /** A prebuilt workflow bundle for the order worker (WORKFLOW_BUNDLE_PATH). */
  workflowBundlePath?: string;
  /** Keep the temp data dir (servers' data, process logs). */
  keepData?: boolean;
  /** The dev server's SQLite in write-ahead-log mode (dev/embedded.ts, WAL_SQLITE_PRAGMAS). */
  devServerWal?: boolean;
  /** Write the API's and workers' V8 CPU profiles here, one folder per process. */
  cpuProfileDir?: string;
  /** The serving processes run compiled JavaScript from here (dev/service-entry.ts); else tsx. */
  compiledRoot?: string;
  /** Aborts the run (Ctrl-C): no new orders, the others are given up, the report is written. */
  signal?: AbortSignal;
  /** Progress: a status line about once a second (`periodic`), and each step as it begins. */
  progress?: (line: string, periodic: boolean) => void;
}

export const DEFAULT_OPTIONS: LoadOptions = {
  mode: 'both',
  arrival: { kind: 'fixed', rate: 5 },
  mix: { grocery: 1, hotel: 1, teleconsultation: 1 },
  confirmDelayMs: 500,
  eventDelayMs: 500,
  orderTimeoutMs: 60_000,
  windowSeconds: 10,
  stableFactor: 2,
  maxCheckoutP99Ms: 3000,
  warmupOrders: 10,
  historySample: 5,
  slowestSample: 10,
  paymentToken: 'tok_ok',
  logLevel: 'warn',
};

/** Runs stop placing orders after this long when neither a count nor a duration is given. */
export const DEFAULT_DURATION_SECONDS = 30;
/** A ramp stops climbing at its first unstable step, or after this long. */
export const DEFAULT_RAMP_SECONDS = 300;

export interface PlannedOrder {
  seq: number;
  /** Milliseconds after the run's start. */
  at: number;
  vertical: Vertical;
  window: number;
}

export interface Window {
  index: number;
  /** Target orders/s. */
  rate: number;
  startMs: number;
  endMs: number;
}

export function rateAt(arrival: Arrival, window: number): number {
  return arrival.kind === 'fixed' ? arrival.rate : arrival.start + window * arrival.step;
}

function windowMs(arrival: Arrival, windowSeconds: number): number {
  return (arrival.kind === 'ramp' ? arrival.everySeconds : windowSeconds) * 1000;
}

/** The windows a run of `durationMs` has (the last one may be short). */
export function windowsOf(arrival: Arrival, windowSeconds: number, durationMs: number): Window[] {
  const length = windowMs(arrival, windowSeconds);
  const windows: Window[] = [];
  for (let start = 0, index = 0; start < durationMs; start += length, index++)
    windows.push({
      index,
      rate: rateAt(arrival, index),
      startMs: start,
      endMs: Math.min(start + length, durationMs),
    });
  return windows;
}

/** Smooth weighted round robin: every prefix of the sequence is as close to the mix as can be. */
export function verticalPicker(mix: Record<Vertical, number>): () => Vertical {
  const entries = (Object.entries(mix) as [Vertical, number][]).filter(([, w]) => w > 0);
  if (entries.length === 0) throw new Error('the mix has no vertical with a positive weight');
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  const credit = new Map<Vertical, number>(entries.map(([v]) => [v, 0]));
  return () => {
    let best: Vertical = entries[0]![0];
    for (const [vertical, weight] of entries) {
      credit.set(vertical, credit.get(vertical)! + weight);
      if (credit.get(vertical)! > credit.get(best)!) best = vertical;
    }
    credit.set(best, credit.get(best)! - total);
    return best;
  };
}

/** Arrival times in order, until `count` orders or `durationMs`, whichever comes first. */
export function* arrivals(
  arrival: Arrival,
  windowSeconds: number,
  limits: { count: number; durationMs: number },
  pick: () => Vertical,
): Generator<PlannedOrder> {
  const length = windowMs(arrival, windowSeconds);
  let seq = 0;
  if (arrival.kind === 'fixed') {
    for (let i = 0; seq < limits.count; i++) {
      const at = (i * 1000) / arrival.rate;
      if (at >= limits.durationMs) return;
      yield { seq: seq++, at, vertical: pick(), window: Math.floor(at / length) };
    }
    return;
  }
  for (let window = 0; ; window++) {
    const rate = rateAt(arrival, window);
    const start = window * length;
    if (start >= limits.durationMs) return;
    if (rate <= 0) continue;
    for (let at = start; at < start + length; at += 1000 / rate) {
      if (seq >= limits.count || at >= limits.durationMs) return;
      yield { seq: seq++, at, vertical: pick(), window };
    }
  }
}
