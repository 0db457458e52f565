// Every snapshot an order workflow published, insert-only, numbered 1, 2, 3… per order.
// The `orders` document is a copy of the newest for listings and search; it is written with a
// guarded replace, which FerretDB does not make atomic, so a stale write can land on it last.
// A publication cannot be overwritten: reading the chain past the document's number always
// finds the order's true latest state (see infra/read-model.ts). Each carries the second it
// was stored in, which the API's change feed asks for (infra/order-change-feed.ts), and the
// minute, which the listing's repair sweep asks for (infra/listing-repair.ts).

import { Schema, type Connection } from 'mongoose';
import type { OrderSnapshot } from '../../domain/order';

export interface OrderPublicationDocument {
  /** `<orderId>/<publication>`: the primary key makes a publication's number unique. */
  _id: string;
  orderId: string;
  publication: number;
  snapshot: OrderSnapshot;
  createdAt: Date;
  /**
   * `createdAt` in whole Unix seconds: the change feed asks for one second's publications, an
   * equality FerretDB answers from an index (it pushes down no range filter).
   */
  createdSecond: number;
  /** `createdAt` in whole Unix minutes, for the listing's repair sweep (an equality too). */
  createdMinute: number;
}

const orderPublicationSchema = new Schema<OrderPublicationDocument>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    publication: { type: Number, required: true },
    snapshot: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
    // Absent on publications stored before the change feed: the feed never sees those.
    createdSecond: { type: Number },
    // Absent on publications stored before the listing was written in batches.
    createdMinute: { type: Number },
  },
  { versionKey: false, collection: 'order_publications' },
);
orderPublicationSchema.index({ createdSecond: 1 });
orderPublicationSchema.index({ createdMinute: 1 });

export function publicationId(orderId: string, publication: number): string {
  return `${orderId}/${publication}`;
}

/** The whole Unix second `at` falls in (`createdSecond`). */
export function unixSecond(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

/** The whole Unix minute `at` falls in (`createdMinute`, and the listing's `listedMinute`). */
export function unixMinute(at: Date): number {
  return Math.floor(at.getTime() / 60_000);
}

export function defineOrderPublicationModel(connection: Connection) {
  return connection.model<OrderPublicationDocument>('OrderPublication', orderPublicationSchema);
}
