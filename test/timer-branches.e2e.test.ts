// The order workflow's durable timers, each run for real against the dev server with instants
// made short through the order (a provider's deadline, a slot's time, the refund window), not
// by waiting hours. Each test checks what the branch does to the order and the money, and that
// support's timeline names the timer by the purpose the workflow gave it. (Timers covered
// elsewhere: the grocery deadline in provider-callbacks, delivery overdue in support-orders,
// the doctor's no-show in teleconsultation, the purge schedule in idempotency-retention.)

import request from 'supertest';
import { afterSalesWorkflowId, orderWorkflowId } from '../workflows/messages';
import { TOKENS, useHarness } from './support/harness';
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
