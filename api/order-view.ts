// The order as callers see it (domain/order-view.ts), and the answer to a cancellation.

import type { OrderSnapshot } from '../domain/order';
import { toOrderView } from '../domain/order-view';
import { ApiError } from './errors';

export { toOrderView, type OrderView } from '../domain/order-view';

/**
 * The answer to a cancellation: the fee kept and what went back to the customer. An order
 * that finished another way while the request was in flight was not cancelled (409).
 */
export function cancellationResult(order: OrderSnapshot) {
  if (order.status !== 'cancelled' || !order.cancellation) {
    throw new ApiError(
      409,
      'not_cancellable',
      `the order is ${order.status} and was not cancelled`,
    );
  }
  return {
    order: toOrderView(order),
    fee: order.cancellation.fee,
    refunded: order.amounts.refunded,
    released: order.amounts.released,
  };
}
