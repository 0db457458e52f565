// Idempotency keys of checkout calls, insert-only (the embedded database does not make
// updates atomic, inserts of one _id are): a key record says which request body the key
// came with and which order it started; a checkout answer is kept per order id once given.

import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '../duplicate-key';
import { insertValidated } from '../insert-validated';
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

/**
 * The order id of a key's `attempt`-th order. Attempt 0 is the random id the key record
 * holds; later ones (after "try again" answers) are derived from it, so concurrent retries
 * all arrive at the same id, and Temporal runs one workflow per id.
 */
export function attemptOrderId(firstOrderId: string, attempt: number): string {
  if (attempt === 0) return firstOrderId;
  const digest = createHash('sha256').update(`${firstOrderId}#${attempt}`).digest('hex');
  return `ord_${digest.slice(0, 24)}`;
}

/**
 * Records `answer` as its order's checkout answer unless one is recorded already; answers with
 * the one that stands. Checkout (when it stops waiting) and the workflow (when the payment is
 * authorised) both call this: the first insert wins, on MongoDB and FerretDB alike.
 */
export async function recordCheckoutAnswer(
  CheckoutAnswer: Model<CheckoutAnswerDocument>,
  answer: OrderSnapshot,
): Promise<OrderSnapshot> {
  try {
    await insertValidated(CheckoutAnswer, { _id: answer.orderId, answer, createdAt: new Date() });
    return answer;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    const standing = await CheckoutAnswer.findById(answer.orderId).lean();
    if (!standing) throw error; // purged meanwhile: let the caller retry or fail
    return standing.answer;
  }
}
