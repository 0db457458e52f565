// Hotels in their own time zone, over HTTP against the real servers: admins register a hotel's
// IANA zone and its check-in and check-out times (refused when unknown or malformed, flagged
// when a hotel registered before zones has none); checkout puts the stay's local instants on
// the order; a Shanghai hotel's free cancellation ends 24 hours before its local check-in
// (checked a minute either side, through the quote and through real cancellations whose money
// the gateway's books show); a Berlin stay whose 24 hours span a DST change quotes its
// `freeUntil` in Berlin's clock; and a hotel's "today" is its own.
//
// The boundary cannot be waited for (it is a day away), so each hotel's checkInTime is chosen
// for the test: 24 hours before it is a minute or two from now, ahead for one hotel and just
// past for the other.

import { DateTime } from 'luxon';
import request from 'supertest';
import { TOKENS, useHarness } from './support/harness';
import { hotelOrder, placeOrder, waitForStatus } from './support/orders';

const harness = useHarness();
const api = () => request(harness.apiUrl);
const asAdmin = (call: request.Test) => call.set('Authorization', `Bearer ${TOKENS.admin}`);

let ids = 0;
const newId = (label: string) => `tz-${label}-${++ids}`;

const registerRaw = (body: object) => asAdmin(api().post('/v1/admin/providers')).send(body);
const readProvider = (providerId: string) =>
  asAdmin(api().get(`/v1/admin/providers/${providerId}`));
const quote = (orderId: string) =>
  api()
    .get(`/v1/orders/${orderId}/cancellation-quote`)
    .set('Authorization', `Bearer ${TOKENS.app}`);
const cancel = (orderId: string) =>
  api()
    .post(`/v1/orders/${orderId}/cancel`)
    .set('Authorization', `Bearer ${TOKENS.app}`)
    .send({ reason: 'plans changed' });

const NIGHTLY_RATE = 45_000;

/** A stay of one night from `checkIn`, booked, accepted by the hotel and captured. */
async function capturedStay(
  hotel: Awaited<ReturnType<typeof harness.registerProvider>>,
  checkIn: string,
) {
  const checkout = await placeOrder(
    harness.apiUrl,
    hotelOrder(hotel.providerId, { checkIn, nights: 1, nightlyRate: NIGHTLY_RATE }),
  );
  expect(checkout.status).toBe(201);
  const orderId: string = checkout.body.orderId;
  const accepted = await hotel.client.confirm(orderId, {
    decision: 'accept',
    confirmationCode: `HTL-${orderId}`,
  });
  expect(accepted.status).toBe(200);
  return waitForStatus(harness.apiUrl, orderId, 'dispatching');
}

