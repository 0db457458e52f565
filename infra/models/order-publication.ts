// Every snapshot an order workflow published, insert-only, numbered 1, 2, 3… per order.
// The `orders` document is a copy of the newest for listings and search; it is written with a
// guarded replace, which FerretDB does not make atomic, so a stale write can land on it last.
// A publication cannot be overwritten: reading the chain past the document's number always
// finds the order's true latest state (see infra/read-model.ts).

import { Schema, type Connection } from 'mongoose';
import type { OrderSnapshot } from '../../domain/order';

export interface OrderPublicationDocument {
  /** `<orderId>/<publication>`: the primary key makes a publication's number unique. */
  _id: string;
  orderId: string;
  publication: number;
  snapshot: OrderSnapshot;
  createdAt: Date;
}

const orderPublicationSchema = new Schema<OrderPublicationDocument>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    publication: { type: Number, required: true },
    snapshot: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'order_publications' },
);

export function publicationId(orderId: string, publication: number): string {
  return `${orderId}/${publication}`;
}

export function defineOrderPublicationModel(connection: Connection) {
  return connection.model<OrderPublicationDocument>('OrderPublication', orderPublicationSchema);
}
