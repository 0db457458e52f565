// The order as callers see it (the app's API, app events): the workflow's snapshot without
// storage bookkeeping. Its `revision` grows with every change (an app's long poll waits for
// one above it; an app event's `sequence` is it).

import type { OrderSnapshot } from './order';

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
