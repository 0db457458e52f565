import fc from 'fast-check';
import type { OrderSnapshot, ProviderEvent } from './order';
import {
  calendarDayIn,
  CONSULTATION_EARLY_START_MS,
  eventScheduleProblem,
  hotelCheckInAt,
  hotelCheckInDayEndsAt,
  hotelCheckOutAt,
} from './schedule';

type Scheduled = Pick<OrderSnapshot, 'createdAt' | 'hotel' | 'teleconsultation' | 'dispatch'>;
/** Placed well before anything these tests report. */
const PLACED = '2026-11-01T00:00:00.000Z';
type Recorded = OrderSnapshot['dispatch']['events'];

const stay = (events: Recorded = []): Scheduled => ({
  createdAt: PLACED,
  hotel: {
    roomType: 'double',
    checkIn: '2026-12-10',
    checkOut: '2026-12-12',
    guests: 2,
    nightlyRate: 100,
  },
  dispatch: { events },
});
const SLOT = '2026-12-10T09:00:00.000Z';
const consultation = (events: Recorded = []): Scheduled => ({
  createdAt: PLACED,
  teleconsultation: { specialty: 'gp', slotStart: SLOT, durationMinutes: 20, fee: 100 },
  dispatch: { events },
});
const recorded = (type: ProviderEvent['type'], at: string) => ({ type, at, receivedAt: at });
const event = (type: ProviderEvent['type'], at: string): ProviderEvent => ({ type, at });

test.each<[string, Scheduled, ProviderEvent, boolean]>([
  ['check-in at the start of its day', stay(), event('checked_in', '2026-12-10T00:00:00Z'), true],
  ['check-in the evening before', stay(), event('checked_in', '2026-12-09T23:59:59Z'), false],
  [
    'check-out before the check-in day',
    stay(),
    event('checked_out', '2026-12-09T12:00:00Z'),
    false,
  ],
  [
    'check-out on the check-in day, no check-in reported',
    stay(),
    event('checked_out', '2026-12-10T18:00:00Z'),
    true,
  ],
  [
    'check-out before the reported check-in',
    stay([recorded('checked_in', '2026-12-10T15:00:00Z')]),
    event('checked_out', '2026-12-10T14:59:59Z'),
    false,
  ],
  [
    'check-out after the reported check-in',
    stay([recorded('checked_in', '2026-12-10T15:00:00Z')]),
    event('checked_out', '2026-12-11T10:00:00Z'),
    true,
  ],
  [
    'a consultation started 15 minutes early',
    consultation(),
    event('consultation_started', '2026-12-10T08:45:00Z'),
    true,
  ],
  [
    'a consultation started 16 minutes early',
    consultation(),
    event('consultation_started', '2026-12-10T08:44:00Z'),
    false,
  ],
  [
    'a consultation completed before it started',
    consultation([recorded('consultation_started', '2026-12-10T09:01:00Z')]),
    event('consultation_completed', '2026-12-10T09:00:00Z'),
    false,
  ],
  [
    'a consultation completed after it started',
    consultation([recorded('consultation_started', '2026-12-10T09:01:00Z')]),
    event('consultation_completed', '2026-12-10T09:20:00Z'),
    true,
  ],
  [
    'a pickup has no schedule but the order',
    { createdAt: PLACED, dispatch: { events: [] } },
    event('picked_up', '2026-11-01T00:00:00Z'),
    true,
  ],
  [
    'nothing happens before the order was placed',
    { createdAt: PLACED, dispatch: { events: [] } },
    event('picked_up', '2026-10-31T23:54:59Z'),
    false,
  ],
  [
    "a provider's clock may run up to five minutes ahead of ours",
    { createdAt: PLACED, dispatch: { events: [] } },
    event('picked_up', '2026-10-31T23:55:00Z'),
    true,
  ],
])('%s', (_case, order, reported, fits) => {
  expect(eventScheduleProblem(order, reported) === undefined).toBe(fits);
});

test('property: a consultation start fits exactly from 15 minutes before the slot on', () => {
  const slot = Date.parse(SLOT);
  fc.assert(
    fc.property(fc.integer({ min: -86_400_000, max: 86_400_000 }), (offset) => {
      const at = new Date(slot + offset).toISOString();
      const fits = offset >= -CONSULTATION_EARLY_START_MS;
      expect(
        eventScheduleProblem(consultation(), event('consultation_started', at)) === undefined,
      ).toBe(fits);
    }),
  );
});

