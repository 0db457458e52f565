// Pins decideCancellation: each vertical's cancellation windows, their boundaries and fees.
import fc from 'fast-check';
import { decideCancellation } from './cancellation';
import type {
  GroceryDetails,
  HotelDetails,
  OrderAmounts,
  OrderSnapshot,
  OrderStatus,
  ProviderEventType,
  TeleconsultationDetails,
  Vertical,
} from './order';

const GROCERY: GroceryDetails = {
  items: [
    { sku: 'apple', name: 'Apples', quantity: 3, unitPrice: 250 },
    { sku: 'milk', name: 'Milk', quantity: 2, unitPrice: 1550 },
  ],
  deliveryAddress: '1 Market Street',
  deliveryWindow: { start: '2030-03-10T09:00:00.000Z', end: '2030-03-10T10:00:00.000Z' },
};
const GROCERY_TOTAL = 3 * 250 + 2 * 1550;

// Check-in instant: 2030-03-10T14:00:00Z; free cancellation ends 2030-03-09T14:00:00Z.
const HOTEL: HotelDetails = {
  roomType: 'double',
  checkIn: '2030-03-10',
  checkOut: '2030-03-13',
  guests: 2,
  nightlyRate: 45_000,
};
const HOTEL_TOTAL = 3 * HOTEL.nightlyRate;

// Slot starts 2030-03-10T09:00:00Z; free cancellation ends 08:00:00Z. Odd fee pins the rounding.
const CONSULTATION: TeleconsultationDetails = {
  specialty: 'dermatology',
  slotStart: '2030-03-10T09:00:00.000Z',
  durationMinutes: 20,
  fee: 9_901,
};
const HALF_FEE = 4_950;

const TOTALS: Record<Vertical, number> = {
  grocery: GROCERY_TOTAL,
  hotel: HOTEL_TOTAL,
  teleconsultation: CONSULTATION.fee,
};

const DETAILS: Record<Vertical, Partial<OrderSnapshot>> = {
  grocery: { grocery: GROCERY },
  hotel: { hotel: HOTEL },
  teleconsultation: { teleconsultation: CONSULTATION },
};

type Overrides = Partial<Omit<OrderSnapshot, 'amounts'>> & {
  amounts?: Partial<OrderAmounts>;
  events?: ProviderEventType[];
};

/** A captured, confirmed order of the given vertical, with overrides. */
function anOrder(vertical: Vertical, overrides: Overrides = {}): OrderSnapshot {
  const { amounts, events = [], ...rest } = overrides;
  const total = TOTALS[vertical];
  return {
    orderId: `ord_${vertical}`,
    vertical,
    status: 'confirmed',
    customerId: 'cust_1',
    providerId: 'prov_1',
    currency: 'CNY',
    amounts: { total, authorised: total, captured: total, released: 0, refunded: 0, ...amounts },
    ...DETAILS[vertical],
    dispatch: {
      events: events.map((type) => ({
        type,
        at: '2030-03-01T00:00:00.000Z',
        receivedAt: '2030-03-01T00:00:01.000Z',
      })),
    },
    createdAt: '2030-02-01T00:00:00.000Z',
    updatedAt: '2030-02-01T00:00:00.000Z',
    revision: 1,
    ...rest,
  };
}

type Expected = { allowed: true; fee: number } | { allowed: false };
type Row = [name: string, order: OrderSnapshot, now: string, expected: Expected];

const FREE: Expected = { allowed: true, fee: 0 };
const REFUSED: Expected = { allowed: false };
const fee = (amount: number): Expected => ({ allowed: true, fee: amount });

function expectDecision(order: OrderSnapshot, now: string, expected: Expected) {
  const decision = decideCancellation(order, new Date(now));
  if (expected.allowed) {
    const { freeUntil: _freeUntil, ...rest } = decision as { freeUntil?: number };
    expect(rest).toEqual({ allowed: true, fee: expected.fee, rule: expect.any(String) });
  } else {
    expect(decision).toEqual({ allowed: false, reason: expect.stringMatching(/\S/) });
  }
}

const VERTICALS: Vertical[] = ['grocery', 'hotel', 'teleconsultation'];
const TERMINAL: OrderStatus[] = [
  'completed',
  'payment_declined',
  'rejected',
  'expired',
  'cancelled',
];
// Inside the fee window for hotel and teleconsultation, so "free" really means fee 0.
const INSIDE_FEE_WINDOW = '2030-03-10T08:30:00.000Z';

