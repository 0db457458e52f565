// Pins how a stay resolves to instants in its hotel's zone: ordinary days, the days the
// clocks change (Europe/Berlin, October and March), and what counts as a time zone.
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { canonicalTimeZone, hotelClock, localIso, stayTimes } from './local-time';

const HOUR = 3_600_000;

test('a Shanghai stay: 14:00 and 12:00 local, the check-in day from local midnight to midnight', () => {
  expect(
    stayTimes(
      { checkIn: '2026-12-10', checkOut: '2026-12-12' },
      hotelClock({ timeZone: 'Asia/Shanghai' }),
    ),
  ).toEqual({
    timeZone: 'Asia/Shanghai',
    checkInAt: '2026-12-10T14:00:00+08:00',
    checkOutAt: '2026-12-12T12:00:00+08:00',
    checkInDayStartsAt: '2026-12-10T00:00:00+08:00',
    checkInDayEndsAt: '2026-12-11T00:00:00+08:00',
  });
});

test("the hotel's own times", () => {
  const clock = hotelClock({
    timeZone: 'Asia/Shanghai',
    checkInTime: '15:30',
    checkOutTime: '11:00',
  });
  expect(stayTimes({ checkIn: '2026-12-10', checkOut: '2026-12-11' }, clock)).toMatchObject({
    checkInAt: '2026-12-10T15:30:00+08:00',
    checkOutAt: '2026-12-11T11:00:00+08:00',
  });
});

test('a provider without settings is on UTC at 14:00 and 12:00, as orders were before zones', () => {
  expect(stayTimes({ checkIn: '2026-12-10', checkOut: '2026-12-12' }, hotelClock({}))).toEqual({
    timeZone: 'UTC',
    checkInAt: '2026-12-10T14:00:00Z',
    checkOutAt: '2026-12-12T12:00:00Z',
    checkInDayStartsAt: '2026-12-10T00:00:00Z',
    checkInDayEndsAt: '2026-12-11T00:00:00Z',
  });
});

test('Berlin on the day the clocks go back: a 25-hour check-in day, check-in in winter time', () => {
  const times = stayTimes(
    { checkIn: '2030-10-27', checkOut: '2030-10-29' },
    hotelClock({ timeZone: 'Europe/Berlin' }),
  );
  expect(times).toEqual({
    timeZone: 'Europe/Berlin',
    checkInAt: '2030-10-27T14:00:00+01:00',
    checkOutAt: '2030-10-29T12:00:00+01:00',
    checkInDayStartsAt: '2030-10-27T00:00:00+02:00',
    checkInDayEndsAt: '2030-10-28T00:00:00+01:00',
  });
  expect(Date.parse(times.checkInDayEndsAt) - Date.parse(times.checkInDayStartsAt)).toBe(25 * HOUR);
  // 24 hours before the check-in is 15:00 summer time the day before.
  expect(localIso(Date.parse(times.checkInAt) - 24 * HOUR, 'Europe/Berlin')).toBe(
    '2030-10-26T15:00:00+02:00',
  );
});

test('Berlin on the day the clocks go forward: a 23-hour day; a check-in time they skip is taken an hour on', () => {
  const times = stayTimes(
    { checkIn: '2030-03-31', checkOut: '2030-04-01' },
    hotelClock({ timeZone: 'Europe/Berlin', checkInTime: '02:30' }),
  );
  expect(times.checkInAt).toBe('2030-03-31T03:30:00+02:00');
  expect(Date.parse(times.checkInDayEndsAt) - Date.parse(times.checkInDayStartsAt)).toBe(23 * HOUR);
});

test('property: in Berlin, any stay checks in at the clock time asked for, within its check-in day, and the day is 23, 24 or 25 hours', () => {
  const days = fc
    .integer({ min: 0, max: 3 * 366 })
    .map((n) => DateTime.fromISO('2029-01-01', { zone: 'UTC' }).plus({ days: n }).toISODate()!);
  // 04:00 to 23:59: clock times no DST change in Berlin skips or repeats.
  const times = fc
    .tuple(fc.integer({ min: 4, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  fc.assert(
    fc.property(days, times, (checkIn, checkInTime) => {
      const checkOut = DateTime.fromISO(checkIn).plus({ days: 1 }).toISODate()!;
      const resolved = stayTimes(
        { checkIn, checkOut },
        hotelClock({ timeZone: 'Europe/Berlin', checkInTime }),
      );
      const local = DateTime.fromISO(resolved.checkInAt, { setZone: true });
      expect(local.toFormat('yyyy-MM-dd HH:mm')).toBe(`${checkIn} ${checkInTime}`);
      // The offset written is Berlin's at that instant.
      expect(local.offset).toBe(
        DateTime.fromMillis(local.toMillis(), { zone: 'Europe/Berlin' }).offset,
      );
      const start = Date.parse(resolved.checkInDayStartsAt);
      const end = Date.parse(resolved.checkInDayEndsAt);
      expect(start <= local.toMillis() && local.toMillis() < end).toBe(true);
      expect([23 * HOUR, 24 * HOUR, 25 * HOUR]).toContain(end - start);
    }),
  );
});

test.each([
  ['Asia/Shanghai', 'Asia/Shanghai'],
  ['asia/shanghai', 'Asia/Shanghai'],
  ['Europe/Berlin', 'Europe/Berlin'],
  ['UTC', 'UTC'],
  ['Etc/GMT-8', 'Etc/GMT-8'],
  ['+08:00', undefined],
  ['GMT+8', undefined],
  ['Mars/Olympus_Mons', undefined],
  ['Asia/Shanghai ', undefined],
  ['', undefined],
])('canonicalTimeZone(%j) is %j', (name, canonical) => {
  expect(canonicalTimeZone(name)).toBe(canonical);
});
