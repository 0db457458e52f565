// What the generator learns about each order as it plays it, and the errors it met by kind.

import type { Vertical } from '../../domain/order';
import { increment } from './stats';

export interface OrderRecord {
  seq: number;
  vertical: Vertical;
  window: number;
  /** Planned start, ms after the run's start. */
  plannedAt: number;
  /** Actual start (performance.now()). */
  startedAt: number;
  orderId?: string;
  /** The accepted checkout call's latency (request start to response). */
  checkoutMs?: number;
  /** When the accepted checkout call was sent and answered (epoch ms: server times compare). */
  checkoutAt?: { sentMs: number; answeredMs: number };
  /** The accepted checkout's Server-Timing metrics (orderflow: app, validation, idempotency, payment). */
  checkoutSteps?: Record<string, number>;
  /** From the checkout's answer until the provider's webhook arrived (negative: before it). */
  webhookAfterCheckoutMs?: number;
  confirmationMs?: number;
  eventMs: number[];
  /** Time the generator itself waited on purpose (provider delays). */
  sleptMs: number;
  completedAt?: number;
  /** `completed`, or why not: `order_<status>`, `order_timeout`, `checkout_<status>`... */
  outcome?: string;
  errors: string[];
}

export function newRecord(
  seq: number,
  vertical: Vertical,
  window: number,
  plannedAt: number,
  startedAt: number,
): OrderRecord {
  return { seq, vertical, window, plannedAt, startedAt, eventMs: [], sleptMs: 0, errors: [] };
}

/** Errors by kind across a run; each is also kept on its order so windows can be judged. */
export class ErrorLog {
  readonly byKind: Record<string, number> = {};
  total = 0;

  add(record: OrderRecord | undefined, kind: string): void {
    this.total += 1;
    increment(this.byKind, kind);
    record?.errors.push(kind);
  }
}

/** The end-to-end time minus what the generator waited on purpose. */
export function overheadMs(record: OrderRecord): number | undefined {
  if (record.completedAt === undefined) return undefined;
  return record.completedAt - record.startedAt - record.sleptMs;
}
