// Teleconsultations end to end over HTTP, against the real Temporal server and database: the
// doctor accepts and the fee is captured, a durable timer opens the video session ten minutes
// before the slot and sends the link, the consultation starts and completes. A doctor who
// never starts (or is reported absent) refunds everything; the customer's cancellation follows
// the slot's windows (free, half the fee, not once started). The fee is odd (9901) so the
// 50% rounding shows: the clinic keeps 4950 and the customer gets 4951 back.

import { orderWorkflowId } from '../workflows/messages';
import { recordHistory } from './support/histories';
import {
  useHarness,
  startWebhookReceiver,
  type RegisteredProvider,
  type WebhookReceiver,
} from './support/harness';
import {
  cancelOrder,
  getOrder,
  placeOrder,
  teleconsultationOrder,
  waitForStatus,
  storedOrders,
} from './support/orders';

const FEE = 9_901;
/** Half the fee, rounded down in the customer's favour. */
const LATE_CANCELLATION_FEE = 4_950;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const harness = useHarness();
let webhooks: WebhookReceiver;
/** A clinic with the default no-show grace (15 minutes). */
let clinic: RegisteredProvider;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
  clinic = await harness.registerProvider({
    vertical: 'teleconsultation',
    webhookUrl: webhooks.url,
  });
});

afterAll(async () => {
  await webhooks?.close();
});

async function bookConsultation(
  slotStartsInMs: number,
  provider = clinic,
): Promise<{ orderId: string; slotStart: number }> {
  const response = await placeOrder(
    harness.apiUrl,
    teleconsultationOrder(provider.providerId, { slotStartsInMs, fee: FEE }),
  );
  expect(response.status).toBe(201);
  return {
    orderId: response.body.orderId,
    slotStart: Date.parse(response.body.teleconsultation.slotStart),
  };
}

async function accept(orderId: string, provider = clinic) {
  const response = await provider.client.confirm(orderId, { decision: 'accept' });
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({
    status: 'confirmed',
    amounts: { authorised: FEE, captured: FEE, released: 0, refunded: 0 },
  });
  return response;
}

const sessionLinkMessages = (orderId: string) =>
  harness.database.models.DispatchRecord.find({
    orderId,
    kind: 'message:video_session_link',
  }).lean();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the consultation', () => {
  test('doctor accepts, the fee is captured, the session link is sent, and the consultation completes', async () => {
    // The slot is 5 s away, well inside the 10-minute lead: the session opens at once.
    const checkout = await placeOrder(
      harness.apiUrl,
      teleconsultationOrder(clinic.providerId, { slotStartsInMs: 5_000, fee: FEE }),
    );
    expect(checkout.status).toBe(201);
    const orderId: string = checkout.body.orderId;
    expect(checkout.body).toMatchObject({
      status: 'awaiting_confirmation',
      vertical: 'teleconsultation',
      amounts: { total: FEE, authorised: FEE, captured: 0, refunded: 0 },
      teleconsultation: { specialty: 'dermatology', durationMinutes: 15, fee: FEE },
    });

    await webhooks.waitForEvent('order.created', orderId);
    await accept(orderId);

    const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    const sessionLink: string = dispatching.dispatch.sessionLink;
    expect(sessionLink).toMatch(/^https:\/\/video\.sandbox\.orderflow\.invalid\/rooms\/[a-z0-9]+$/);
    const messages = await sessionLinkMessages(orderId);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data).toMatchObject({
      orderId,
      customerId: 'cust_1',
      kind: 'video_session_link',
      text: expect.stringContaining(sessionLink),
    });

    const started = await clinic.client.reportEvent(orderId, 'consultation_started');
    expect(started.status).toBe(200);
    expect(started.body.status).toBe('in_progress');
    const finished = await clinic.client.reportEvent(orderId, 'consultation_completed');
    expect(finished.status).toBe(200);
    expect(finished.body.status).toBe('completed');

    const result = await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
    expect(result).toMatchObject({
      status: 'completed',
      amounts: { authorised: FEE, captured: FEE, refunded: 0 },
    });
    const completed = await waitForStatus(harness.apiUrl, orderId, 'completed');
    expect(completed.amounts).toMatchObject({ captured: FEE, refunded: 0 });
    expect(completed.dispatch.sessionLink).toBe(sessionLink);
    expect(completed.dispatch.events.map((e: { type: string }) => e.type)).toEqual([
      'consultation_started',
      'consultation_completed',
    ]);
    expect(completed.failure).toBeUndefined();
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
    ]);
    await recordHistory(harness.temporal, orderId, 'teleconsultation-completed');
  });

  test('a slot hours away waits on a durable timer: no session and no link until 10 minutes before', async () => {
    const { orderId, slotStart } = await bookConsultation(3 * HOUR);
    await accept(orderId);
    await sleep(1_500);

    const order = (await getOrder(harness.apiUrl, orderId)).body;
    expect(order.status).toBe('confirmed');
    expect(order.amounts).toMatchObject({ captured: FEE, refunded: 0 });
    expect(order.dispatch.sessionLink).toBeUndefined();
    expect(await sessionLinkMessages(orderId)).toHaveLength(0);

    // The workflow sleeps on a timer that fires 10 minutes before the slot.
    const history = await harness.temporal.workflow
      .getHandle(orderWorkflowId(orderId))
      .fetchHistory();
    const timers = (history.events ?? [])
      .map((event) => event.timerStartedEventAttributes?.startToFireTimeout?.seconds)
      .filter((seconds) => seconds !== undefined && seconds !== null)
      .map(Number);
    const expectedSeconds = (slotStart - 10 * MINUTE - Date.now()) / 1000;
    expect(timers.some((s) => Math.abs(s - expectedSeconds) < 60)).toBe(true);
  });
});

