// What differs between verticals, behind one small interface the order workflow drives.

import type {
  ConfirmationDecision,
  OrderFailure,
  OrderSnapshot,
  ProviderEventType,
} from '../../domain/order';
import type { orderSteps } from '../activities';
import type { Changes } from '../changes';
import type { OrderWorkflowInput } from '../messages';
import type { OrderChange, OrderRecord } from '../order-record';
import type { TimerPurpose } from '../timers';

/** What a vertical may do with the order: read it and note details, never set its status. */
export type OrderView = Pick<OrderRecord, 'current' | 'status' | 'hasEvent' | 'update'>;

export type ConfirmationOutcome =
  | { kind: 'accepted'; captureAmount: number; changes: Partial<OrderSnapshot> }
  | { kind: 'rejected'; reason: string };

/** How fulfilment ended. The order workflow settles the money for each. */
export type FulfilmentOutcome =
  | { kind: 'completed' }
  /** A cancellation request interrupted fulfilment; the policy's fee is kept. */
  | { kind: 'cancelled' }
  /** The provider's side failed (no courier, doctor no-show): everything is refunded. */
  | { kind: 'failed'; failure: OrderFailure };

export type WaitResult = 'done' | 'cancelled' | 'timeout';

export interface FulfilmentContext {
  input: OrderWorkflowInput;
  /** Which guarded workflow changes this run has (see workflows/changes.ts). */
  has: Changes;
  /** Hands the order to whoever carries it out (courier, voucher, video session). */
  dispatch: ReturnType<typeof orderSteps>['dispatch'];
  order: OrderView;
  /** The order is on its way (courier assigned, voucher issued, session open), with `change`. */
  dispatched(change: OrderChange): void;
  /** Writes the current snapshot to the read model. */
  publish(): Promise<void>;
  /**
   * Waits until `done()` holds, a cancellation is requested, or (given `until`) the timer for
   * `until.purpose` fires after `until.ms`.
   */
  waitFor(done: () => boolean, until?: { purpose: TimerPurpose; ms: number }): Promise<WaitResult>;
  /** Milliseconds from now (workflow time) until `epochMs`, never negative. */
  msUntil(epochMs: number): number;
}

export interface VerticalFlow {
  /** Throws an InvalidOrderRequest failure when the decision does not fit the order. */
  checkConfirmation(order: Readonly<OrderSnapshot>, decision: ConfirmationDecision): void;
  /** What the provider's accepted decision means for money and for the order. */
  evaluateConfirmation(
    order: Readonly<OrderSnapshot>,
    decision: ConfirmationDecision,
  ): ConfirmationOutcome;
  /**
   * The latest moment (epoch ms) a confirmation still makes sense, e.g. the slot's start;
   * the provider's deadline never runs past it.
   */
  confirmBefore?(order: Readonly<OrderSnapshot>, has: Changes): number;
  /** Runs from capture until the order is served, cancelled or failed. */
  fulfil(context: FulfilmentContext): Promise<FulfilmentOutcome>;
  /** The provider events this vertical takes (what each does: domain/order-status.ts). */
  events: readonly ProviderEventType[];
}

/** Checks shared by verticals whose providers accept the whole order or nothing. */
export function checkWholeOrderConfirmation(
  decision: ConfirmationDecision,
  what: string,
): string[] {
  const problems: string[] = [];
  if (decision.items) problems.push(`${what} are confirmed as a whole: items do not apply`);
  return problems;
}
