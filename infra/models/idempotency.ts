// Idempotency keys of checkout calls: which order a key made, a hash of the body it came
// with, and the first answer, so a retry replays that answer and a reuse with another body
// is refused.

import { Schema, type Connection } from 'mongoose';
import type { OrderSnapshot } from '../../domain/order';

export interface IdempotencyDocument {
  /** `<api client>:<Idempotency-Key>`: keys are scoped to the caller that sent them. */
  _id: string;
  requestHash: string;
  orderId: string;
  /** The order as the first call answered with it, once that call got its answer. */
  firstAnswer?: OrderSnapshot;
  createdAt: Date;
}

const idempotencySchema = new Schema<IdempotencyDocument>(
  {
    _id: { type: String, required: true },
    requestHash: { type: String, required: true },
    orderId: { type: String, required: true },
    firstAnswer: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'idempotency_keys' },
);

export function defineIdempotencyModel(connection: Connection) {
  return connection.model<IdempotencyDocument>('IdempotencyRecord', idempotencySchema);
}
