// What a run needs from the system it loads: play one order to its end, name its workflow,
// and say which processes do the work (their CPU time is measured).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Vertical } from '../../domain/order';
import type { ErrorLog, OrderRecord } from './record';

export type ProcessName = 'api' | 'worker' | 'temporal' | 'database';

export interface Driver {
  kind: 'orderflow' | 'bare';
  /** Plays the order from checkout to its end, filling `record`; never throws. */
  play(record: OrderRecord, errors: ErrorLog, signal: AbortSignal): Promise<void>;
  workflowIdOf(record: OrderRecord): string | undefined;
  /** The processes serving this run (undefined: not measured). */
  pids: Partial<Record<ProcessName, number>>;
  /** The verticals whose histories are sampled (bare: its one shape). */
  verticals: readonly Vertical[];
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
