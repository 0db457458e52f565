// The order read model's listing copy: the latest snapshot each order workflow published.
// The workflow is the source of truth; this copy serves listings and search, and is where a
// read by id starts (infra/read-model.ts). Writes carry the snapshot's revision and only a
// newer revision replaces an older one, except on FerretDB, where that guard is not atomic.
// Workers write copies in batches, a moment after their publications (infra/listing-copies.ts).

import { Schema, type Connection } from 'mongoose';
import type { OrderSnapshot } from '../../domain/order';

export type OrderDocument = OrderSnapshot & {
  _id: string;
  /** The publication this copy was made from; absent on copies written before publications. */
  publication?: number;
  /** The Unix minute the copy was written in (infra/listing-repair.ts finds recent copies). */
  listedMinute?: number;
};

const orderSchema = new Schema(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    vertical: { type: String, required: true },
    status: { type: String, required: true },
    customerId: { type: String, required: true },
    providerId: { type: String, required: true },
    createdAt: { type: String, required: true },
    revision: { type: Number, required: true },
    publication: { type: Number },
    listedMinute: { type: Number },
  },
  // The rest of the snapshot is stored as the workflow wrote it.
  { strict: false, versionKey: false, collection: 'orders' },
);
orderSchema.index({ status: 1, createdAt: -1 });
orderSchema.index({ providerId: 1, status: 1, createdAt: -1 });
orderSchema.index({ customerId: 1, createdAt: -1 });
// A re-routed order is searched for under every provider it was offered to.
orderSchema.index({ 'routing.providerId': 1, createdAt: -1 });
// Support search: newest first with the id as tie-breaker (the cursor), by vertical, attention.
orderSchema.index({ createdAt: -1, _id: -1 });
orderSchema.index({ vertical: 1, createdAt: -1 });
orderSchema.index({ 'attention.code': 1, createdAt: -1 });
orderSchema.index({ listedMinute: 1 });

export function defineOrderModel(connection: Connection) {
  return connection.model<OrderDocument>('Order', orderSchema);
}