test('property: a check-in fits exactly from the start of the check-in day on; a check-out exactly from the check-in on', () => {
  const dayStart = Date.parse('2026-12-10T00:00:00Z');
  const offsets = fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 });
  fc.assert(
    fc.property(offsets, offsets, (checkInOffset, checkOutOffset) => {
      const checkInAt = new Date(dayStart + checkInOffset).toISOString();
      const checkedIn = eventScheduleProblem(stay(), event('checked_in', checkInAt));
      expect(checkedIn === undefined).toBe(checkInOffset >= 0);
      if (checkedIn !== undefined) return;
      const checkOutAt = new Date(dayStart + checkOutOffset).toISOString();
      const recordedStay = stay([recorded('checked_in', checkInAt)]);
      const checkedOut = eventScheduleProblem(recordedStay, event('checked_out', checkOutAt));
      expect(checkedOut === undefined).toBe(checkOutOffset >= checkInOffset);
    }),
  );
});

describe("a stay in its hotel's time zone", () => {
  // Shanghai (UTC+8): the check-in day 2026-12-10 starts at 16:00Z on the 9th.
  const shanghai = (events: Recorded = []): Scheduled => ({
    createdAt: PLACED,
    hotel: {
      ...stay().hotel!,
      timeZone: 'Asia/Shanghai',
      checkInAt: '2026-12-10T14:00:00+08:00',
      checkOutAt: '2026-12-12T12:00:00+08:00',
      checkInDayStartsAt: '2026-12-10T00:00:00+08:00',
      checkInDayEndsAt: '2026-12-11T00:00:00+08:00',
    },
    dispatch: { events },
  });

  test.each<[string, ProviderEvent, boolean]>([
    [
      'a check-in at local midnight (16:00Z the day before)',
      event('checked_in', '2026-12-09T16:00:00Z'),
      true,
    ],
    [
      'a check-in a second before local midnight',
      event('checked_in', '2026-12-09T15:59:59Z'),
      false,
    ],
    [
      'a check-out before the local check-in day',
      event('checked_out', '2026-12-09T15:00:00Z'),
      false,
    ],
  ])('%s', (_case, reported, fits) => {
    expect(eventScheduleProblem(shanghai(), reported) === undefined).toBe(fits);
  });

  test('the refusal names the day and the zone', () => {
    expect(eventScheduleProblem(shanghai(), event('checked_in', '2026-12-09T15:00:00Z'))).toBe(
      'checked_in at 2026-12-09T15:00:00Z is before the check-in day (2026-12-10 in Asia/Shanghai)',
    );
  });

  test('the stay reads its instants; a stay without them reads 14:00 and 12:00 UTC', () => {
    const local = shanghai().hotel!;
    expect(hotelCheckInAt(local)).toBe(Date.parse('2026-12-10T06:00:00Z'));
    expect(hotelCheckOutAt(local)).toBe(Date.parse('2026-12-12T04:00:00Z'));
    expect(hotelCheckInDayEndsAt(local)).toBe(Date.parse('2026-12-10T16:00:00Z'));
    const utc = stay().hotel!;
    expect(hotelCheckInAt(utc)).toBe(Date.parse('2026-12-10T14:00:00Z'));
    expect(hotelCheckOutAt(utc)).toBe(Date.parse('2026-12-12T12:00:00Z'));
    expect(hotelCheckInDayEndsAt(utc)).toBe(Date.parse('2026-12-11T00:00:00Z'));
  });
});

test.each([
  ['UTC', '2026-12-02T23:30:00Z', '2026-12-02'],
  ['Asia/Shanghai', '2026-12-02T16:00:00Z', '2026-12-03'],
  ['Asia/Shanghai', '2026-12-02T15:59:59Z', '2026-12-02'],
  ['Pacific/Pago_Pago', '2026-12-03T10:59:59Z', '2026-12-02'],
  ['Europe/Berlin', '2030-10-26T22:30:00Z', '2030-10-27'],
])('calendarDayIn %s at %s is %s', (zone, instant, day) => {
  expect(calendarDayIn(zone, new Date(instant))).toBe(day);
});

test('calendarDayIn refuses a zone Intl does not know, every time it is asked', () => {
  // Each zone's formatter is kept once made; a refused zone must not leave one behind.
  for (let call = 0; call < 2; call++)
    expect(() => calendarDayIn('Mars/Olympus_Mons', new Date())).toThrow(RangeError);
});
