// Checkout's word to the app. Checkout answers once the payment is decided, or gives up
// waiting and says nothing was charged; whichever answer is recorded first for an order is
// the one that stands, and the order's workflow keeps to it (see activities/checkout.ts).

import type { OrderFailure, OrderSnapshot } from './order';

/** Checkout stopped waiting for the payment decision: the order must never charge. */
export const CHECKOUT_TIMEOUT: OrderFailure = {
  code: 'checkout_timeout',
  message: 'the payment was not decided while checkout waited; nothing was charged',
};

/** The order's workflow started long after checkout stopped waiting: it charged nothing. */
export const CHECKOUT_EXPIRED: OrderFailure = {
  code: 'checkout_expired',
  message: 'the order started too late to be paid for',
};

/** The gateway did not answer within the authorisation's time limit. */
export const PAYMENT_UNAVAILABLE: OrderFailure = {
  code: 'payment_unavailable',
  message: 'the payment could not be authorised in time',
};

/**
 * Failures of orders that charged nothing for a reason outside the customer's card: the app
 * may try again, and the same Idempotency-Key then places a fresh order.
 */
export const RETRYABLE_FAILURES: ReadonlySet<string> = new Set([
  CHECKOUT_TIMEOUT.code,
  CHECKOUT_EXPIRED.code,
  PAYMENT_UNAVAILABLE.code,
]);

export function isRetryableAnswer(order: Pick<OrderSnapshot, 'status' | 'failure'>): boolean {
  return order.status === 'payment_declined' && RETRYABLE_FAILURES.has(order.failure?.code ?? '');
}

/** The answer checkout records when it gives up: the order as placed, declined, nothing held. */
export function timedOutCheckoutAnswer(placed: OrderSnapshot, now: string): OrderSnapshot {
  return {
    ...placed,
    status: 'payment_declined',
    failure: CHECKOUT_TIMEOUT,
    updatedAt: now,
  };
}
