// The sandbox gateway reads its books only when it must (each read is a round trip on the
// payment's path): an authorisation with a token that plays no network is a bare insert, an
// authorisation's first operation reads only its header, and whatever that first attempt
// guessed wrong (a repeat, a later operation, a refusal) is decided on the books as before.

import { randomUUID } from 'node:crypto';
import {
  PaymentDeclinedError,
  PaymentOperationRejectedError,
  type PaymentGateway,
} from '../infra/payments/gateway';
import type { Models } from '../infra/db';
import { useHarness } from './support/harness';
import { authorisedPayment } from './support/payments';

const harness = useHarness();
let models: Models;
let gateway: PaymentGateway;

beforeAll(async () => {
  models = harness.database.models;
  gateway = harness.gateway;
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Counts the reads of the sandbox's collections during `run`. */
async function readsDuring(run: () => Promise<unknown>) {
  const payments = jest.spyOn(models.SandboxPayment, 'findById');
  const operations = jest.spyOn(models.SandboxOperation, 'find');
  try {
    await run();
    return { headers: payments.mock.calls.length, operations: operations.mock.calls.length };
  } finally {
    payments.mockRestore();
    operations.mockRestore();
  }
}

test('an authorisation and its capture read only the header once', async () => {
  let authorisationId = '';
  expect(
    await readsDuring(async () => ({ authorisationId } = await authorisedPayment(gateway))),
  ).toEqual({
    headers: 0,
    operations: 0,
  });
  expect(
    await readsDuring(() =>
      gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 6_000 }),
    ),
  ).toEqual({ headers: 1, operations: 0 });
  // The repeat finds slot 0 taken and answers from the books.
  let again: unknown;
  expect(
    await readsDuring(async () => {
      again = await gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 6_000 });
    }),
  ).toEqual({ headers: 1, operations: 1 });
  expect(again).toEqual({ captured: 6_000, released: 4_000 });
});

test('repeated authorisations answer as the first did, declined ones too', async () => {
  const orderId = `ord_${randomUUID()}`;
  const request = {
    idempotencyKey: `${orderId}:authorise`,
    orderId,
    amount: 2_000,
    currency: 'CNY',
    token: 'tok_declined',
  };
  for (const _ of [1, 2]) {
    await expect(gateway.authorise(request)).rejects.toBeInstanceOf(PaymentDeclinedError);
  }
  const ledger = await gateway.ledger(orderId);
  expect(ledger.map((e) => [e.type, e.amount, e.reason])).toEqual([
    ['decline', 2_000, 'card_declined'],
  ]);
});

test('a void after a capture is refused, and a capture key is never reused as a void', async () => {
  const { authorisationId } = await authorisedPayment(gateway);
  await gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 10_000 });
  await expect(gateway.void({ idempotencyKey: 'void', authorisationId })).rejects.toThrow(
    'cannot void a payment that is captured',
  );
  await expect(gateway.void({ idempotencyKey: 'cap', authorisationId })).rejects.toThrow(
    'key cap was used for a capture',
  );
});

test('a refund refused on the first guess is decided on the books', async () => {
  const { orderId, authorisationId } = await authorisedPayment(gateway);
  // Nothing captured yet: refused on the books too.
  await expect(
    gateway.refund({ idempotencyKey: 'r0', authorisationId, amount: 1 }),
  ).rejects.toBeInstanceOf(PaymentOperationRejectedError);
  await gateway.capture({ idempotencyKey: 'cap', authorisationId, amount: 8_000 });
  expect(await gateway.refund({ idempotencyKey: 'r1', authorisationId, amount: 3_000 })).toEqual({
    refunded: 3_000,
    totalRefunded: 3_000,
  });
  expect(await gateway.refund({ idempotencyKey: 'r2', authorisationId, amount: 5_000 })).toEqual({
    refunded: 5_000,
    totalRefunded: 8_000,
  });
  await expect(
    gateway.refund({ idempotencyKey: 'r3', authorisationId, amount: 1 }),
  ).rejects.toBeInstanceOf(PaymentOperationRejectedError);
  expect(await gateway.refund({ idempotencyKey: 'r1', authorisationId, amount: 3_000 })).toEqual({
    refunded: 3_000,
    totalRefunded: 3_000,
  });
  expect((await gateway.ledger(orderId)).map((e) => [e.type, e.amount])).toEqual([
    ['authorisation', 10_000],
    ['capture', 8_000],
    ['release', 2_000],
    ['refund', 3_000],
    ['refund', 5_000],
  ]);
});

test('concurrent first operations of one authorisation: exactly one wins', async () => {
  const { orderId, authorisationId } = await authorisedPayment(gateway);
  const attempts = await Promise.allSettled([
    gateway.capture({ idempotencyKey: 'cap-a', authorisationId, amount: 10_000 }),
    gateway.capture({ idempotencyKey: 'cap-b', authorisationId, amount: 4_000 }),
    gateway.void({ idempotencyKey: 'void', authorisationId }),
  ]);
  expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
  for (const attempt of attempts.filter((a) => a.status === 'rejected'))
    expect(attempt.reason).toBeInstanceOf(PaymentOperationRejectedError);
  const ledger = await gateway.ledger(orderId);
  expect(ledger.filter((e) => e.type !== 'authorisation').length).toBeGreaterThan(0);
  const moved = ledger
    .filter((e) => e.type !== 'authorisation')
    .reduce((sum, e) => sum + e.amount, 0);
  expect(moved).toBe(10_000);
});

test('an operation on no authorisation is refused before anything is written', async () => {
  await expect(
    gateway.capture({ idempotencyKey: 'cap', authorisationId: 'auth_none', amount: 1 }),
  ).rejects.toThrow('no authorisation auth_none');
  expect(await models.SandboxOperation.countDocuments({ authorisationId: 'auth_none' })).toBe(0);
});
