// Support refunds end to end: partial refunds through the order's workflow, never above what
// was captured even when many arrive at once, safe to click twice, held for an admin above
// the approval threshold, possible after completion within the refund window, audited.

import { setTimeout } from 'node:timers/promises';
import { recordHistory } from './support/histories';
import { useHarness, TOKENS, type RegisteredProvider } from './support/harness';
import {
  cancelOrder,
  dispatchedGroceryOrder,
  GROCERY_TOTAL,
  groceryOrder,
  placeOrder,
  waitForStatus,
} from './support/orders';
import { loggedCallbacks, support } from './support/staff';

const harness = useHarness({
  env: { REFUND_WINDOW_SECONDS: '600', REFUND_APPROVAL_THRESHOLD: '3000' },
});
let store: RegisteredProvider;
let staff: ReturnType<typeof support>;
let admin: ReturnType<typeof support>;

beforeAll(async () => {
  store = await harness.registerProvider({ vertical: 'grocery' });
  staff = support(harness.apiUrl);
  admin = support(harness.apiUrl, TOKENS.admin);
});

const dispatchedOrder = () => dispatchedGroceryOrder(harness.apiUrl, store);

const refunds = (ledger: [string, number][]) =>
  ledger.filter(([type]) => type === 'refund').map(([, amount]) => amount);

test('a partial refund is paid once, however often it is sent, and a reused key is refused', async () => {
  const orderId = await dispatchedOrder();
  const body = { amount: 1200, reason: 'item_missing', note: 'no milk in the bag' };

  const first = await staff.refund(orderId, body, 'refund-key-1');
  expect(first.status).toBe(201);
  expect(first.body.refund).toMatchObject({
    amount: 1200,
    reason: 'item_missing',
    status: 'refunded',
    requestedBy: { name: 'support', role: 'support' },
  });
  expect(first.body.order.amounts).toMatchObject({ captured: GROCERY_TOTAL, refunded: 1200 });

  const again = await staff.refund(orderId, body, 'refund-key-1');
  expect(again.status).toBe(201);
  expect(again.body.refund.refundId).toBe(first.body.refund.refundId);
  const reused = await staff.refund(orderId, { ...body, amount: 1300 }, 'refund-key-1');
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('idempotency_key_reused');

  expect(refunds(await harness.ledgerOf(orderId))).toEqual([1200]);
  const detail = await staff.order(orderId);
  expect(detail.status).toBe(200);
  expect(detail.body.ledger.map((e: { type: string }) => e.type)).toEqual([
    'authorisation',
    'capture',
    'refund',
  ]);
  expect(
    detail.body.audit.map((a: { action: string; result: { status: number } }) => [
      a.action,
      a.result.status,
    ]),
  ).toEqual([
    ['refund.requested', 201],
    ['refund.requested', 201],
    ['refund.requested', 409],
  ]);
  expect(detail.body.audit[0]).toMatchObject({
    actor: { name: 'support', role: 'support' },
    reason: 'item_missing',
    requestId: expect.any(String),
  });
  expect(await loggedCallbacks(harness.apiUrl, orderId)).toEqual([
    expect.objectContaining({ kind: 'confirmation', status: 200, accepted: true }),
  ]);
});

test('ten refunds at once that together exceed the capture never refund more than was captured', async () => {
  const orderId = await dispatchedOrder();
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => staff.refund(orderId, { amount: 900, reason: 'goodwill' })),
  );
  const paid = answers.filter((a) => a.status === 201);
  const refused = answers.filter((a) => a.status === 409);
  expect(paid.length + refused.length).toBe(10);
  expect(paid.length).toBe(Math.floor(GROCERY_TOTAL / 900)); // 4 × 900 = 3600 ≤ 4148
  for (const answer of refused) expect(answer.body.error.code).toBe('refund_not_allowed');
  const ledger = refunds(await harness.ledgerOf(orderId));
  expect(ledger.reduce((a, b) => a + b, 0)).toBe(paid.length * 900);
  expect(ledger.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(GROCERY_TOTAL);

  const tooMuch = await staff.refund(orderId, { amount: GROCERY_TOTAL, reason: 'goodwill' });
  expect(tooMuch.status).toBe(409);
  expect(tooMuch.body.error.message).toMatch(/only ¥5\.48 can still be refunded/);
});

