// The order as callers see it: the read model's snapshot without storage bookkeeping. Its
// `revision` grows with every change (an app's long poll waits for one above it).

import type { OrderSnapshot } from '../domain/order';
import { ApiError } from './errors';

export type OrderView = Omit<OrderSnapshot, 'authorisationId'>;

/** Without the workflow's bookkeeping: the gateway's reference and the refunds' fingerprints. */
export function toOrderView(
  document: OrderSnapshot & { _id?: unknown; publication?: unknown },
): OrderView {
  const {
    _id: _id,
    publication: _publication,
    authorisationId: _authorisationId,
    ...view
  } = document;
  if (!view.refunds) return view;
  return { ...view, refunds: view.refunds.map(({ requestHash: _hash, ...refund }) => refund) };
}

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
