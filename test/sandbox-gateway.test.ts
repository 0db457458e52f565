// The sandbox payment gateway against the real database: each idempotency key moves money
// once, captures stay within the authorisation, refunds within the capture (even when they
// race), and an authorisation reversed before it arrived can never hold money.

import { randomUUID } from 'node:crypto';
import {
  PaymentDeclinedError,
  PaymentOperationRejectedError,
  type PaymentGateway,
} from '../infra/payments/gateway';
import { useHarness } from './support/harness';
import { authorisedPayment } from './support/payments';

const harness = useHarness();
let gateway: PaymentGateway;

beforeAll(async () => {
  gateway = harness.gateway;
});

test('a repeated authorisation key answers with the first authorisation', async () => {
  const { orderId, authorisationId } = await authorisedPayment(gateway);
  const again = await gateway.authorise({
    idempotencyKey: `${orderId}:authorise`,
    orderId,
    amount: 99_999,
    currency: 'CNY',
    token: 'tok_ok',
  });
  expect(again).toEqual({ authorisationId, amount: 10_000, currency: 'CNY' });
});

test('a capture is applied once per key, and never above the authorisation', async () => {
  const { orderId, authorisationId } = await authorisedPayment(gateway);
  await expect(
    gateway.capture({ idempotencyKey: 'k-over', authorisationId, amount: 10_001 }),
  ).rejects.toBeInstanceOf(PaymentOperationRejectedError);
  const results = await Promise.all(
    [1, 2, 3].map(() =>
      gateway.capture({ idempotencyKey: 'k-cap', authorisationId, amount: 7_000 }),
    ),
  );
  expect(results).toEqual([1, 2, 3].map(() => ({ captured: 7_000, released: 3_000 })));
  await expect(
    gateway.capture({ idempotencyKey: 'k-cap-2', authorisationId, amount: 1_000 }),
  ).rejects.toBeInstanceOf(PaymentOperationRejectedError);
  expect((await gateway.ledger(orderId)).map((e) => [e.type, e.amount])).toEqual([
    ['authorisation', 10_000],
    ['capture', 7_000],
    ['release', 3_000],
  ]);
});

test('racing refunds never together exceed what was captured', async () => {
  const { orderId, authorisationId } = await authorisedPayment(gateway);
  await gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 10_000 });
  const attempts = await Promise.allSettled(
    [1, 2, 3, 4, 5].map((n) =>
      gateway.refund({ idempotencyKey: `refund-${n}`, authorisationId, amount: 3_000 }),
    ),
  );
  expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(3);
  const refunds = (await gateway.ledger(orderId)).filter((e) => e.type === 'refund');
  expect(refunds.reduce((sum, e) => sum + e.amount, 0)).toBe(9_000);
  // A repeated key answers as before and refunds nothing more.
  const fulfilledKey = attempts.findIndex((a) => a.status === 'fulfilled') + 1;
  await gateway.refund({
    idempotencyKey: `refund-${fulfilledKey}`,
    authorisationId,
    amount: 3_000,
  });
  expect((await gateway.ledger(orderId)).filter((e) => e.type === 'refund')).toHaveLength(3);
});

test('a void releases the hold once; capturing afterwards is refused', async () => {
  const { authorisationId } = await authorisedPayment(gateway);
  expect(await gateway.void({ idempotencyKey: 'void', authorisationId })).toEqual({
    released: 10_000,
  });
  expect(await gateway.void({ idempotencyKey: 'void', authorisationId })).toEqual({
    released: 10_000,
  });
  await expect(
    gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 1 }),
  ).rejects.toBeInstanceOf(PaymentOperationRejectedError);
});

test('reversing an authorisation that was made releases it', async () => {
  const { orderId } = await authorisedPayment(gateway);
  const reversed = await gateway.reverseAuthorisation({
    idempotencyKey: `${orderId}:reverse`,
    authoriseKey: `${orderId}:authorise`,
    orderId,
    currency: 'CNY',
  });
  expect(reversed).toEqual({ released: 10_000 });
});

test('an authorisation arriving after its reversal is refused and holds nothing', async () => {
  const orderId = `ord_${randomUUID()}`;
  await gateway.reverseAuthorisation({
    idempotencyKey: `${orderId}:reverse`,
    authoriseKey: `${orderId}:authorise`,
    orderId,
    currency: 'CNY',
  });
  await expect(
    gateway.authorise({
      idempotencyKey: `${orderId}:authorise`,
      orderId,
      amount: 5_000,
      currency: 'CNY',
      token: 'tok_ok',
    }),
  ).rejects.toBeInstanceOf(PaymentDeclinedError);
  const ledger = await gateway.ledger(orderId);
  expect(ledger.filter((e) => e.type === 'authorisation')).toEqual([]);
});

test('an unknown token is declined as invalid', async () => {
  await expect(authorisedPayment(gateway, 100, 'tok_unheard_of')).rejects.toMatchObject({
    reason: 'invalid_token',
  });
});

test('a repeated refund answers as it first did, and a key never changes kind', async () => {
  const { authorisationId } = await authorisedPayment(gateway);
  await gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 10_000 });
  const first = await gateway.refund({ idempotencyKey: 'r1', authorisationId, amount: 1_500 });
  await gateway.refund({ idempotencyKey: 'r2', authorisationId, amount: 2_000 });
  expect(await gateway.refund({ idempotencyKey: 'r1', authorisationId, amount: 1_500 })).toEqual(
    first,
  );
  expect(first).toEqual({ refunded: 1_500, totalRefunded: 1_500 });
  await expect(
    gateway.refund({ idempotencyKey: 'cap', authorisationId, amount: 100 }),
  ).rejects.toBeInstanceOf(PaymentOperationRejectedError);
});