describe('decideCancellation', () => {
  describe('for every vertical', () => {
    test.each<Row>([
      ...VERTICALS.flatMap((vertical) =>
        TERMINAL.map((status): Row => [
          `a ${vertical} order already ${status} cannot be cancelled`,
          anOrder(vertical, { status }),
          INSIDE_FEE_WINDOW,
          REFUSED,
        ]),
      ),
      ...VERTICALS.map((vertical): Row => [
        `a ${vertical} order still pending payment cannot be cancelled`,
        anOrder(vertical, { status: 'pending_payment', amounts: { authorised: 0, captured: 0 } }),
        INSIDE_FEE_WINDOW,
        REFUSED,
      ]),
      ...VERTICALS.map((vertical): Row => [
        `a ${vertical} order awaiting confirmation (nothing captured) is cancelled free`,
        anOrder(vertical, { status: 'awaiting_confirmation', amounts: { captured: 0 } }),
        INSIDE_FEE_WINDOW,
        FREE,
      ]),
    ])('%s', (_name, order, now, expected) => expectDecision(order, now, expected));
  });

  describe('grocery', () => {
    test.each<Row>([
      [
        'a confirmed grocery order is cancelled free',
        anOrder('grocery', { status: 'confirmed' }),
        '2030-03-10T09:30:00.000Z',
        FREE,
      ],
      [
        'a dispatching grocery order not yet picked up is cancelled free',
        anOrder('grocery', { status: 'dispatching' }),
        '2030-03-10T09:30:00.000Z',
        FREE,
      ],
      [
        'a grocery order the courier has picked up cannot be cancelled',
        anOrder('grocery', { status: 'dispatching', events: ['picked_up'] }),
        '2030-03-10T09:30:00.000Z',
        REFUSED,
      ],
      [
        'a grocery order picked up and delivered cannot be cancelled',
        anOrder('grocery', { status: 'dispatching', events: ['picked_up', 'delivered'] }),
        '2030-03-10T09:30:00.000Z',
        REFUSED,
      ],
      [
        'a grocery order in progress cannot be cancelled even without a pick-up event',
        anOrder('grocery', { status: 'in_progress' }),
        '2030-03-10T09:30:00.000Z',
        REFUSED,
      ],
    ])('%s', (_name, order, now, expected) => expectDecision(order, now, expected));
  });

  describe('hotel', () => {
    test.each<Row>([
      [
        'a hotel booking days before check-in is cancelled free',
        anOrder('hotel'),
        '2030-03-01T00:00:00.000Z',
        FREE,
      ],
      [
        'a hotel booking 1 ms before the 24 h boundary is cancelled free',
        anOrder('hotel'),
        '2030-03-09T13:59:59.999Z',
        FREE,
      ],
      [
        'a hotel booking exactly 24 h before check-in keeps the first night',
        anOrder('hotel'),
        '2030-03-09T14:00:00.000Z',
        fee(HOTEL.nightlyRate),
      ],
      [
        'a dispatching hotel booking within 24 h of check-in keeps the first night',
        anOrder('hotel', { status: 'dispatching' }),
        '2030-03-10T02:00:00.000Z',
        fee(HOTEL.nightlyRate),
      ],
      [
        'a hotel booking 1 ms before check-in keeps the first night',
        anOrder('hotel'),
        '2030-03-10T13:59:59.999Z',
        fee(HOTEL.nightlyRate),
      ],
      [
        'a hotel booking at the check-in instant cannot be cancelled',
        anOrder('hotel'),
        '2030-03-10T14:00:00.000Z',
        REFUSED,
      ],
      [
        'a hotel booking after the check-in instant cannot be cancelled',
        anOrder('hotel'),
        '2030-03-11T09:00:00.000Z',
        REFUSED,
      ],
      [
        'a hotel booking with a checked-in event cannot be cancelled even days before',
        anOrder('hotel', { events: ['checked_in'] }),
        '2030-03-01T00:00:00.000Z',
        REFUSED,
      ],
      [
        'a hotel booking in progress cannot be cancelled even days before',
        anOrder('hotel', { status: 'in_progress' }),
        '2030-03-01T00:00:00.000Z',
        REFUSED,
      ],
      [
        'a partly refunded hotel booking keeps no more than what is left to refund',
        anOrder('hotel', { amounts: { refunded: HOTEL_TOTAL - 30_000 } }),
        '2030-03-10T02:00:00.000Z',
        fee(30_000),
      ],
      [
        'a partly refunded hotel booking with enough left still keeps the first night',
        anOrder('hotel', { amounts: { refunded: 50_000 } }),
        '2030-03-10T02:00:00.000Z',
        fee(HOTEL.nightlyRate),
      ],
    ])('%s', (_name, order, now, expected) => expectDecision(order, now, expected));
  });

  describe('teleconsultation', () => {
    test.each<Row>([
      [
        'a consultation a day before the slot is cancelled free',
        anOrder('teleconsultation'),
        '2030-03-09T09:00:00.000Z',
        FREE,
      ],
      [
        'a consultation 1 ms before the 1 h boundary is cancelled free',
        anOrder('teleconsultation'),
        '2030-03-10T07:59:59.999Z',
        FREE,
      ],
      [
        'a consultation exactly 1 h before the slot keeps half the fee, rounded down',
        anOrder('teleconsultation'),
        '2030-03-10T08:00:00.000Z',
        fee(HALF_FEE),
      ],
      [
        'a dispatching consultation with the video link sent keeps half the fee',
        anOrder('teleconsultation', { status: 'dispatching' }),
        '2030-03-10T08:55:00.000Z',
        fee(HALF_FEE),
      ],
      [
        'a consultation 1 ms before the slot keeps half the fee',
        anOrder('teleconsultation'),
        '2030-03-10T08:59:59.999Z',
        fee(HALF_FEE),
      ],
      [
        'a consultation at the slot start cannot be cancelled',
        anOrder('teleconsultation'),
        '2030-03-10T09:00:00.000Z',
        REFUSED,
      ],
      [
        'a consultation after the slot start cannot be cancelled',
        anOrder('teleconsultation'),
        '2030-03-10T09:10:00.000Z',
        REFUSED,
      ],
      [
        'a consultation that has started cannot be cancelled even hours before the slot',
        anOrder('teleconsultation', { events: ['consultation_started'] }),
        '2030-03-10T06:00:00.000Z',
        REFUSED,
      ],
      [
        'a consultation in progress cannot be cancelled even hours before the slot',
        anOrder('teleconsultation', { status: 'in_progress' }),
        '2030-03-10T06:00:00.000Z',
        REFUSED,
      ],
      [
        'a partly refunded consultation keeps no more than what is left to refund',
        anOrder('teleconsultation', { amounts: { refunded: CONSULTATION.fee - 1_000 } }),
        '2030-03-10T08:30:00.000Z',
        fee(1_000),
      ],
    ])('%s', (_name, order, now, expected) => expectDecision(order, now, expected));
  });
});

