// The order as callers see it (the app's API, app events): the workflow's snapshot without
// storage bookkeeping.

import type { OrderSnapshot } from './order';

export type OrderView = Omit<OrderSnapshot, 'revision' | 'authorisationId'>;

/** Without the workflow's bookkeeping: the gateway's reference and the refunds' fingerprints. */
export function toOrderView(
  document: OrderSnapshot & { _id?: unknown; publication?: unknown },
): OrderView {
  const {
    _id: _id,
    revision: _revision,
    publication: _publication,
    authorisationId: _authorisationId,
    ...view
  } = document;
  if (!view.refunds) return view;
  return { ...view, refunds: view.refunds.map(({ requestHash: _hash, ...refund }) => refund) };
}