describe('registering a hotel', () => {
  test('names its IANA zone (kept canonical) and gets 14:00 / 12:00 local by default; other providers default to UTC', async () => {
    const providerId = newId('hotel');
    const created = await registerRaw({
      providerId,
      vertical: 'hotel',
      name: 'West Lake Inn',
      timeZone: 'asia/shanghai',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      timeZone: 'Asia/Shanghai',
      checkInTime: '14:00',
      checkOutTime: '12:00',
      needsTimeZone: false,
    });
    const storeId = newId('store');
    expect(
      (await registerRaw({ providerId: storeId, vertical: 'grocery', name: 'Corner shop' })).body,
    ).toMatchObject({ timeZone: 'UTC', needsTimeZone: false });
    const store = (await readProvider(storeId)).body;
    expect(store).not.toHaveProperty('checkInTime');
  });

  test.each([
    ['a hotel without a zone', 'validation_failed', { timeZone: undefined }, 'timeZone'],
    ['an unknown zone', 'unknown_time_zone', { timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    ['a fixed offset', 'unknown_time_zone', { timeZone: '+08:00' }, 'timeZone'],
    ['a check-in at 25:00', 'validation_failed', { checkInTime: '25:00' }, 'checkInTime'],
    ['a check-out at 9:5', 'validation_failed', { checkOutTime: '9:5' }, 'checkOutTime'],
    [
      'check-in times for a store',
      'validation_failed',
      { vertical: 'grocery', checkInTime: '15:00' },
      'checkInTime',
    ],
  ])('%s is 422 %s, and nothing is registered', async (_case, code, change, path) => {
    const providerId = newId('refused');
    const response = await registerRaw({
      providerId,
      vertical: 'hotel',
      name: 'Refused Hotel',
      timeZone: 'Asia/Shanghai',
      ...change,
    });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.details).toContainEqual(expect.objectContaining({ path }));
    expect((await readProvider(providerId)).status).toBe(404);
  });

  test('a hotel registered before zones is flagged and listed until an admin sets its zone; its orders meanwhile read UTC', async () => {
    const providerId = newId('legacy');
    // As such a hotel is stored: no zone, no times.
    await harness.database.models.Provider.create({
      _id: providerId,
      vertical: 'hotel',
      name: 'Old Hotel',
      active: true,
      createdAt: new Date(),
    });
    expect((await readProvider(providerId)).body).toMatchObject({
      timeZone: 'UTC',
      needsTimeZone: true,
      checkInTime: '14:00',
    });
    const flagged = await asAdmin(api().get('/v1/admin/providers?needsTimeZone=true&limit=100'));
    expect(flagged.status).toBe(200);
    const flaggedIds = flagged.body.providers.map((p: { providerId: string }) => p.providerId);
    expect(flaggedIds).toContain(providerId);
    for (const p of flagged.body.providers) expect(p).toMatchObject({ needsTimeZone: true });

    const checkIn = DateTime.utc().plus({ days: 7 }).toISODate()!;
    const utcOrder = await placeOrder(harness.apiUrl, hotelOrder(providerId, { checkIn }));
    expect(utcOrder.status).toBe(201);
    expect(utcOrder.body.hotel).toMatchObject({
      timeZone: 'UTC',
      checkInAt: `${checkIn}T14:00:00Z`,
    });

    const patched = await asAdmin(api().patch(`/v1/admin/providers/${providerId}`)).send({
      timeZone: 'Asia/Shanghai',
      checkInTime: '15:00',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      timeZone: 'Asia/Shanghai',
      needsTimeZone: false,
      checkInTime: '15:00',
    });
    const after = await asAdmin(api().get('/v1/admin/providers?needsTimeZone=true&limit=100'));
    expect(after.body.providers.map((p: { providerId: string }) => p.providerId)).not.toContain(
      providerId,
    );
    const localOrder = await placeOrder(harness.apiUrl, hotelOrder(providerId, { checkIn }));
    expect(localOrder.body.hotel).toMatchObject({
      timeZone: 'Asia/Shanghai',
      checkInAt: `${checkIn}T15:00:00+08:00`,
    });
    const badZone = await asAdmin(api().patch(`/v1/admin/providers/${providerId}`)).send({
      timeZone: 'Asia/Atlantis',
    });
    expect(badZone.status).toBe(422);
    expect(badZone.body.error.code).toBe('unknown_time_zone');
  });
});

describe("a Shanghai hotel's free cancellation ends 24 hours before its local check-in", () => {
  const ZONE = 'Asia/Shanghai';
  /** A check-in (to the minute, in Shanghai) whose boundary, 24 hours earlier, is `from` now. */
  const checkInFor = (boundary: DateTime) => boundary.plus({ hours: 24 }).setZone(ZONE);

  test('a minute or two before the boundary: free, with freeUntil in Shanghai time; cancelling refunds everything', async () => {
    const boundary = DateTime.now().plus({ minutes: 1 }).startOf('minute').plus({ minutes: 1 });
    const checkIn = checkInFor(boundary);
    const hotel = await harness.registerProvider({
      vertical: 'hotel',
      timeZone: ZONE,
      checkInTime: checkIn.toFormat('HH:mm'),
    });
    const order = await capturedStay(hotel, checkIn.toISODate()!);
    expect(order.hotel).toMatchObject({
      timeZone: ZONE,
      checkInAt: checkIn.toISO({ suppressMilliseconds: true }),
    });
    expect(order.hotel.checkInAt).toMatch(/\+08:00$/);

    const quoted = await quote(order.orderId);
    expect(quoted.status).toBe(200);
    expect(quoted.body).toMatchObject({
      cancellable: true,
      fee: 0,
      refund: NIGHTLY_RATE,
      freeUntil: boundary.setZone(ZONE).toISO({ suppressMilliseconds: true }),
    });
    expect(quoted.body.freeUntil).toMatch(/\+08:00$/);
    expect(Date.now()).toBeLessThan(boundary.toMillis());

    const cancelled = await cancel(order.orderId);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ fee: 0, refunded: NIGHTLY_RATE });
    expect(await harness.ledgerOf(order.orderId)).toEqual([
      ['authorisation', NIGHTLY_RATE],
      ['capture', NIGHTLY_RATE],
      ['refund', NIGHTLY_RATE],
    ]);
  });

  test('a minute or two after the boundary: the first night is kept, no freeUntil', async () => {
    const boundary = DateTime.now().minus({ minutes: 1 }).startOf('minute');
    const checkIn = checkInFor(boundary);
    const hotel = await harness.registerProvider({
      vertical: 'hotel',
      timeZone: ZONE,
      checkInTime: checkIn.toFormat('HH:mm'),
    });
    // Two nights, so that the first night kept leaves one to refund.
    const checkout = await placeOrder(
      harness.apiUrl,
      hotelOrder(hotel.providerId, {
        checkIn: checkIn.toISODate()!,
        nights: 2,
        nightlyRate: NIGHTLY_RATE,
      }),
    );
    expect(checkout.status).toBe(201);
    const orderId: string = checkout.body.orderId;
    await hotel.client.confirm(orderId, { decision: 'accept', confirmationCode: 'HTL-1' });
    await waitForStatus(harness.apiUrl, orderId, 'dispatching');

    const quoted = await quote(orderId);
    expect(quoted.body).toMatchObject({
      cancellable: true,
      fee: NIGHTLY_RATE,
      refund: NIGHTLY_RATE,
    });
    expect(quoted.body).not.toHaveProperty('freeUntil');

    const cancelled = await cancel(orderId);
    expect(cancelled.body).toMatchObject({ fee: NIGHTLY_RATE, refunded: NIGHTLY_RATE });
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', 2 * NIGHTLY_RATE],
      ['capture', 2 * NIGHTLY_RATE],
      ['refund', NIGHTLY_RATE],
    ]);
  });
});