describe('hotels in their own time zone', () => {
  // A Shanghai hotel (UTC+8) checking in at 14:00 local on 2030-03-10: 06:00Z. Its free
  // cancellation ends 24 hours earlier, at 06:00Z on the 9th, not at 14:00Z as a UTC reading had it.
  const SHANGHAI: HotelDetails = {
    ...HOTEL,
    timeZone: 'Asia/Shanghai',
    checkInAt: '2030-03-10T14:00:00+08:00',
    checkOutAt: '2030-03-13T12:00:00+08:00',
    checkInDayStartsAt: '2030-03-10T00:00:00+08:00',
    checkInDayEndsAt: '2030-03-11T00:00:00+08:00',
  };
  const shanghaiStay = (overrides: Overrides = {}) =>
    anOrder('hotel', { hotel: SHANGHAI, ...overrides });

  test.each<Row>([
    [
      'a minute before 24 hours before the local check-in: free',
      shanghaiStay(),
      '2030-03-09T05:59:00.000Z',
      FREE,
    ],
    [
      'at 24 hours before the local check-in: the first night is kept',
      shanghaiStay(),
      '2030-03-09T06:00:00.000Z',
      fee(HOTEL.nightlyRate),
    ],
    [
      'a minute after: the first night is kept',
      shanghaiStay(),
      '2030-03-09T06:01:00.000Z',
      fee(HOTEL.nightlyRate),
    ],
    ['at the local check-in: refused', shanghaiStay(), '2030-03-10T06:00:00.000Z', REFUSED],
    // The same stay read in UTC (an order placed before zones) would still be free here.
    [
      '8 hours after the boundary, which a UTC reading called free',
      shanghaiStay(),
      '2030-03-09T13:59:00.000Z',
      fee(HOTEL.nightlyRate),
    ],
    [
      'the same stay without instants (older orders) is read in UTC',
      anOrder('hotel'),
      '2030-03-09T13:59:00.000Z',
      FREE,
    ],
  ])('%s', (_name, order, now, expected) => expectDecision(order, now, expected));

  test('the free cancellation says until when, as an instant', () => {
    const decision = decideCancellation(shanghaiStay(), new Date('2030-03-08T00:00:00Z'));
    expect(decision).toMatchObject({
      allowed: true,
      fee: 0,
      freeUntil: Date.parse('2030-03-09T06:00:00Z'),
    });
  });

  // A Berlin hotel checking in at 14:00 on Sunday 2030-10-27, the day the clocks go back
  // (03:00 CEST → 02:00 CET): 14:00 CET is 13:00Z. Its 24 hours run back across the change to
  // 13:00Z on the 26th, which Berlin's clocks show as 15:00 CEST: 24 hours as they pass, not
  // "the same clock time the day before".
  const BERLIN: HotelDetails = {
    ...HOTEL,
    checkIn: '2030-10-27',
    checkOut: '2030-10-29',
    timeZone: 'Europe/Berlin',
    checkInAt: '2030-10-27T14:00:00+01:00',
    checkOutAt: '2030-10-29T12:00:00+01:00',
    checkInDayStartsAt: '2030-10-27T00:00:00+02:00',
    checkInDayEndsAt: '2030-10-28T00:00:00+01:00',
  };
  const berlinStay = () => anOrder('hotel', { hotel: BERLIN });
  const CHECK_IN = Date.parse('2030-10-27T13:00:00Z');
  const BOUNDARY = Date.parse('2030-10-26T13:00:00Z');
  const MINUTE = 60_000;

  test('across the October change, free until 24 elapsed hours before the check-in', () => {
    expect(decideCancellation(berlinStay(), new Date(BOUNDARY - 1))).toMatchObject({
      allowed: true,
      fee: 0,
      freeUntil: BOUNDARY,
    });
    // 15:00 CEST on the Saturday, which is 25 clock hours before 14:00 CET on the Sunday.
    expect(BOUNDARY).toBe(Date.parse('2030-10-26T15:00:00+02:00'));
  });

  test('property: any instant in the three days before check-in is free exactly before the boundary, then keeps the first night, then is refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3 * 24 * 60, max: 60 }),
        fc.integer({ min: 0, max: 59_999 }),
        (minutes, ms) => {
          const at = CHECK_IN + minutes * MINUTE + ms;
          const decision = decideCancellation(berlinStay(), new Date(at));
          if (at >= CHECK_IN) expect(decision.allowed).toBe(false);
          else if (at < BOUNDARY)
            expect(decision).toMatchObject({ allowed: true, fee: 0, freeUntil: BOUNDARY });
          else expect(decision).toMatchObject({ allowed: true, fee: HOTEL.nightlyRate });
        },
      ),
    );
  });

  test('property: the fee window is 24 elapsed hours for any stay, whatever the offset its instants carry', () => {
    // Offsets from -12:00 to +14:00 in quarter hours: the rule reads the instant, not the clock.
    fc.assert(
      fc.property(
        fc.integer({ min: -48, max: 56 }),
        fc.integer({ min: 0, max: 23 }),
        (quarters, hour) => {
          const sign = quarters < 0 ? '-' : '+';
          const abs = Math.abs(quarters);
          const offset = `${sign}${String(Math.floor(abs / 4)).padStart(2, '0')}:${String((abs % 4) * 15).padStart(2, '0')}`;
          const checkInAt = `2030-10-27T${String(hour).padStart(2, '0')}:00:00${offset}`;
          const order = anOrder('hotel', { hotel: { ...BERLIN, checkInAt } });
          const checkIn = Date.parse(checkInAt);
          const freeUntil = checkIn - 24 * 3_600_000;
          expect(decideCancellation(order, new Date(freeUntil - 1))).toMatchObject({
            fee: 0,
            freeUntil,
          });
          expect(decideCancellation(order, new Date(freeUntil))).toMatchObject({
            fee: HOTEL.nightlyRate,
          });
          expect(decideCancellation(order, new Date(checkIn - 1))).toMatchObject({
            fee: HOTEL.nightlyRate,
          });
          expect(decideCancellation(order, new Date(checkIn)).allowed).toBe(false);
        },
      ),
    );
  });
});
