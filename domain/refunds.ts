// Support refunds: what may be refunded when, as pure functions of the order and the time,
// called by the order workflow's refund Update validator (the API never re-implements them).
//
//   amount      a positive integer, never above captured − refunded − refunds in progress
//   when        once money is captured; after the order closes, until the refund window ends
//   approval    a support refund above the approval threshold waits for an admin's decision

import { formatMoney } from './money';
import { TERMINAL_STATUSES, type OrderSnapshot } from './order';

/** Refunds that hold part of the captured money until they are paid or declined. */
export function refundsInProgress(order: Readonly<OrderSnapshot>): number {
  return (order.refunds ?? [])
    .filter((refund) => refund.status === 'pending_approval' || refund.status === 'refunding')
    .reduce((sum, refund) => sum + refund.amount, 0);
}

/** What a new refund may still give back. */
export function refundableAmount(order: Readonly<OrderSnapshot>): number {
  return Math.max(0, order.amounts.captured - order.amounts.refunded - refundsInProgress(order));
}

export type RefundCheck = { allowed: true } | { allowed: false; reason: string };

/**
 * Whether support may refund `amount` now. `closedAt` is when the order reached its final
 * status (absent while it runs); the window counts from there.
 */
export function checkRefund(
  order: Readonly<OrderSnapshot>,
  amount: number,
  now: Date,
  refundWindowMs: number,
  closedAt?: string,
): RefundCheck {
  if (!Number.isSafeInteger(amount) || amount <= 0)
    return { allowed: false, reason: 'the amount must be a positive integer of minor units' };
  if (order.amounts.captured === 0)
    return { allowed: false, reason: `nothing was captured on this ${order.status} order` };
  if (TERMINAL_STATUSES.has(order.status) && closedAt !== undefined) {
    const windowEnds = Date.parse(closedAt) + refundWindowMs;
    if (now.getTime() > windowEnds)
      return {
        allowed: false,
        reason: `the refund window closed on ${new Date(windowEnds).toISOString()}`,
      };
  }
  const available = refundableAmount(order);
  if (amount > available) {
    const money = (minorUnits: number) => formatMoney(minorUnits, order.currency);
    return {
      allowed: false,
      reason: `only ${money(available)} can still be refunded (captured ${money(order.amounts.captured)}, refunded ${money(order.amounts.refunded)}, in progress ${money(refundsInProgress(order))})`,
    };
  }
  return { allowed: true };
}
