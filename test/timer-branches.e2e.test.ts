// The order workflow's durable timers, each run for real against the dev server with instants
// made short through the order (a provider's deadline, a slot's time, the refund window), not
// by waiting hours. Each test checks what the branch does to the order and the money, and that
// support's timeline names the timer by the purpose the workflow gave it. (Timers covered
// elsewhere: the grocery deadline in provider-callbacks, delivery overdue in support-orders,
// the doctor's no-show in teleconsultation, the purge schedule in idempotency-retention.)
// A stay's check-out and a consultation's end are instants checkout puts on the order, hours
// or days away; their tests start the order's workflow directly, with the input checkout
// builds (api/order-input.ts) but that instant a few seconds away.

import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { orderWorkflowInput, startingSearchAttributes, withLocalTimes } from '../api/order-input';
import type { OrderRequest } from '../domain/order';
import {
  afterSalesWorkflowId,
  orderWorkflowId,
  type OrderWorkflowInput,
} from '../workflows/messages';
import { sampleTeleconsultationOrder } from '../dev/sample-orders';
import { eventually, TOKENS, useHarness } from './support/harness';
import {
  groceryOrder,
  hotelOrder,
  placeOrder,
  teleconsultationOrder,
  waitForStatus,
} from './support/orders';
import { support } from './support/staff';

const harness = useHarness({
  env: { REFUND_WINDOW_SECONDS: '3', REFUND_APPROVAL_THRESHOLD: '1000' },
});

/** The purposes of the timers that fired, as support's timeline names them. */
async function firedTimers(orderId: string): Promise<string[]> {
  const answer = await request(harness.apiUrl)
    .get(`/v1/support/orders/${orderId}/history`)
    .set('Authorization', `Bearer ${TOKENS.support}`);
  expect(answer.status).toBe(200);
  return (answer.body.entries as { kind: string; details: { purpose?: string } }[])
    .filter((entry) => entry.kind === 'timer_fired')
    .map((entry) => entry.details.purpose ?? '');
}

/**
 * Starts an order's workflow as checkout does, from a checkout body and its provider, with
 * `adjust` moving the order's instants; answers the order id.
 */
async function startDirectly(
  body: { payment: { token: string } } & Record<string, unknown>,
  adjust: (input: OrderWorkflowInput) => OrderWorkflowInput,
): Promise<string> {
  const { payment, ...rest } = body;
  const checkoutRequest = { ...rest, paymentToken: payment.token } as OrderRequest;
  const provider = await harness.database.models.Provider.findById(checkoutRequest.providerId)
    .lean()
    .orFail();
  const orderId = `ord_${randomBytes(12).toString('hex')}`;
  const { config } = harness;
  const input = adjust(
    orderWorkflowInput({
      orderId,
      request: withLocalTimes(checkoutRequest, provider),
      provider,
      settings: {
        paymentWindowMs: config.checkout.paymentWindowMs,
        refundWindowSeconds: config.support.refundWindowSeconds,
        deliveryOverdueGraceSeconds: config.deliveryOverdueGraceSeconds,
        settlementAttentionSeconds: config.settlementAttentionSeconds,
      },
      placedBy: config.apiClients.find((client) => client.role === 'app')!.name,
      checkoutCallId: 'timer-branches#direct',
      now: Date.now(),
    }),
  );
  await harness.temporal.workflow.start('orderWorkflow', {
    workflowId: orderWorkflowId(orderId),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    typedSearchAttributes: startingSearchAttributes(input.request),
  });
  return orderId;
}

const sampleConsultation = (providerId: string, slotStart: Date) =>
  sampleTeleconsultationOrder(providerId, { slotStart, durationMinutes: 5 });

const closedOrder = (orderId: string) =>
  harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
const afterSalesEnded = (orderId: string) =>
  harness.temporal.workflow.getHandle(afterSalesWorkflowId(orderId)).result();

describe('the confirmation deadline', () => {
  test.each([
    ['a hotel', 'hotel', hotelOrder],
    ['a clinic', 'teleconsultation', teleconsultationOrder],
  ] as const)(
    '%s that never answers: the order expires and the hold is released',
    async (_case, vertical, order) => {
      const provider = await harness.registerProvider({ vertical, confirmationTimeoutSeconds: 1 });
      const checkout = await placeOrder(harness.apiUrl, order(provider.providerId));
      expect(checkout.status).toBe(201);
      const orderId: string = checkout.body.orderId;
      const expired = await waitForStatus(harness.apiUrl, orderId, 'expired');
      expect(expired.failure).toMatchObject({ code: 'provider_timeout' });
      const total: number = checkout.body.amounts.total;
      expect(await harness.ledgerOf(orderId)).toEqual([
        ['authorisation', total],
        ['void', total],
      ]);
      expect(await firedTimers(orderId)).toEqual(['confirmation_deadline']);
    },
  );
});

test('ten minutes before the slot the video session opens and the link goes out', async () => {
  const clinic = await harness.registerProvider({ vertical: 'teleconsultation' });
  // The session's time is 3 s away: the timer, not the check at acceptance, opens it.
  const checkout = await placeOrder(
    harness.apiUrl,
    teleconsultationOrder(clinic.providerId, { slotStartsInMs: 10 * 60_000 + 3_000 }),
  );
  const orderId: string = checkout.body.orderId;
  expect((await clinic.client.confirm(orderId, { decision: 'accept' })).body.status).toBe(
    'confirmed',
  );
  const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching', 15_000);
  expect(dispatching.dispatch.sessionLink).toEqual(expect.any(String));
  expect(await firedTimers(orderId)).toEqual(['video_session_time']);
});

