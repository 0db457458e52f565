// The messages the order workflow answers, shared by the workflow and its callers (API,
// tests). Defining them once keeps names and payload types from drifting apart.

import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type {
  CancellationRequest,
  ConfirmationDecision,
  OrderRequest,
  OrderSnapshot,
  ProviderEvent,
  RefundDecision,
  RefundRequest,
  StaffActor,
} from '../domain/order';

export interface OrderWorkflowInput {
  orderId: string;
  request: OrderRequest;
  /** The provider's deadline to answer, fixed when the order is placed. */
  confirmationTimeoutSeconds: number;
  /** The app (API client name) that placed the order; only it sees the order. */
  placedBy?: string;
  /** The checkout call that started the order (`<X-Request-Id>#<nonce>`): its answer is no replay. */
  checkoutCallId?: string;
  /**
   * The latest time (ISO) to start authorising: checkout has long stopped waiting for an
   * answer by then, so a workflow that only starts later (workers were down) charges nothing.
   */
  payBy?: string;
  /**
   * Until when (ISO) checkout surely still waits for the payment decision (half its wait, for
   * the clocks' sake): the authorisation does not ask whether checkout answered before then.
   * Absent on orders placed before it, and from callers that do not wait.
   */
  checkoutWaitsUntil?: string;
  /** Teleconsultation: the clinic's grace before a late doctor counts as a no-show. */
  doctorNoShowGraceSeconds?: number;
  /**
   * The provider's fallbacks, in turn, when it rejects the order whole or misses its deadline
   * (absent on orders placed before re-routing).
   */
  fallbackProviderIds?: string[];
  /** How long after it closes the order still takes support refunds (absent: none). */
  refundWindowSeconds?: number;
  /** Grocery: how long after the delivery window an undelivered order needs attention. */
  deliveryOverdueGraceSeconds?: number;
  /** How long a compensation (void, refund) may keep failing before support is asked to look. */
  settlementAttentionSeconds?: number;
}

export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;

/**
 * The order's after-sales workflow: support's refunds and the provider's late facts once the
 * order's own workflow has ended. Started by the request that needs it (update-with-start);
 * it answers the same Updates as the order's workflow did for them.
 */
export interface AfterSalesInput {
  /** The order as the caller last read it; the workflow catches up if it is not the latest. */
  order: OrderSnapshot;
  /** How long the run stays after its last request, so a burst of them shares one run. */
  idleSeconds: number;
}

export const afterSalesWorkflowId = (orderId: string): string => `refunds-${orderId}`;

/** The order as the workflow holds it right now. */
export const getOrderQuery = defineQuery<OrderSnapshot>('getOrder');

/**
 * Sent with the workflow start (update-with-start): completes once the payment has been
 * authorised or declined, so checkout answers in one call without polling.
 */
export const awaitPaymentDecisionUpdate = defineUpdate<OrderSnapshot, [], 'awaitPaymentDecision'>(
  'awaitPaymentDecision',
);

/** The provider accepts or rejects the order; rejected by the validator when too late. */
export const confirmOrderUpdate = defineUpdate<
  OrderSnapshot,
  [ConfirmationDecision],
  'confirmOrder'
>('confirmOrder');

/** Dispatch progress reported by the provider (picked up, delivered, ...). */
export const reportProviderEventUpdate = defineUpdate<
  OrderSnapshot,
  [ProviderEvent],
  'reportProviderEvent'
>('reportProviderEvent');

/**
 * The customer (or support) cancels. The validator applies the vertical's cancellation
 * policy; the answer is the order once the money is settled (fee kept, rest refunded or
 * released).
 */
export const cancelOrderUpdate = defineUpdate<OrderSnapshot, [CancellationRequest], 'cancelOrder'>(
  'cancelOrder',
);

/**
 * Support staff refund part or all of what was captured. Above the approval threshold the
 * refund waits for an admin (`decideRefund`); the answer is the order once the refund is
 * paid or held for approval. Repeating a request (same refundId and body) is harmless.
 */
export const requestRefundUpdate = defineUpdate<OrderSnapshot, [RefundRequest], 'requestRefund'>(
  'requestRefund',
);

/** An admin approves or declines a refund held for approval. */
export const decideRefundUpdate = defineUpdate<OrderSnapshot, [RefundDecision], 'decideRefund'>(
  'decideRefund',
);

export interface NotificationRedelivery {
  event: 'order.created' | 'order.cancelled';
  delivered: boolean;
  /** The provider's HTTP status, when it answered. */
  status?: number;
  /** Why nothing was sent or what went wrong. */
  problem?: string;
}

/** Support sends the provider's last notification again (same event id: providers dedupe). */
export const redeliverNotificationUpdate = defineUpdate<
  NotificationRedelivery,
  [{ requestedBy: StaffActor }],
  'redeliverNotification'
>('redeliverNotification');

/** The name of every Update the order workflow takes (support's timeline words each one). */
export type OrderUpdateName =
  | typeof awaitPaymentDecisionUpdate.name
  | typeof confirmOrderUpdate.name
  | typeof reportProviderEventUpdate.name
  | typeof cancelOrderUpdate.name
  | typeof requestRefundUpdate.name
  | typeof decideRefundUpdate.name
  | typeof redeliverNotificationUpdate.name;

/** ApplicationFailure types the workflow raises; the API maps each to an HTTP status once. */
export const FailureTypes = {
  /** The order is not in a state that allows the request (409). */
  invalidState: 'InvalidOrderState',
  /** The request contradicts the order, e.g. an unknown SKU (422). */
  invalidRequest: 'InvalidOrderRequest',
  /** The cancellation policy forbids cancelling now (409 not_cancellable). */
  notCancellable: 'NotCancellable',
  paymentDeclined: 'PaymentDeclined',
  /** Checkout answered "nothing was charged" before the authorisation began. */
  checkoutClosed: 'CheckoutClosed',
  /** A refund the order does not allow now: too much, nothing captured, window closed (409). */
  refundNotAllowed: 'RefundNotAllowed',
  /** The same refund id came with a different request (409 idempotency_key_reused). */
  idempotencyConflict: 'IdempotencyConflict',
  /** A provider event dated outside the order's schedule (422 event_out_of_schedule). */
  eventOutOfSchedule: 'EventOutOfSchedule',
  /** The order was offered to another provider after this one (409 order_rerouted). */
  orderRerouted: 'OrderRerouted',
  /** The order was never this provider's: to it, there is no such order (404 order_not_found). */
  notProvidersOrder: 'NotProvidersOrder',
} as const;
