// What a run needs from the system it loads: play one order to its end, name its workflow,
// and say which processes do the work (their CPU time is measured).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Vertical } from '../../domain/order';
import type { WorkerLane } from '../../infra/task-queues';
import type { ErrorLog, OrderRecord } from './record';

/**
 * The serving processes, by role. The dev server's run has one API, one worker and the dev
 * server (SQLite inside); the cluster's has APIs behind nginx, a group of workers per lane
 * (`worker-grocery`: both grocery workers), and the Temporal server apart from its PostgreSQL.
 */
export type ProcessName =
  | 'api'
  | 'nginx'
  | 'worker'
  | `worker-${WorkerLane}`
  | 'temporal'
  | 'temporal-postgres'
  | 'database';

/** One process, or a group of them measured together (their CPU and memory summed). */
export type Pids = Partial<Record<ProcessName, number | number[]>>;

export interface Driver {
  kind: 'orderflow' | 'bare';
  /** Plays the order from checkout to its end, filling `record`; never throws. */
  play(record: OrderRecord, errors: ErrorLog, signal: AbortSignal): Promise<void>;
  workflowIdOf(record: OrderRecord): string | undefined;
  /** The processes serving this run (undefined: not measured). */
  pids: Pids;
  /** The verticals whose histories are sampled (bare: its one shape). */
  verticals: readonly Vertical[];
  /** App events the app's endpoints received so far, when the run registered any. */
  appEventsReceived?(): number;
  /** The workers' /metrics with the SDK's counters (bench/lib/worker-tasks.ts), where served. */
  workerMetricsUrls?: readonly string[];
  stop(): Promise<void>;
}

/** orderflow's API and workers as a run finds them: where to call, its tokens, its processes. */
export interface OrderflowProcesses {
  /** The API (the cluster's: nginx in front of its API processes). */
  apiUrl: string;
  appToken: string;
  adminToken: string;
  pids: Pids;
  /** The workers' /metrics, where they serve them (the cluster's). */
  workerMetricsUrls?: readonly string[];
  /** Stops the API and worker processes (they drain). */
  stop(): Promise<void>;
}

/** Sleeps `ms` on the order's behalf (counted as deliberate waiting), unless aborted. */
export async function wait(record: OrderRecord, ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return;
  await sleep(ms, undefined, { signal });
  record.sleptMs += ms;
}

/** The order did not end within the run's order timeout. */
export class OrderTimeout extends Error {}

export function errorName(error: unknown): string {
  if (error instanceof OrderTimeout) return 'order_timeout';
  if (error instanceof Error && error.name === 'AbortError') return 'aborted';
  return error instanceof Error ? error.name : 'unknown';
}
