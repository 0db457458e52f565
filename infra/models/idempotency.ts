// Idempotency keys of checkout calls, insert-only (the embedded database does not make
// updates atomic, inserts of one _id are): a key record says which request body the key
// came with and which order it started; a checkout answer is kept per order id once given
// (in one of two places: infra/checkout-answers.ts).

import { createHash } from 'node:crypto';
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
  /** The order id; `<orderId>/answer` beside the order's publications (answerBesidePublicationsId). */
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

const checkoutAnswerFields = {
  _id: { type: String, required: true },
  answer: { type: Schema.Types.Mixed, required: true },
  createdAt: { type: Date, required: true, default: () => new Date() },
};
const checkoutAnswerSchema = new Schema<CheckoutAnswerDocument>(checkoutAnswerFields, {
  versionKey: false,
  collection: 'checkout_answers',
});
/**
 * The same answers kept beside the order's publications (infra/checkout-answers.ts). They carry
 * none of a publication's fields, so the change feed, the listing's repair sweep and the
 * publication chain (which ask for those fields, or for numbered ids) never see them.
 */
const checkoutAnswerBesidePublicationsSchema = new Schema<CheckoutAnswerDocument>(
  checkoutAnswerFields,
  { versionKey: false, collection: 'order_publications' },
);

/** The id of an order's checkout answer beside its publications (`<orderId>/<n>`). */
export function answerBesidePublicationsId(orderId: string): string {
  return `${orderId}/answer`;
}

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
    CheckoutAnswerBesidePublications: connection.model<CheckoutAnswerDocument>(
      'CheckoutAnswerBesidePublications',
      checkoutAnswerBesidePublicationsSchema,
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
