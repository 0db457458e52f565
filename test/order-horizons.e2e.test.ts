// Dates outside their vertical's horizon (API.md, "Conventions") are typos or probes, not
// orders: checkout refuses them with 422 out_of_horizon naming the field, before anything is
// charged. (The boundaries themselves are table-tested in domain/horizons.test.ts.)

import { randomUUID } from 'node:crypto';
import { useHarness } from './support/harness';
import {
  dateFromToday,
  groceryOrder,
  hotelOrder,
  placeOrder,
  teleconsultationOrder,
  storedOrders,
} from './support/orders';

const harness = useHarness({ providers: ['grocery', 'hotel', 'teleconsultation'] });
const providers = {
  get grocery() {
    return harness.providers[0]!;
  },
  get hotel() {
    return harness.providers[1]!;
  },
  get teleconsultation() {
    return harness.providers[2]!;
  },
};

const DAY = 86_400_000;
const inDays = (days: number, from = Date.now()) => new Date(from + days * DAY).toISOString();

function groceryWindow(start: string, end: string) {
  const body = groceryOrder(providers.grocery.providerId);
  body.grocery.deliveryWindow = { start, end };
  return body;
}

test.each<[string, () => object, string]>([
  [
    'a delivery window in 1970',
    () => groceryWindow('1970-01-01T10:00:00Z', '1970-01-01T11:00:00Z'),
    'grocery.deliveryWindow.start',
  ],
  [
    'a delivery window in 9999',
    () => groceryWindow('9999-12-31T10:00:00Z', '9999-12-31T11:00:00Z'),
    'grocery.deliveryWindow.start',
  ],
  [
    'a delivery window starting in 15 days',
    () => groceryWindow(inDays(15), inDays(15.04)),
    'grocery.deliveryWindow.start',
  ],
  [
    'a delivery window two days long',
    () => groceryWindow(inDays(1), inDays(3)),
    'grocery.deliveryWindow.end',
  ],
  [
    'a hotel check-in in 9999',
    () => hotelOrder(providers.hotel.providerId, { checkIn: '9999-12-01' }),
    'hotel.checkIn',
  ],
  [
    'a hotel check-in 400 days ahead',
    () => hotelOrder(providers.hotel.providerId, { checkIn: dateFromToday(400) }),
    'hotel.checkIn',
  ],
  [
    'a hotel check-in yesterday',
    () => hotelOrder(providers.hotel.providerId, { checkIn: dateFromToday(-1) }),
    'hotel.checkIn',
  ],
  [
    'a 31-night stay',
    () => hotelOrder(providers.hotel.providerId, { nights: 31 }),
    'hotel.checkOut',
  ],
  [
    'a consultation slot on 9999-12-31',
    () => {
      const body = teleconsultationOrder(providers.teleconsultation.providerId);
      body.teleconsultation.slotStart = '9999-12-31T10:00:00Z';
      return body;
    },
    'teleconsultation.slotStart',
  ],
  [
    'a consultation slot 91 days ahead',
    () =>
      teleconsultationOrder(providers.teleconsultation.providerId, {
        slotStartsInMs: 91 * DAY,
      }),
    'teleconsultation.slotStart',
  ],
])(
  '%s is 422 out_of_horizon naming the field, and nothing is charged',
  async (_case, body, path) => {
    const request = body();
    const response = await placeOrder(harness.apiUrl, request, { key: randomUUID() });
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('out_of_horizon');
    expect(response.body.error.details).toEqual([expect.objectContaining({ path })]);
    const providerId = (request as { providerId: string }).providerId;
    expect(await storedOrders(harness, providerId)).toBe(0);
    expect(await harness.database.models.SandboxPayment.countDocuments({})).toBe(0);
  },
);

test('the edges of each horizon are orders', async () => {
  // One clock reading for both ends: a millisecond between two would make the window longer
  // than its 24 hours (CI once answered 422 here).
  const now = Date.now();
  const edges = [
    groceryWindow(inDays(13.9, now), inDays(14.9, now)),
    hotelOrder(providers.hotel.providerId, { checkIn: dateFromToday(365), nights: 30 }),
    teleconsultationOrder(providers.teleconsultation.providerId, { slotStartsInMs: 89 * DAY }),
  ];
  for (const body of edges) {
    const response = await placeOrder(harness.apiUrl, body);
    // The error, if any, is in the failure message.
    expect({ status: response.status, error: response.body.error }).toEqual({
      status: 201,
      error: undefined,
    });
  }
});
