// Pins decideCancellation: each vertical's cancellation windows, their boundaries and fees.
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
