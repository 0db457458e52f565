// The order as callers see it: the read model's snapshot without storage bookkeeping.

import type { OrderSnapshot } from '../domain/order';

export type OrderView = Omit<OrderSnapshot, 'revision'>;

export function toOrderView(document: OrderSnapshot & { _id?: unknown }): OrderView {
  const { _id, revision, ...view } = document;
  void _id;
  void revision;
  return view;
}
