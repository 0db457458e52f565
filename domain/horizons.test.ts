import fc from 'fast-check';
import { HORIZONS, horizonProblems } from './horizons';
import type { OrderRequest } from './order';

const NOW = new Date('2026-12-02T10:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs).toISOString();
const base = { customerId: 'c', providerId: 'p', currency: 'CNY', paymentToken: 'tok_ok' };

const grocery = (start: string, end: string): OrderRequest => ({
  ...base,
  vertical: 'grocery',
  grocery: { items: [], deliveryAddress: 'x', deliveryWindow: { start, end } },
});
const hotel = (checkIn: string, checkOut: string): OrderRequest => ({
  ...base,
  vertical: 'hotel',
  hotel: { roomType: 'double', checkIn, checkOut, guests: 2, nightlyRate: 100 },
});
const consultation = (slotStart: string): OrderRequest => ({
  ...base,
  vertical: 'teleconsultation',
  teleconsultation: { specialty: 'gp', slotStart, durationMinutes: 20, fee: 100 },
});

const paths = (request: OrderRequest) => horizonProblems(request, NOW).map((p) => p.path);

test.each<[string, OrderRequest, string[]]>([
  ['an ASAP delivery window', grocery(at(0), at(60 * MINUTE)), []],
  ['a window started 14 minutes ago', grocery(at(-14 * MINUTE), at(MINUTE)), []],
  [
    'a window started 16 minutes ago',
    grocery(at(-16 * MINUTE), at(MINUTE)),
    ['grocery.deliveryWindow.start'],
  ],
  [
    'a window in 1970',
    grocery('1970-01-01T10:00:00Z', '1970-01-01T11:00:00Z'),
    ['grocery.deliveryWindow.start'],
  ],
  [
    'a window in 9999',
    grocery('9999-12-31T10:00:00Z', '9999-12-31T11:00:00Z'),
    ['grocery.deliveryWindow.start'],
  ],
  ['a window starting in 14 days', grocery(at(14 * DAY), at(14 * DAY + MINUTE)), []],
  [
    'a window starting in 14 days and a minute',
    grocery(at(14 * DAY + MINUTE), at(14 * DAY + 2 * MINUTE)),
    ['grocery.deliveryWindow.start'],
  ],
  ['a 24-hour window', grocery(at(0), at(DAY)), []],
  [
    'a 24-hour-and-a-minute window',
    grocery(at(0), at(DAY + MINUTE)),
    ['grocery.deliveryWindow.end'],
  ],
  ['a stay from tomorrow', hotel('2026-12-03', '2026-12-05'), []],
  ["today's stay", hotel('2026-12-02', '2026-12-03'), []],
  ['a stay from yesterday', hotel('2026-12-01', '2026-12-03'), ['hotel.checkIn']],
  ['a stay in 9999', hotel('9999-12-30', '9999-12-31'), ['hotel.checkIn']],
  ['a check-in 365 days ahead', hotel('2027-12-02', '2027-12-03'), []],
  ['a check-in 366 days ahead', hotel('2027-12-03', '2027-12-04'), ['hotel.checkIn']],
  ['30 nights', hotel('2026-12-10', '2027-01-09'), []],
  ['31 nights', hotel('2026-12-10', '2027-01-10'), ['hotel.checkOut']],
  ['a slot in an hour', consultation(at(60 * MINUTE)), []],
  ['a slot now', consultation(at(0)), ['teleconsultation.slotStart']],
  ['a slot 90 days ahead', consultation(at(90 * DAY)), []],
  [
    'a slot 90 days and a minute ahead',
    consultation(at(90 * DAY + MINUTE)),
    ['teleconsultation.slotStart'],
  ],
  ['a slot on 9999-12-31', consultation('9999-12-31T10:00:00Z'), ['teleconsultation.slotStart']],
])('%s', (_case, request, expected) => {
  expect(paths(request)).toEqual(expected);
});

test("a hotel's today is today in its own time zone", () => {
  const inZone = (timeZone: string, checkIn: string, checkOut: string): OrderRequest => {
    const request = hotel(checkIn, checkOut) as Extract<OrderRequest, { vertical: 'hotel' }>;
    return { ...request, hotel: { ...request.hotel, timeZone } };
  };
  // 18:00Z on 2 December: already the 3rd in Shanghai, still the 2nd in Pago Pago.
  const evening = new Date('2026-12-02T18:00:00Z');
  const problems = (request: OrderRequest) => horizonProblems(request, evening);
  expect(problems(inZone('Asia/Shanghai', '2026-12-02', '2026-12-04'))).toEqual([
    { path: 'hotel.checkIn', message: 'must not be before today' },
  ]);
  expect(problems(inZone('Asia/Shanghai', '2026-12-03', '2026-12-04'))).toEqual([]);
  expect(problems(inZone('Pacific/Pago_Pago', '2026-12-02', '2026-12-04'))).toEqual([]);
  // 365 days ahead counts from the hotel's today too.
  expect(problems(inZone('Asia/Shanghai', '2027-12-03', '2027-12-04'))).toEqual([]);
  expect(problems(inZone('UTC', '2027-12-03', '2027-12-04'))).toEqual([
    { path: 'hotel.checkIn', message: 'must be within 365 days' },
  ]);
});

test("today's stay is bookable past the check-in time (guests arrive late)", () => {
  const evening = new Date('2026-12-02T22:00:00Z');
  expect(horizonProblems(hotel('2026-12-02', '2026-12-03'), evening)).toEqual([]);
});

describe('properties', () => {
  const offsets = fc.integer({ min: -400 * DAY, max: 400 * DAY });

  test('a delivery window is accepted exactly when it starts within its horizon and lasts at most a day', () => {
    const { earliestStartAgoMs, latestStartAheadMs, longestWindowMs } = HORIZONS.grocery;
    fc.assert(
      fc.property(offsets, fc.integer({ min: 1, max: 3 * DAY }), (startOffset, length) => {
        const fits =
          startOffset >= -earliestStartAgoMs &&
          startOffset <= latestStartAheadMs &&
          length <= longestWindowMs;
        const problems = horizonProblems(grocery(at(startOffset), at(startOffset + length)), NOW);
        expect(problems.length === 0).toBe(fits);
      }),
    );
  });

  test('a slot is accepted exactly when it is in the future and within 90 days', () => {
    fc.assert(
      fc.property(offsets, (offset) => {
        const fits = offset > 0 && offset <= HORIZONS.teleconsultation.latestSlotAheadMs;
        expect(horizonProblems(consultation(at(offset)), NOW).length === 0).toBe(fits);
      }),
    );
  });

  test('a stay is accepted exactly when it starts today to 365 days ahead, for 1 to 30 nights', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -30, max: 400 }),
        fc.integer({ min: 1, max: 60 }),
        (aheadDays, nights) => {
          const day = (n: number) => new Date(NOW.getTime() + n * DAY).toISOString().slice(0, 10);
          const fits = aheadDays >= 0 && aheadDays <= 365 && nights <= 30;
          const problems = horizonProblems(hotel(day(aheadDays), day(aheadDays + nights)), NOW);
          expect(problems.length === 0).toBe(fits);
        },
      ),
    );
  });
});
