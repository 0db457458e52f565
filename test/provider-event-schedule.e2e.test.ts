// Provider events must fit the order's schedule (API.md, "Provider callbacks"): a guest
// cannot check in before the check-in day, nor check out before checking in, and a
// consultation cannot start long before its slot. Otherwise 422 event_out_of_schedule, and
// nothing changes: a hotel cannot complete (and keep) a stay that has not begun.

import { useHarness, type RegisteredProvider } from './support/harness';
import {
  dateFromToday,
  getOrder,
  hotelOrder,
  placeOrder,
  teleconsultationOrder,
  waitForStatus,
} from './support/orders';

const harness = useHarness();
let hotel: RegisteredProvider;
let clinic: RegisteredProvider;

beforeAll(async () => {
  hotel = await harness.registerProvider({ vertical: 'hotel' });
  clinic = await harness.registerProvider({ vertical: 'teleconsultation' });
});

async function vouchered(checkIn: string): Promise<string> {
  const checkout = await placeOrder(harness.apiUrl, hotelOrder(hotel.providerId, { checkIn }));
  expect(checkout.status).toBe(201);
  const orderId: string = checkout.body.orderId;
  const code = `HTL-${orderId.slice(-6)}`;
  expect(
    (await hotel.client.confirm(orderId, { decision: 'accept', confirmationCode: code })).status,
  ).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'dispatching');
  return orderId;
}

async function expectOutOfSchedule(
  answer: { status: number; body: { error: { code: string; details: unknown[] } } },
  orderId: string,
  status: string,
  events: string[],
) {
  expect(answer.status).toBe(422);
  expect(answer.body.error.code).toBe('event_out_of_schedule');
  expect(answer.body.error.details).toEqual([expect.objectContaining({ path: 'at' })]);
  const order = (await getOrder(harness.apiUrl, orderId)).body;
  expect(order.status).toBe(status);
  expect(order.dispatch.events.map((e: { type: string }) => e.type)).toEqual(events);
}

test('a check-in or check-out before the check-in day is 422 and the stay stays booked', async () => {
  const orderId = await vouchered(dateFromToday(2));
  await expectOutOfSchedule(
    await hotel.client.reportEvent(orderId, 'checked_in'),
    orderId,
    'dispatching',
    [],
  );
  await expectOutOfSchedule(
    await hotel.client.reportEvent(orderId, 'checked_out'),
    orderId,
    'dispatching',
    [],
  );
  expect(await harness.ledgerOf(orderId)).toEqual([
    ['authorisation', expect.any(Number)],
    ['capture', expect.any(Number)],
  ]);
});

test('a check-out dated before the check-in is 422; one after it completes the stay', async () => {
  const orderId = await vouchered(dateFromToday(0));
  const checkedInAt = new Date(Date.now() - 1_000).toISOString();
  expect((await hotel.client.reportEvent(orderId, 'checked_in', checkedInAt)).status).toBe(200);
  const before = new Date(Date.parse(checkedInAt) - 1_000).toISOString();
  await expectOutOfSchedule(
    await hotel.client.reportEvent(orderId, 'checked_out', before),
    orderId,
    'in_progress',
    ['checked_in'],
  );
  const checkedOut = await hotel.client.reportEvent(orderId, 'checked_out');
  expect(checkedOut.status).toBe(200);
  expect(checkedOut.body.status).toBe('completed');
});

test('a consultation reported started three hours before its slot is 422, and the slot is kept', async () => {
  const checkout = await placeOrder(
    harness.apiUrl,
    teleconsultationOrder(clinic.providerId, { slotStartsInMs: 3 * 3_600_000 }),
  );
  expect(checkout.status).toBe(201);
  const orderId: string = checkout.body.orderId;
  expect((await clinic.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
  const accepted = (await getOrder(harness.apiUrl, orderId)).body.status;
  await expectOutOfSchedule(
    await clinic.client.reportEvent(orderId, 'consultation_started'),
    orderId,
    accepted,
    [],
  );
});
