// What differs between verticals, behind one small interface the order workflow drives.

import type {
  ConfirmationDecision,
  OrderSnapshot,
  OrderStatus,
  ProviderEventType,
} from '../../domain/order';
import type { OrderRecord } from '../order-record';

export type ConfirmationOutcome =
  | { kind: 'accepted'; captureAmount: number; changes: Partial<OrderSnapshot> }
  | { kind: 'rejected'; reason: string };

export interface FulfilmentContext {
  order: OrderRecord;
  /** Writes the current snapshot to the read model. */
  publish(): Promise<void>;
}

export interface VerticalFlow {
  /** Throws an InvalidOrderRequest failure when the decision does not fit the order. */
  checkConfirmation(order: Readonly<OrderSnapshot>, decision: ConfirmationDecision): void;
  /** What the provider's accepted decision means for money and for the order. */
  evaluateConfirmation(
    order: Readonly<OrderSnapshot>,
    decision: ConfirmationDecision,
  ): ConfirmationOutcome;
  /** Starts dispatch once the payment is captured; the order is `dispatching` when it returns. */
  dispatch(context: FulfilmentContext): Promise<void>;
  /** The provider events this vertical accepts: the statuses each may come in, and the status it leads to. */
  eventTransitions: Partial<
    Record<ProviderEventType, { from: readonly OrderStatus[]; to: OrderStatus }>
  >;
}
