// Checkout calls in tests (their bodies from dev/sample-orders.ts, with the tests' defaults),
// and waiting for an order to reach a status.

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  SAMPLE_GROCERY_TOTAL,
  sampleGroceryOrder,
  sampleHotelOrder,
  sampleTeleconsultationOrder,
} from '../../dev/sample-orders';
import { eventually, TOKENS, type Harness, type RegisteredProvider } from './harness';

export { dateFromToday } from '../../dev/sample-orders';

/**
 * How many orders are stored (of `providerId`, if given): those with a first publication,
 * stored before checkout answers. The listing copy (`orders`) follows a moment later.
 */
export function storedOrders(harness: Pick<Harness, 'database'>, providerId?: string) {
  return harness.database.models.OrderPublication.countDocuments({
    publication: 1,
    ...(providerId !== undefined ? { 'snapshot.providerId': providerId } : {}),
  });
}

/** Two apples and a milk, tomorrow morning (dev/sample-orders.ts). */
export function groceryOrder(
  providerId: string,
  overrides: { token?: string; items?: unknown[] } = {},
) {
  return sampleGroceryOrder(providerId, overrides);
}

/** 2 × 1299 + 1 × 1550 */
export const GROCERY_TOTAL = SAMPLE_GROCERY_TOTAL;

export function placeOrder(
  apiUrl: string,
  body: unknown,
  options: { key?: string; token?: string } = {},
) {
  return request(apiUrl)
    .post('/v1/orders')
    .set('Authorization', `Bearer ${options.token ?? TOKENS.app}`)
    .set('Idempotency-Key', options.key ?? randomUUID())
    .send(body as object);
}

export function getOrder(apiUrl: string, orderId: string, token = TOKENS.app) {
  return request(apiUrl).get(`/v1/orders/${orderId}`).set('Authorization', `Bearer ${token}`);
}

/**
 * Polls GET /v1/orders/:id until the order has `status` (and meets `until`, when given);
 * answers with that order body.
 */
export async function waitForStatus(
  apiUrl: string,
  orderId: string,
  status: string,
  timeoutMs = 15_000,
  options: { until?: (order: Record<string, unknown>) => boolean } = {},
) {
  return eventually(
    async () => {
      const response = await getOrder(apiUrl, orderId);
      const met = response.body.status === status && (options.until?.(response.body) ?? true);
      return met ? response.body : undefined;
    },
    timeoutMs,
    `order ${orderId} to be ${status}`,
  );
}

/** Three nights from a week today, unless the test says otherwise. */
export function hotelOrder(
  providerId: string,
  overrides: { token?: string; checkIn?: string; nights?: number; nightlyRate?: number } = {},
) {
  return sampleHotelOrder(providerId, overrides);
}

/** A dermatology slot in three hours, unless the test says otherwise. */
export function teleconsultationOrder(
  providerId: string,
  overrides: {
    token?: string;
    slotStartsInMs?: number;
    fee?: number;
    durationMinutes?: number;
  } = {},
) {
  const { slotStartsInMs = 3 * 3_600_000, ...rest } = overrides;
  return sampleTeleconsultationOrder(providerId, {
    ...rest,
    slotStart: new Date(Date.now() + slotStartsInMs),
  });
}

export function cancelOrder(
  apiUrl: string,
  orderId: string,
  reason = 'changed my mind',
  token = TOKENS.app,
) {
  return request(apiUrl)
    .post(`/v1/orders/${orderId}/cancel`)
    .set('Authorization', `Bearer ${token}`)
    .send({ reason });
}

/** A grocery order the store accepted whole: captured in full, its courier on the way. */
export async function dispatchedGroceryOrder(
  apiUrl: string,
  store: RegisteredProvider,
): Promise<string> {
  const checkout = await placeOrder(apiUrl, groceryOrder(store.providerId));
  if (checkout.status !== 201) throw new Error(`checkout answered ${checkout.status}`);
  const orderId: string = checkout.body.orderId;
  const accepted = await store.client.confirm(orderId, { decision: 'accept' });
  if (accepted.status !== 200)
    throw new Error(`the store's acceptance answered ${accepted.status}`);
  await waitForStatus(apiUrl, orderId, 'dispatching');
  return orderId;
}
