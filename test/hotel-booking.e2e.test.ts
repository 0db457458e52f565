// A hotel booking end to end over HTTP, against the real Temporal server and database. Pins
// the hotel vertical of MISSION.md: checkout authorises nights × nightly rate, the hotel is
// notified by signed webhook and accepts with a confirmation code, the stay is captured at once
// and a voucher issued, the guest checks in and out; the cancellation policy (free until 24 h
// before the 14:00 UTC check-in, then the first night is kept, never after check-in, the hold
// released before capture); and the 4xx answers for bad bookings and bad cancellations. Each
// case checks the HTTP answer, the order document and the sandbox gateway's ledger. The hotel
// keeps UTC time (the harness's default for hotels); other zones: hotel-time-zones.e2e.test.ts.

import request from 'supertest';
import { hotelCheckInAt } from '../domain/schedule';
import { orderWorkflowId } from '../workflows/messages';
import { recordHistory } from './support/histories';
import {
  signatureCheck,
  useHarness,
  startWebhookReceiver,
  TOKENS,
  type RegisteredProvider,
  type WebhookReceiver,
} from './support/harness';
import {
  cancelOrder,
  dateFromToday,
  getOrder,
  hotelOrder,
  placeOrder,
  waitForStatus,
  storedOrders,
} from './support/orders';

const NIGHTS = 3;
const NIGHTLY_RATE = 45_000;
const TOTAL = NIGHTS * NIGHTLY_RATE;
const DAY_MS = 86_400_000;

const harness = useHarness();
let webhooks: WebhookReceiver;
let hotel: RegisteredProvider;

beforeAll(async () => {
  webhooks = await startWebhookReceiver();
  hotel = await harness.registerProvider({ vertical: 'hotel', webhookUrl: webhooks.url });
});

afterAll(async () => {
  await webhooks?.close();
});

/** Books a stay with the shared hotel; checkout must authorise it (201). */
async function newBooking(
  overrides: { checkIn?: string; nights?: number; nightlyRate?: number } = {},
): Promise<string> {
  const response = await placeOrder(harness.apiUrl, hotelOrder(hotel.providerId, overrides));
  expect(response.status).toBe(201);
  return response.body.orderId;
}