describe('doctor no-show', () => {
  test("a doctor who has not started by the slot plus the clinic's grace is a no-show: full refund", async () => {
    const punctualClinic = await harness.registerProvider({
      vertical: 'teleconsultation',
      webhookUrl: webhooks.url,
      doctorNoShowGraceSeconds: 1,
    });
    const { orderId, slotStart } = await bookConsultation(3_000, punctualClinic);
    await accept(orderId, punctualClinic);
    const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    expect(dispatching.dispatch.sessionLink).toEqual(expect.any(String));

    // Nobody reports `consultation_started`.
    const cancelled = await waitForStatus(harness.apiUrl, orderId, 'cancelled', 20_000);
    expect(cancelled).toMatchObject({
      failure: { code: 'provider_no_show' },
      amounts: { authorised: FEE, captured: FEE, refunded: FEE },
    });
    expect(cancelled.cancellation).toBeUndefined();
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
      ['refund', FEE],
    ]);
    // Not before the slot's start plus the clinic's 1 s grace (nor 15 minutes later).
    const refund = (await harness.gateway.ledger(orderId)).find((e) => e.type === 'refund')!;
    expect(refund.at.getTime()).toBeGreaterThanOrEqual(slotStart + 1_000);
    await webhooks.waitForEvent('order.cancelled', orderId);
    const late = await punctualClinic.client.reportEvent(orderId, 'consultation_started');
    expect(late.status).toBe(409);
    await recordHistory(harness.temporal, orderId, 'teleconsultation-no-show');
  });

  test('a no_show reported after the session opened cancels the order and refunds the whole fee', async () => {
    const { orderId } = await bookConsultation(5_000);
    await accept(orderId);
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');

    const reported = await clinic.client.reportEvent(orderId, 'no_show');
    expect(reported.status).toBe(200);
    expect(reported.body).toMatchObject({
      status: 'cancelled',
      failure: { code: 'provider_no_show' },
      amounts: { captured: FEE, refunded: FEE },
    });
    const order = await waitForStatus(harness.apiUrl, orderId, 'cancelled');
    expect(order.amounts).toMatchObject({ captured: FEE, refunded: FEE });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
      ['refund', FEE],
    ]);
  });
});

