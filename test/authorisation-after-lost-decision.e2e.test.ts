// The authorisation's check of checkout's answer (activities/checkout.ts), on the real
// database and the sandbox gateway. The cluster fault run found an order whose first workflow
// task authorised and recorded its answer (201 for the app) and was then lost (Temporal's
// PostgreSQL restarting, a grocery worker killed); the task's next try took that recorded
// answer for checkout's "nothing charged", declined the order and voided the hold the app had
// been told of. An answer that the payment was authorised is the order's own: the next try
// authorises again by the key, gets back the same hold, and the order carries on.

import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createPaymentActivities } from '../activities/payments';
import type { OrderSnapshot } from '../domain/order';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger } from '../infra/logger';
import { recordAuthorisedAnswer, recordCheckoutGaveUp } from '../infra/checkout-answers';
import { publicationRecord } from '../infra/read-model';
import { createSandboxGateway } from '../infra/payments/sandbox';

let database: Database;

beforeAll(async () => {
  database = await connectDatabase(
    `${process.env.TEST_MONGODB_URI}/lost_decision_${randomBytes(4).toString('hex')}`,
    createLogger('silent'),
  );
});

afterAll(async () => {
  await database?.close();
});

function activities() {
  const { models } = database;
  return createPaymentActivities({ models, gateway: createSandboxGateway(models) });
}

const payment = (orderId: string) => ({
  orderId,
  amount: 8138,
  currency: 'CNY',
  token: 'tok_ok',
});

/** Checkout's answer as recorded: only its status and the order id matter to the check. */
const answer = (orderId: string, status: OrderSnapshot['status']) =>
  ({ orderId, status, revision: 3 }) as OrderSnapshot;

test.each([
  ['with its first publication', true],
  ['alone (a worker that may not write them together)', false],
])(
  "after an earlier try recorded the order's own answer (authorised) %s, the authorisation gives back the same hold",
  async (_where, withPublication) => {
    const orderId = `ord_${randomBytes(12).toString('hex')}`;
    const first = await activities().authorisePayment(payment(orderId));
    const authorised = answer(orderId, 'awaiting_confirmation');
    await recordAuthorisedAnswer(
      database.models,
      authorised,
      withPublication ? publicationRecord(authorised, 1) : undefined,
    );

    const again = await activities().authorisePayment(payment(orderId));
    expect(again).toEqual(first);
    const holds = await database.models.SandboxPayment.countDocuments({ orderId });
    expect(holds).toBe(1);
  },
);

test('after checkout answered that nothing was charged, the authorisation is refused for good', async () => {
  const orderId = `ord_${randomBytes(12).toString('hex')}`;
  await recordCheckoutGaveUp(database.models, answer(orderId, 'payment_declined'));

  const refused = await activities()
    .authorisePayment(payment(orderId))
    .catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect(refused).toMatchObject({ type: 'CheckoutClosed', nonRetryable: true });
  expect(await database.models.SandboxPayment.countDocuments({ orderId })).toBe(0);
});

describe('while checkout surely still waits (checkoutWaitsUntil)', () => {
  const at = (iso: string) => () => new Date(iso);
  const waitsUntil = '2026-12-03T10:00:02.500Z';
  const activitiesAt = (now: string) => {
    const { models } = database;
    return createPaymentActivities({
      models,
      gateway: createSandboxGateway(models),
      clock: at(now),
    });
  };

  test("it does not ask for checkout's answer: it holds the money, for the workflow to give back when the answer stands", async () => {
    const orderId = `ord_${randomBytes(12).toString('hex')}`;
    // Checkout failed at once (Temporal did not answer it) and answered "nothing charged".
    await recordCheckoutGaveUp(database.models, answer(orderId, 'payment_declined'));

    const held = await activitiesAt('2026-12-03T10:00:01.000Z').authorisePayment({
      ...payment(orderId),
      checkoutWaitsUntil: waitsUntil,
    });
    expect(held).toMatchObject({ amount: 8138 });
    expect(await database.models.SandboxPayment.countDocuments({ orderId })).toBe(1);
  });

  test('from then on it asks, and refuses once checkout said nothing was charged', async () => {
    const orderId = `ord_${randomBytes(12).toString('hex')}`;
    await recordCheckoutGaveUp(database.models, answer(orderId, 'payment_declined'));

    const refused = await activitiesAt(waitsUntil)
      .authorisePayment({ ...payment(orderId), checkoutWaitsUntil: waitsUntil })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ type: 'CheckoutClosed', nonRetryable: true });
    expect(await database.models.SandboxPayment.countDocuments({ orderId })).toBe(0);
  });
});