/** A booking the hotel accepted, captured and vouchered (status `dispatching`). */
async function vouchered(overrides: { checkIn?: string } = {}): Promise<string> {
  const orderId = await newBooking(overrides);
  const accepted = await hotel.client.confirm(orderId, {
    decision: 'accept',
    confirmationCode: `HTL-${orderId}`,
  });
  expect(accepted.status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  return orderId;
}

/** What a cancellation answer says about money. */
const settlementOf = (body: { fee: number; refunded: number; released: number }) => ({
  fee: body.fee,
  refunded: body.refunded,
  released: body.released,
});

const workflowResult = (orderId: string) =>
  harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();

/**
 * A check-in date whose check-in instant (`${checkIn}T14:00:00Z`) is in the future but less
 * than 24 hours away: today while it is before 14:00 UTC, tomorrow from 14:00 UTC on. (Run in
 * the last seconds before 14:00 UTC, the instant can pass while the test runs.)
 */
function checkInWithin24Hours(): string {
  return new Date().getUTCHours() < 14 ? dateFromToday(0) : dateFromToday(1);
}

describe('booking', () => {
  test('a stay goes from checkout to check-out: captured on confirmation, vouchered, completed at check-out', async () => {
    // Today: the guest checks in during the test, and a stay cannot begin before its day.
    const checkIn = dateFromToday(0);
    const body = hotelOrder(hotel.providerId, {
      checkIn,
      nights: NIGHTS,
      nightlyRate: NIGHTLY_RATE,
    });
    const checkout = await placeOrder(harness.apiUrl, body);
    expect(checkout.status).toBe(201);
    const orderId: string = checkout.body.orderId;
    expect(checkout.body).toMatchObject({
      status: 'awaiting_confirmation',
      vertical: 'hotel',
      providerId: hotel.providerId,
      amounts: { total: TOTAL, authorised: TOTAL, captured: 0, refunded: 0 },
      hotel: {
        checkIn,
        checkOut: dateFromToday(NIGHTS),
        nightlyRate: NIGHTLY_RATE,
        guests: 2,
      },
    });

    // The hotel hears about it by a webhook signed with its secret.
    const created = await webhooks.waitForEvent('order.created', orderId);
    expect(signatureCheck(created, hotel.signingSecret)).toEqual({ valid: true });

    const accepted = await hotel.client.confirm(orderId, {
      decision: 'accept',
      confirmationCode: 'HTL-778812',
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      status: 'confirmed',
      amounts: { authorised: TOTAL, captured: TOTAL, released: 0, refunded: 0 },
      confirmation: { decision: 'accept', confirmationCode: 'HTL-778812' },
    });

    const dispatching = await waitForStatus(harness.apiUrl, orderId, 'dispatching');
    expect(dispatching.dispatch.voucherCode).toEqual(expect.any(String));
    expect(dispatching.dispatch.voucherCode).not.toBe('');

    const checkedIn = await hotel.client.reportEvent(orderId, 'checked_in');
    expect(checkedIn.status).toBe(200);
    expect(checkedIn.body.status).toBe('in_progress');
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('in_progress');

    const checkedOut = await hotel.client.reportEvent(orderId, 'checked_out');
    expect(checkedOut.status).toBe(200);
    expect(checkedOut.body.status).toBe('completed');

    expect(await workflowResult(orderId)).toMatchObject({
      status: 'completed',
      amounts: { authorised: TOTAL, captured: TOTAL, released: 0, refunded: 0 },
    });
    const completed = await waitForStatus(harness.apiUrl, orderId, 'completed');
    expect(completed.dispatch.voucherCode).toBe(dispatching.dispatch.voucherCode);
    expect(completed.dispatch.events.map((e: { type: string }) => e.type)).toEqual([
      'checked_in',
      'checked_out',
    ]);
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
    ]);
    await recordHistory(harness.temporal, orderId, 'hotel-completed');
  });

  test('an accept without a confirmation code, or with grocery items, is 422 and the booking still awaits an answer', async () => {
    const orderId = await newBooking();

    const noCode = await hotel.client.confirm(orderId, { decision: 'accept' });
    expect(noCode.status).toBe(422);
    expect(noCode.body.error.code).toBe('invalid_request');
    expect(noCode.body.error.message).toMatch(/confirmationCode/);
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      status: 'awaiting_confirmation',
      amounts: { authorised: TOTAL, captured: 0 },
    });

    const withItems = await hotel.client.confirm(orderId, {
      decision: 'accept',
      confirmationCode: 'HTL-1',
      items: [{ sku: 'room', availableQuantity: 1 }],
    });
    expect(withItems.status).toBe(422);
    expect(withItems.body.error.code).toBe('invalid_request');
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
    expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', TOTAL]]);

    // Neither refusal was taken as the hotel's answer: a proper accept still goes through.
    const proper = await hotel.client.confirm(orderId, {
      decision: 'accept',
      confirmationCode: 'HTL-2',
    });
    expect(proper.status).toBe(200);
    expect(proper.body).toMatchObject({ status: 'confirmed', amounts: { captured: TOTAL } });
  });

  test('a hotel that rejects the booking ends it rejected with the authorisation voided; a later accept is 409', async () => {
    const orderId = await newBooking();
    const rejected = await hotel.client.confirm(orderId, {
      decision: 'reject',
      reason: 'fully booked',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      failure: { code: 'provider_rejected', message: 'fully booked' },
      amounts: { authorised: TOTAL, captured: 0, released: TOTAL, refunded: 0 },
    });
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      status: 'rejected',
      amounts: { captured: 0, released: TOTAL },
    });
    expect(await workflowResult(orderId)).toMatchObject({ status: 'rejected' });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['void', TOTAL],
    ]);

    const late = await hotel.client.confirm(orderId, {
      decision: 'accept',
      confirmationCode: 'HTL-3',
    });
    expect(late.status).toBe(409);
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['void', TOTAL],
    ]);
    await recordHistory(harness.temporal, orderId, 'hotel-rejected');
  });
});