/**
 * The next day within the booking horizon on which Berlin's clocks change, October's (back an
 * hour) unless it lies beyond 365 days, as it does for a few days each autumn; then March's.
 */
function nextBerlinClockChange(): { day: DateTime; dayHours: number } {
  const today = DateTime.now().setZone('Europe/Berlin').startOf('day');
  const lastSunday = (year: number, month: number) => {
    const end = DateTime.fromObject({ year, month }, { zone: 'Europe/Berlin' }).endOf('month');
    return end.minus({ days: end.weekday % 7 }).startOf('day');
  };
  const inHorizon = (day: DateTime) =>
    day > today.plus({ days: 1 }) && day < today.plus({ days: 360 });
  const octobers = [today.year, today.year + 1].map((year) => lastSunday(year, 10));
  const october = octobers.find(inHorizon);
  if (october) return { day: october, dayHours: 25 };
  const march = [today.year, today.year + 1].map((year) => lastSunday(year, 3)).find(inHorizon)!;
  return { day: march, dayHours: 23 };
}

test("a Berlin stay whose 24 hours span the clocks' change: the order's instants and the quote's freeUntil are in Berlin's clock", async () => {
  const { day, dayHours } = nextBerlinClockChange();
  const hotel = await harness.registerProvider({ vertical: 'hotel', timeZone: 'Europe/Berlin' });
  const order = await capturedStay(hotel, day.toISODate()!);

  const checkInAt = day.set({ hour: 14 });
  const iso = (at: DateTime) => at.toISO({ suppressMilliseconds: true });
  expect(order.hotel).toEqual(
    expect.objectContaining({
      timeZone: 'Europe/Berlin',
      checkInAt: iso(checkInAt),
      checkInDayStartsAt: iso(day),
      checkInDayEndsAt: iso(day.plus({ days: 1 })),
    }),
  );
  expect(
    Date.parse(order.hotel.checkInDayEndsAt) - Date.parse(order.hotel.checkInDayStartsAt),
  ).toBe(dayHours * 3_600_000);
  // 24 hours as they pass: the clock before the change shows another hour than 14:00.
  const freeUntil = checkInAt.minus({ hours: 24 });
  expect(freeUntil.hour).toBe(dayHours === 25 ? 15 : 13);
  expect(freeUntil.offset).not.toBe(checkInAt.offset);
  const quoted = await quote(order.orderId);
  expect(quoted.body).toMatchObject({ cancellable: true, fee: 0, freeUntil: iso(freeUntil) });
});

test("a hotel's today is its own: the same date is bookable in Pago Pago and already past in Kiritimati", async () => {
  // Kiritimati (UTC+14) is 25 hours ahead of Pago Pago (UTC-11): Pago Pago's today is always
  // Kiritimati's yesterday.
  const pagoPagoToday = DateTime.now().setZone('Pacific/Pago_Pago').toISODate()!;
  const pagoPago = await harness.registerProvider({
    vertical: 'hotel',
    timeZone: 'Pacific/Pago_Pago',
  });
  const kiritimati = await harness.registerProvider({
    vertical: 'hotel',
    timeZone: 'Pacific/Kiritimati',
  });
  const booking = (providerId: string) =>
    placeOrder(harness.apiUrl, hotelOrder(providerId, { checkIn: pagoPagoToday, nights: 1 }));
  expect((await booking(pagoPago.providerId)).status).toBe(201);
  const refused = await booking(kiritimati.providerId);
  expect(refused.status).toBe(422);
  expect(refused.body.error).toMatchObject({
    code: 'out_of_horizon',
    details: [{ path: 'hotel.checkIn', message: 'must not be before today' }],
  });
});

test("a guest checks in on Kiritimati's today, from the hotel's local midnight on (UTC's tomorrow from 10:00Z)", async () => {
  const hotel = await harness.registerProvider({
    vertical: 'hotel',
    timeZone: 'Pacific/Kiritimati',
  });
  const today = DateTime.now().setZone('Pacific/Kiritimati');
  const order = await capturedStay(hotel, today.toISODate()!);
  expect(order.hotel.checkInDayStartsAt).toBe(
    today.startOf('day').toISO({ suppressMilliseconds: true }),
  );
  const checkedIn = await hotel.client.reportEvent(order.orderId, 'checked_in');
  expect(checkedIn.status).toBe(200);
  expect(checkedIn.body.status).toBe('in_progress');
});