describe('the refund window closing declines a refund still waiting for an admin, and the books close', () => {
  test.each([
    ['asked while the order ran: its own workflow waits for the decision', 'before'],
    ["asked after the order's workflow ended: the after-sales workflow waits", 'after'],
  ] as const)('%s', async (_case, asked) => {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const checkout = await placeOrder(harness.apiUrl, groceryOrder(store.providerId));
    const orderId: string = checkout.body.orderId;
    await store.client.confirm(orderId, { decision: 'accept' });
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    // Above the approval threshold: it waits for an admin who never comes.
    const askRefund = () =>
      support(harness.apiUrl).refund(orderId, { amount: 2000, reason: 'quality' });
    const early = asked === 'before' ? await askRefund() : undefined;
    await store.client.reportEvent(orderId, 'delivered');
    await waitForStatus(harness.apiUrl, orderId, 'completed');
    if (asked === 'after') await closedOrder(orderId);
    const held = early ?? (await askRefund());
    expect(held.status).toBe(202);

    const closed = await (asked === 'before' ? closedOrder(orderId) : afterSalesEnded(orderId));
    expect(closed.refunds).toEqual([
      expect.objectContaining({
        amount: 2000,
        status: 'declined',
        decisionNote: 'the refund window closed before an admin decided',
      }),
    ]);
    expect(closed.amounts).toMatchObject({ refunded: 0 });
    expect((await harness.ledgerOf(orderId)).map(([type]) => type)).toEqual([
      'authorisation',
      'capture',
    ]);
    expect(await firedTimers(orderId)).toContain('refund_window');
  });
});

test('a stay nobody reports checked out completes at its check-out time', async () => {
  const hotel = await harness.registerProvider({ vertical: 'hotel', timeZone: 'Asia/Shanghai' });
  // A week ahead, as booked; only the check-out instant is brought to a few seconds away.
  const orderId = await startDirectly(hotelOrder(hotel.providerId), (input) => {
    if (input.request.vertical !== 'hotel') throw new Error('a hotel order');
    const checkOutAt = new Date(Date.now() + 6_000).toISOString();
    return {
      ...input,
      request: { ...input.request, hotel: { ...input.request.hotel, checkOutAt } },
    };
  });
  await waitForStatus(harness.apiUrl, orderId, 'awaiting_confirmation');
  const accepted = await hotel.client.confirm(orderId, {
    decision: 'accept',
    confirmationCode: 'HTL-TIMER',
  });
  expect(accepted.status).toBe(200);
  const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  expect(dispatching.dispatch.voucherCode).toEqual(expect.any(String));

  const completed = await waitForStatus(harness.apiUrl, orderId, 'completed', 30_000);
  // Neither check-in nor check-out was reported: the timer ended the stay, keeping the money.
  expect(completed.dispatch.events).toEqual([]);
  const total: number = completed.amounts.total;
  expect(completed.amounts).toMatchObject({ captured: total, refunded: 0 });
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', total],
    ['capture', total],
  ]);
  expect(await firedTimers(orderId)).toContain('check_out_time');
});

test('a started consultation nobody reports completed completes 30 minutes after its slot', async () => {
  // The slot began 35 minutes ago less a few seconds (5 minutes long): its end plus 30 minutes
  // is seconds away. The doctor's grace is long, so the no-show timer stays out of the way.
  const clinic = await harness.registerProvider({
    vertical: 'teleconsultation',
    doctorNoShowGraceSeconds: 2 * 3600,
  });
  const slotStart = new Date(Date.now() - 35 * 60_000 + 8_000);
  const body = sampleConsultation(clinic.providerId, slotStart);
  // A slot in the past leaves the clinic the shortest deadline (1 s) to accept: on a busy
  // machine its answer can miss it, and then a fresh order is tried.
  let orderId = '';
  for (let attempt = 1; attempt <= 5 && !orderId; attempt++) {
    const candidate = await startDirectly(body, (input) => input);
    const accepted = await eventually(
      async () => {
        const answer = await clinic.client.confirm(candidate, { decision: 'accept' });
        if (answer.status === 200) return 'accepted';
        // Not there yet (404), or its payment still being authorised: ask again at once.
        if (answer.status === 404 || JSON.stringify(answer.body).includes('pending_payment'))
          return undefined;
        return 'late';
      },
      10_000,
      'the clinic to answer',
    );
    if (accepted === 'accepted') orderId = candidate;
  }
  expect(orderId).not.toBe('');
  // The doctor started (the clinic reports it at once); nobody reports the end.
  expect((await clinic.client.reportEvent(orderId, 'consultation_started')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'in_progress', 15_000);

  const completed = await waitForStatus(harness.apiUrl, orderId, 'completed', 30_000);
  expect(completed.dispatch.events.map((e: { type: string }) => e.type)).toEqual([
    'consultation_started',
  ]);
  expect(completed.amounts).toMatchObject({ captured: completed.amounts.total, refunded: 0 });
  expect(await firedTimers(orderId)).toContain('consultation_end');
  expect(await firedTimers(orderId)).not.toContain('no_show_grace');
});