describe('cancellation policy', () => {
  test('more than 24 hours before check-in a captured booking is cancelled free: all refunded, and the hotel is told', async () => {
    const orderId = await vouchered({ checkIn: dateFromToday(7) });

    const cancelled = await cancelOrder(harness.apiUrl, orderId, 'plans changed');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ fee: 0, refunded: TOTAL, released: 0 });
    expect(cancelled.body.order).toMatchObject({
      status: 'cancelled',
      amounts: { captured: TOTAL, refunded: TOTAL },
      cancellation: { reason: 'plans changed', requestedBy: 'customer', fee: 0 },
    });

    expect((await waitForStatus(harness.apiUrl, orderId, 'cancelled')).amounts).toMatchObject({
      authorised: TOTAL,
      captured: TOTAL,
      refunded: TOTAL,
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
      ['refund', TOTAL],
    ]);

    const notice = await webhooks.waitForEvent('order.cancelled', orderId);
    expect(notice.body.order.status).toBe('cancelled');
    expect(signatureCheck(notice, hotel.signingSecret)).toEqual({ valid: true });
  });

  test('within 24 hours of check-in the first night is kept and the rest refunded', async () => {
    const checkIn = checkInWithin24Hours();
    const untilCheckIn = hotelCheckInAt({ checkIn }) - Date.now();
    expect(untilCheckIn).toBeGreaterThan(0);
    expect(untilCheckIn).toBeLessThan(DAY_MS);

    const orderId = await vouchered({ checkIn });
    const cancelled = await cancelOrder(harness.apiUrl, orderId, 'flight cancelled');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      fee: NIGHTLY_RATE,
      refunded: TOTAL - NIGHTLY_RATE,
      released: 0,
    });
    expect(cancelled.body.order).toMatchObject({
      status: 'cancelled',
      cancellation: { fee: NIGHTLY_RATE },
    });
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      status: 'cancelled',
      amounts: { captured: TOTAL, refunded: TOTAL - NIGHTLY_RATE },
    });
    expect(await workflowResult(orderId)).toMatchObject({
      status: 'cancelled',
      amounts: { captured: TOTAL, refunded: TOTAL - NIGHTLY_RATE },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
      ['refund', TOTAL - NIGHTLY_RATE],
    ]);
    await recordHistory(harness.temporal, orderId, 'hotel-cancelled-late');
  });

  test('after the guest has checked in a cancellation is 409 not_cancellable and nothing is refunded', async () => {
    const orderId = await vouchered({ checkIn: dateFromToday(0) });
    expect((await hotel.client.reportEvent(orderId, 'checked_in')).body.status).toBe('in_progress');

    const refused = await cancelOrder(harness.apiUrl, orderId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_cancellable');
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      status: 'in_progress',
      amounts: { captured: TOTAL, refunded: 0 },
    });
    expect((await getOrder(harness.apiUrl, orderId)).body.cancellation).toBeUndefined();
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
    ]);
  });

  test('a booking still awaiting the hotel is cancelled free: the hold is released and nothing captured', async () => {
    const orderId = await newBooking();
    const cancelled = await cancelOrder(harness.apiUrl, orderId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ fee: 0, refunded: 0, released: TOTAL });
    expect(cancelled.body.order).toMatchObject({
      status: 'cancelled',
      amounts: { authorised: TOTAL, captured: 0, released: TOTAL, refunded: 0 },
    });
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('cancelled');
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['void', TOTAL],
    ]);

    // The hotel can no longer accept it.
    const late = await hotel.client.confirm(orderId, {
      decision: 'accept',
      confirmationCode: 'HTL-4',
    });
    expect(late.status).toBe(409);
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['void', TOTAL],
    ]);
  });

  test('a cancellation sent twice at once answers the same both times and refunds only once', async () => {
    const orderId = await vouchered();
    const [first, second] = await Promise.all([
      cancelOrder(harness.apiUrl, orderId),
      cancelOrder(harness.apiUrl, orderId),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(settlementOf(first.body)).toEqual({ fee: 0, refunded: TOTAL, released: 0 });
    expect(settlementOf(second.body)).toEqual(settlementOf(first.body));
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
      ['refund', TOTAL],
    ]);
  });

  test('a cancellation retried after the order has settled moves no more money', async () => {
    const orderId = await vouchered();
    const first = await cancelOrder(harness.apiUrl, orderId);
    expect(first.status).toBe(200);
    await workflowResult(orderId);

    const retry = await cancelOrder(harness.apiUrl, orderId);
    expect(retry.status).toBeLessThan(500);
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      status: 'cancelled',
      amounts: { captured: TOTAL, refunded: TOTAL },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
      ['refund', TOTAL],
    ]);
  });

  // Whether the workflow is still open (delivering the hotel's cancellation webhook) or has
  // closed, a retried cancel gets the first answer.
  test('a cancellation retried after the order has settled answers 200 with the same result', async () => {
    const orderId = await vouchered();
    const first = await cancelOrder(harness.apiUrl, orderId);
    expect(first.status).toBe(200);
    await workflowResult(orderId);

    const retry = await cancelOrder(harness.apiUrl, orderId);
    expect(retry.status).toBe(200);
    expect(settlementOf(retry.body)).toEqual(settlementOf(first.body));
  });

  test('a completed stay cannot be cancelled (409) and nothing is refunded', async () => {
    const orderId = await vouchered({ checkIn: dateFromToday(0) });
    expect((await hotel.client.reportEvent(orderId, 'checked_out')).body.status).toBe('completed');
    await workflowResult(orderId);

    const refused = await cancelOrder(harness.apiUrl, orderId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_cancellable');
    expect((await getOrder(harness.apiUrl, orderId)).body).toMatchObject({
      status: 'completed',
      amounts: { captured: TOTAL, refunded: 0 },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', TOTAL],
      ['capture', TOTAL],
    ]);
  });
});

