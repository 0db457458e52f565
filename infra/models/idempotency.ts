// Idempotency keys of checkout calls, insert-only (the embedded database does not make
// updates atomic, inserts of one _id are): a key record says which request body the key
// came with and which order it started; a checkout answer is kept per order id once given.

import { Schema, type Connection } from 'mongoose';
import type { OrderSnapshot } from '../../domain/order';

export interface IdempotencyDocument {
  /** `<api client>:<Idempotency-Key>`: keys are scoped to the caller that sent them. */
  _id: string;
  requestHash: string;
  /** The key's first order; retries after a "try again" answer derive the next ones from it. */
  orderId: string;
  createdAt: Date;
}

export interface CheckoutAnswerDocument {
  /** The order id. */
  _id: string;
  answer: OrderSnapshot;
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

const checkoutAnswerSchema = new Schema<CheckoutAnswerDocument>(
  {
    _id: { type: String, required: true },
    answer: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'checkout_answers' },
);

export function defineIdempotencyModels(connection: Connection) {
  return {
    IdempotencyRecord: connection.model<IdempotencyDocument>(
      'IdempotencyRecord',
      idempotencySchema,
    ),
    CheckoutAnswer: connection.model<CheckoutAnswerDocument>(
      'CheckoutAnswer',
      checkoutAnswerSchema,
    ),
  };
}
