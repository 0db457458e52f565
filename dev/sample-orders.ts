// Checkout request bodies for the three verticals (API.md, `POST /v1/orders`), shared by npm
// start's banner, the tests, the load generator and the fault suite; each caller varies what
// it needs through the options. Defaults fit the horizons of domain/horizons.ts: a grocery
// window tomorrow (within 14 days), a hotel check-in in a week (today..365 days), a
// consultation in three hours.

const DAY = 86_400_000;

/** A calendar date `days` after `now`'s (UTC). */
export function dateFromToday(days: number, now = Date.now()): string {
  return new Date(now + days * DAY).toISOString().slice(0, 10);
}

/**
 * Tomorrow 10:00–11:00 UTC: inside the delivery horizon, and the same all day long, so the
 * same order built twice is the same body.
 */
export function tomorrowsDeliveryWindow(now = Date.now()): { start: string; end: string } {
  const tomorrow = dateFromToday(1, now);
  return { start: `${tomorrow}T10:00:00Z`, end: `${tomorrow}T11:00:00Z` };
}

export interface SampleCustomer {
  customerId?: string;
  /** The sandbox gateway's payment token: `tok_ok`, `tok_declined`… */
  token?: string;
}

export interface GroceryItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export const SAMPLE_GROCERY_ITEMS: readonly GroceryItem[] = [
  { sku: 'apple', name: 'Fuji apples 1kg', quantity: 2, unitPrice: 1299 },
  { sku: 'milk', name: 'Fresh milk 1L', quantity: 1, unitPrice: 1550 },
];

/** SAMPLE_GROCERY_ITEMS' total: 2 × 1299 + 1 × 1550. */
export const SAMPLE_GROCERY_TOTAL = 4148;

function base(providerId: string, customer: SampleCustomer) {
  return {
    customerId: customer.customerId ?? 'cust_1',
    providerId,
    currency: 'CNY',
    payment: { token: customer.token ?? 'tok_ok' },
  };
}

export function sampleGroceryOrder(
  providerId: string,
  options: SampleCustomer & {
    items?: readonly unknown[];
    deliveryAddress?: string;
    deliveryWindow?: { start: string; end: string };
  } = {},
) {
  return {
    vertical: 'grocery' as const,
    ...base(providerId, options),
    grocery: {
      // Copies: a caller may change the body it gets.
      items: options.items ?? SAMPLE_GROCERY_ITEMS.map((item) => ({ ...item })),
      deliveryAddress: options.deliveryAddress ?? '1 Test Road, Hangzhou',
      deliveryWindow: options.deliveryWindow ?? tomorrowsDeliveryWindow(),
    },
  };
}

export function sampleHotelOrder(
  providerId: string,
  options: SampleCustomer & {
    /** `YYYY-MM-DD`; a week from today by default. */
    checkIn?: string;
    nights?: number;
    roomType?: string;
    guests?: number;
    nightlyRate?: number;
  } = {},
) {
  const checkIn = options.checkIn ?? dateFromToday(7);
  const nights = options.nights ?? 3;
  return {
    vertical: 'hotel' as const,
    ...base(providerId, options),
    hotel: {
      roomType: options.roomType ?? 'deluxe-double',
      checkIn,
      checkOut: dateFromToday(nights, Date.parse(checkIn)),
      guests: options.guests ?? 2,
      nightlyRate: options.nightlyRate ?? 45_000,
    },
  };
}

export function sampleTeleconsultationOrder(
  providerId: string,
  options: SampleCustomer & {
    /** When the slot starts; three hours from now by default. */
    slotStart?: Date;
    specialty?: string;
    durationMinutes?: number;
    fee?: number;
  } = {},
) {
  return {
    vertical: 'teleconsultation' as const,
    ...base(providerId, options),
    teleconsultation: {
      specialty: options.specialty ?? 'dermatology',
      slotStart: (options.slotStart ?? new Date(Date.now() + 3 * 3_600_000)).toISOString(),
      durationMinutes: options.durationMinutes ?? 15,
      fee: options.fee ?? 9_901,
    },
  };
}
