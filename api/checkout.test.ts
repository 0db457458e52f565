import mongoose from 'mongoose';
import { dependencyWasDown, requestFingerprint, type CheckoutResult } from './checkout';
import { DeadlinePassed } from './deadline';
import { ApiError } from './errors';

describe('requestFingerprint', () => {
  test('ignores the order of object keys but not of array items', () => {
    expect(requestFingerprint({ a: 1, b: { c: 2, d: 3 } })).toBe(
      requestFingerprint({ b: { d: 3, c: 2 }, a: 1 }),
    );
    expect(requestFingerprint({ items: [1, 2] })).not.toBe(requestFingerprint({ items: [2, 1] }));
  });

  test('differs when any value differs', () => {
    expect(requestFingerprint({ amount: 100 })).not.toBe(requestFingerprint({ amount: 101 }));
  });
});

describe('dependencyWasDown (what admission control does not read as load)', () => {
  const order = (code?: string) =>
    ({
      status: 'fulfilled',
      value: { order: { status: 'payment_declined', failure: code && { code } }, replayed: false },
    }) as unknown as PromiseSettledResult<CheckoutResult>;
  const failed = (reason: unknown): PromiseSettledResult<CheckoutResult> => ({
    status: 'rejected',
    reason,
  });

  test.each([
    [
      'the database did not answer',
      failed(new mongoose.mongo.MongoNetworkError('connection refused')),
    ],
    ['a database call outlived the deadline', failed(new DeadlinePassed())],
    [
      'the answer could not be recorded',
      failed(new ApiError(503, 'checkout_outcome_unknown', 'unknown')),
    ],
    ['the gateway did not answer', order('payment_unavailable')],
  ])('%s: a dependency was down', (_name, outcome) => {
    expect(dependencyWasDown(outcome)).toBe(true);
  });

  test.each([
    ['the workflow did not decide in time (a worker behind is load)', order('checkout_timeout')],
    ['the card was declined', order('card_declined')],
    ['the order was authorised', order()],
    [
      'the key was used with another body',
      failed(new ApiError(409, 'idempotency_key_reused', 'x')),
    ],
    ['a bug', failed(new TypeError('x is undefined'))],
  ])('%s: no dependency was down', (_name, outcome) => {
    expect(dependencyWasDown(outcome)).toBe(false);
  });
});