test('above the threshold a refund waits for an admin: approved it is paid, declined nothing moves', async () => {
  const orderId = await dispatchedOrder();
  const held = await staff.refund(orderId, { amount: 3500, reason: 'quality' });
  expect(held.status).toBe(202);
  expect(held.body.refund.status).toBe('pending_approval');
  expect(refunds(await harness.ledgerOf(orderId))).toEqual([]);
  // Held money is spoken for: another refund cannot take it.
  expect((await staff.refund(orderId, { amount: 1000, reason: 'late' })).status).toBe(409);

  const refundId: string = held.body.refund.refundId;
  const bySupport = await staff.decide(orderId, refundId, 'approve');
  expect(bySupport.status).toBe(403);
  const approved = await admin.decide(orderId, refundId, 'approve', 'checked the photos');
  expect(approved.status).toBe(200);
  expect(approved.body.refund).toMatchObject({
    status: 'refunded',
    decidedBy: { name: 'admin', role: 'admin' },
    decisionNote: 'checked the photos',
  });
  expect((await admin.decide(orderId, refundId, 'approve')).status).toBe(200); // harmless
  expect((await admin.decide(orderId, refundId, 'decline')).status).toBe(409);
  expect(refunds(await harness.ledgerOf(orderId))).toEqual([3500]);

  const other = await dispatchedOrder();
  const second = await staff.refund(other, { amount: 4000, reason: 'quality' });
  const declined = await admin.decide(other, second.body.refund.refundId, 'decline');
  expect(declined.status).toBe(200);
  expect(declined.body.refund.status).toBe('declined');
  expect(refunds(await harness.ledgerOf(other))).toEqual([]);
  // An admin's own refund above the threshold needs nobody else.
  const byAdmin = await admin.refund(other, { amount: 4000, reason: 'quality' });
  expect(byAdmin.status).toBe(201);
  expect(refunds(await harness.ledgerOf(other))).toEqual([4000]);
});

test('a completed order can still be refunded within the refund window', async () => {
  const orderId = await dispatchedOrder();
  await store.client.reportEvent(orderId, 'delivered');
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  const refund = await staff.refund(orderId, { amount: GROCERY_TOTAL, reason: 'quality' });
  expect(refund.status).toBe(202); // above the threshold
  const approved = await admin.decide(orderId, refund.body.refund.refundId, 'approve');
  expect(approved.body.order).toMatchObject({
    status: 'completed',
    amounts: { captured: GROCERY_TOTAL, refunded: GROCERY_TOTAL },
  });
  expect((await staff.refund(orderId, { amount: 1, reason: 'goodwill' })).status).toBe(409);
});

test('apps cannot use support endpoints, and support cannot find what does not exist', async () => {
  const app = support(harness.apiUrl, TOKENS.app);
  expect((await app.search()).status).toBe(403);
  expect((await app.refund('ord_x', { amount: 1, reason: 'goodwill' })).status).toBe(403);
  expect((await staff.order('ord_nope')).status).toBe(404);
  expect((await staff.refund('ord_nope', { amount: 1, reason: 'goodwill' })).status).toBe(404);
  const bad = await staff.refund('ord_nope', { amount: -1, reason: 'because' });
  expect(bad.status).toBe(422);
});

describe('a short refund window', () => {
  const short = useHarness({ env: { REFUND_WINDOW_SECONDS: '2' } });

  test('once the window after completion has passed, refunds are refused and the books close', async () => {
    const shop = await short.registerProvider({ vertical: 'grocery' });
    const checkout = await placeOrder(short.apiUrl, groceryOrder(shop.providerId));
    const orderId: string = checkout.body.orderId;
    await shop.client.confirm(orderId, { decision: 'accept' });
    await waitForStatus(short.apiUrl, orderId, 'dispatching');
    await shop.client.reportEvent(orderId, 'delivered');
    const inTime = await support(short.apiUrl).refund(orderId, { amount: 100, reason: 'late' });
    expect(inTime.status).toBe(201);
    expect(inTime.body.order.amounts).toMatchObject({ refunded: 100 });

    const windowEnds = Date.parse(inTime.body.order.refundableUntil as string);
    await setTimeout(Math.max(0, windowEnds - Date.now()) + 200);
    const late = await support(short.apiUrl).refund(orderId, { amount: 100, reason: 'late' });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('refund_not_allowed');
    expect(late.body.error.message).toMatch(/refund window closed/);
    expect(refunds(await short.ledgerOf(orderId))).toEqual([100]);
    await recordHistory(short.temporal, orderId, 'grocery-refunded-after-completion');
  });
});

test('a cancellation supersedes a refund waiting for approval: everything goes back once', async () => {
  const orderId = await dispatchedOrder();
  const held = await staff.refund(orderId, { amount: 3500, reason: 'quality' });
  expect(held.status).toBe(202);
  const cancelled = await cancelOrder(harness.apiUrl, orderId);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ fee: 0, refunded: GROCERY_TOTAL });
  expect(cancelled.body.order.refunds).toEqual([
    expect.objectContaining({
      status: 'declined',
      decisionNote: expect.stringContaining('superseded'),
    }),
  ]);
  expect(refunds(await harness.ledgerOf(orderId))).toEqual([GROCERY_TOTAL]);
});
