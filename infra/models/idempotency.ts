// Idempotency keys of checkout calls: which order a key made, and a hash of the body it came
// with, so a retry replays the first answer and a reuse with another body is refused.

import { Schema, type Connection } from 'mongoose';

export interface IdempotencyDocument {
  /** `<api client>:<Idempotency-Key>`: keys are scoped to the caller that sent them. */
  _id: string;
  requestHash: string;
  orderId: string;
  createdAt: Date;
}

const idempotencySchema = new Schema<IdempotencyDocument>(
  {
    _id: { type: String, required: true },
    requestHash: { type: String, required: true },
    orderId: { type: String, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'idempotency_keys' },
);

export function defineIdempotencyModel(connection: Connection) {
  return connection.model<IdempotencyDocument>('IdempotencyRecord', idempotencySchema);
}