describe('bad bookings', () => {
  let validationHotel: RegisteredProvider;
  beforeAll(async () => {
    validationHotel = await harness.registerProvider({ vertical: 'hotel' });
  });

  async function expectRejectedBooking(
    body: ReturnType<typeof hotelOrder>,
    path: string,
    code = 'validation_failed',
  ) {
    const response = await placeOrder(harness.apiUrl, body);
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    // Nothing was booked and nothing authorised.
    expect(await storedOrders(harness, validationHotel.providerId)).toBe(0);
  }

  test('a check-out that is not after check-in is 422 naming hotel.checkOut', async () => {
    const body = hotelOrder(validationHotel.providerId, { checkIn: dateFromToday(5) });
    body.hotel.checkOut = body.hotel.checkIn;
    await expectRejectedBooking(body, 'hotel.checkOut');
  });

  test('a check-in in the past is 422 out_of_horizon naming hotel.checkIn', async () => {
    const body = hotelOrder(validationHotel.providerId, { checkIn: dateFromToday(-1) });
    await expectRejectedBooking(body, 'hotel.checkIn', 'out_of_horizon');
  });

  test('a booking for no guests is 422 naming hotel.guests', async () => {
    const body = hotelOrder(validationHotel.providerId);
    body.hotel.guests = 0;
    await expectRejectedBooking(body, 'hotel.guests');
  });
});

describe('bad cancellations', () => {
  const cancelPath = (orderId: string) => `/v1/orders/${orderId}/cancel`;

  test('a cancellation without a reason, or with an empty one, is 422 and changes nothing', async () => {
    const orderId = await newBooking();
    for (const body of [{}, { reason: '' }, { reason: '   ' }]) {
      const response = await request(harness.apiUrl)
        .post(cancelPath(orderId))
        .set('Authorization', `Bearer ${TOKENS.app}`)
        .send(body);
      expect(response.status).toBe(422);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain('reason');
    }
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
    expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', TOTAL]]);
  });

  test('cancelling an order that does not exist is 404', async () => {
    const response = await cancelOrder(harness.apiUrl, 'ord_does_not_exist');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('order_not_found');
  });

  test('a support token cannot use the app cancellation (403) and the booking is untouched', async () => {
    const orderId = await newBooking();
    const response = await cancelOrder(harness.apiUrl, orderId, 'not mine', TOKENS.support);
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
    expect(await harness.ledgerOf(orderId)).toEqual([['authorisation', TOTAL]]);
  });
});
