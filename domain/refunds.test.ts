// Pins checkRefund: amounts, what is already refunded or in progress, and the refund window.
import type { OrderSnapshot, OrderStatus, RefundRecord } from './order';
import { checkRefund, refundableAmount } from './refunds';

const DAY = 86_400_000;
const CLOSED_AT = '2030-03-10T12:00:00.000Z';
const WINDOW = 30 * DAY;

function order(
  status: OrderStatus,
  amounts: { captured: number; refunded?: number },
  refunds: Pick<RefundRecord, 'amount' | 'status'>[] = [],
): OrderSnapshot {
  return {
    orderId: 'ord_1',
    vertical: 'grocery',
    status,
    customerId: 'c',
    providerId: 'p',
    currency: 'CNY',
    amounts: {
      total: 5000,
      authorised: 5000,
      captured: amounts.captured,
      released: 0,
      refunded: amounts.refunded ?? 0,
    },
    dispatch: { events: [] },
    refunds: refunds.map((r, i) => ({
      refundId: `r${i}`,
      reason: 'goodwill',
      requestedBy: { name: 'support', role: 'support' },
      requestedAt: CLOSED_AT,
      ...r,
    })),
    createdAt: CLOSED_AT,
    updatedAt: CLOSED_AT,
    revision: 1,
  };
}

const at = (iso: string) => new Date(iso);
const allowed = { allowed: true };
const refusedWith = (text: string) => ({ allowed: false, reason: expect.stringContaining(text) });

test.each([
  [
    'a partial refund of a delivering order',
    order('dispatching', { captured: 5000 }),
    1200,
    undefined,
    allowed,
  ],
  ['everything captured', order('completed', { captured: 5000 }), 5000, CLOSED_AT, allowed],
  [
    'one unit more than captured',
    order('completed', { captured: 5000 }),
    5001,
    CLOSED_AT,
    refusedWith(
      'only ¥50.00 can still be refunded (captured ¥50.00, refunded ¥0.00, in progress ¥0.00)',
    ),
  ],
  [
    'above what is left after earlier refunds',
    order('completed', { captured: 5000, refunded: 4000 }),
    1001,
    CLOSED_AT,
    refusedWith('only ¥10.00'),
  ],
  [
    'exactly what is left',
    order('completed', { captured: 5000, refunded: 4000 }),
    1000,
    CLOSED_AT,
    allowed,
  ],
  [
    'above what refunds in progress leave',
    order('completed', { captured: 5000 }, [
      { amount: 3000, status: 'pending_approval' },
      { amount: 1500, status: 'refunding' },
    ]),
    501,
    CLOSED_AT,
    refusedWith(
      'only ¥5.00 can still be refunded (captured ¥50.00, refunded ¥0.00, in progress ¥45.00)',
    ),
  ],
  [
    'a declined refund holds nothing back',
    order('completed', { captured: 5000 }, [{ amount: 3000, status: 'declined' }]),
    5000,
    CLOSED_AT,
    allowed,
  ],
  ['zero', order('completed', { captured: 5000 }), 0, CLOSED_AT, refusedWith('positive integer')],
  [
    'a negative amount',
    order('completed', { captured: 5000 }),
    -5,
    CLOSED_AT,
    refusedWith('positive integer'),
  ],
  [
    'a fraction',
    order('completed', { captured: 5000 }),
    10.5,
    CLOSED_AT,
    refusedWith('positive integer'),
  ],
  [
    'an order never captured',
    order('awaiting_confirmation', { captured: 0 }),
    100,
    undefined,
    refusedWith('nothing was captured'),
  ],
  [
    'an expired order',
    order('expired', { captured: 0 }),
    100,
    CLOSED_AT,
    refusedWith('nothing was captured'),
  ],
])('%s', (_case, snapshot, amount, closedAt, expected) => {
  expect(checkRefund(snapshot, amount, at('2030-03-11T00:00:00Z'), WINDOW, closedAt)).toEqual(
    expected,
  );
});

test.each([
  ['the last moment of the window', CLOSED_AT, new Date(Date.parse(CLOSED_AT) + WINDOW), allowed],
  [
    'a millisecond after it',
    CLOSED_AT,
    new Date(Date.parse(CLOSED_AT) + WINDOW + 1),
    refusedWith('refund window closed'),
  ],
  [
    'a running order has no window yet',
    undefined,
    new Date(Date.parse(CLOSED_AT) + 10 * WINDOW),
    allowed,
  ],
])('the refund window: %s', (_case, closedAt, now, expected) => {
  const status: OrderStatus = closedAt ? 'completed' : 'in_progress';
  expect(checkRefund(order(status, { captured: 5000 }), 100, now, WINDOW, closedAt)).toEqual(
    expected,
  );
});

test('refundableAmount never goes below zero', () => {
  expect(
    refundableAmount(
      order('completed', { captured: 100, refunded: 100 }, [{ amount: 50, status: 'refunding' }]),
    ),
  ).toBe(0);
});