describe('customer cancellation', () => {
  test('more than an hour before the slot it is free: the whole captured fee is refunded', async () => {
    const { orderId } = await bookConsultation(3 * HOUR);
    await accept(orderId);

    const response = await cancelOrder(harness.apiUrl, orderId);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ fee: 0, refunded: FEE, released: 0 });
    expect(response.body.order).toMatchObject({
      status: 'cancelled',
      amounts: { captured: FEE, refunded: FEE },
      cancellation: { requestedBy: 'customer', fee: 0 },
    });
    expect((await waitForStatus(harness.apiUrl, orderId, 'cancelled')).amounts).toMatchObject({
      captured: FEE,
      refunded: FEE,
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
      ['refund', FEE],
    ]);
    await webhooks.waitForEvent('order.cancelled', orderId);
  });

  test('within the hour before the slot half the fee is kept, rounded down: 4950 kept, 4951 refunded', async () => {
    const { orderId } = await bookConsultation(30 * MINUTE);
    await accept(orderId);

    const response = await cancelOrder(harness.apiUrl, orderId);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      fee: LATE_CANCELLATION_FEE,
      refunded: FEE - LATE_CANCELLATION_FEE,
      released: 0,
    });
    expect(response.body.order).toMatchObject({
      status: 'cancelled',
      amounts: { captured: FEE, refunded: 4_951 },
      cancellation: { fee: LATE_CANCELLATION_FEE },
    });
    expect((await waitForStatus(harness.apiUrl, orderId, 'cancelled')).amounts.refunded).toBe(
      4_951,
    );
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
      ['refund', 4_951],
    ]);
    await recordHistory(harness.temporal, orderId, 'teleconsultation-cancelled-late');
  });

  test('once the consultation has started it cannot be cancelled: 409 not_cancellable, no refund', async () => {
    // 5 minutes ahead: the session opens at once, and before the start this would be a late
    // cancellation; only the started consultation forbids it.
    const { orderId } = await bookConsultation(5 * MINUTE);
    await accept(orderId);
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    expect((await clinic.client.reportEvent(orderId, 'consultation_started')).body.status).toBe(
      'in_progress',
    );

    const response = await cancelOrder(harness.apiUrl, orderId);
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('not_cancellable');
    const order = (await getOrder(harness.apiUrl, orderId)).body;
    expect(order.status).toBe('in_progress');
    expect(order.amounts).toMatchObject({ captured: FEE, refunded: 0 });
    expect(order.cancellation).toBeUndefined();
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
    ]);

    expect((await clinic.client.reportEvent(orderId, 'consultation_completed')).body.status).toBe(
      'completed',
    );
  });

  test('while the doctor has not answered the cancellation is free and the hold is released', async () => {
    const { orderId } = await bookConsultation(30 * MINUTE);

    const response = await cancelOrder(harness.apiUrl, orderId);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ fee: 0, refunded: 0, released: FEE });
    expect(response.body.order).toMatchObject({
      status: 'cancelled',
      amounts: { authorised: FEE, captured: 0, refunded: 0, released: FEE },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['void', FEE],
    ]);
    const late = await clinic.client.confirm(orderId, { decision: 'accept' });
    expect(late.status).toBe(409);
    expect(await harness.ledgerOf(orderId)).toHaveLength(2);
  });
});

describe('provider events', () => {
  test('an event ahead of its step waits for it; another vertical’s is 422', async () => {
    const { orderId } = await bookConsultation(5 * MINUTE);
    await accept(orderId);
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');

    const groceryEvent = await clinic.client.reportEvent(orderId, 'picked_up');
    expect(groceryEvent.status).toBe(422);
    expect(groceryEvent.body.error.code).toBe('invalid_request');

    // The clinic's system sends "completed" before "started": the fact is kept, not lost.
    const completedFirst = await clinic.client.reportEvent(orderId, 'consultation_completed');
    expect(completedFirst.status).toBe(200);
    expect(completedFirst.body.status).toBe('dispatching');
    expect(completedFirst.body.dispatch.events).toEqual([
      expect.objectContaining({ type: 'consultation_completed', pending: true }),
    ]);

    const started = await clinic.client.reportEvent(orderId, 'consultation_started');
    expect(started.status).toBe(200);
    const completed = await waitForStatus(harness.apiUrl, orderId, 'completed');
    expect(
      completed.dispatch.events.map((e: { type: string; pending?: boolean }) => [
        e.type,
        e.pending,
      ]),
    ).toEqual([
      ['consultation_completed', undefined],
      ['consultation_started', undefined],
    ]);
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', FEE],
      ['capture', FEE],
    ]);
  });
});

describe('checkout validation', () => {
  test.each([
    [
      'a slot in the past',
      { slotStartsInMs: -MINUTE },
      'teleconsultation.slotStart',
      'out_of_horizon',
    ],
    [
      'a 3-minute consultation',
      { durationMinutes: 3 },
      'teleconsultation.durationMinutes',
      'validation_failed',
    ],
  ])(
    '%s is 422 naming the field, and no order or payment is made',
    async (_case, overrides, path, code) => {
      const doctor = await harness.registerProvider({ vertical: 'teleconsultation' });
      const response = await placeOrder(
        harness.apiUrl,
        teleconsultationOrder(doctor.providerId, { fee: FEE, ...overrides }),
      );
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe(code);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
      expect(await storedOrders(harness, doctor.providerId)).toBe(0);
    },
  );
});
