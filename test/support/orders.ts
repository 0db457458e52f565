// Request builders for checkout calls in tests, and waiting for an order to reach a status.

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eventually, TOKENS } from './harness';

export function groceryOrder(
  providerId: string,
  overrides: { token?: string; items?: unknown[] } = {},
) {
  return {
    vertical: 'grocery',
    customerId: 'cust_1',
    providerId,
    currency: 'CNY',
    payment: { token: overrides.token ?? 'tok_ok' },
    grocery: {
      items: overrides.items ?? [
        { sku: 'apple', name: 'Fuji apples 1kg', quantity: 2, unitPrice: 1299 },
        { sku: 'milk', name: 'Fresh milk 1L', quantity: 1, unitPrice: 1550 },
      ],
      deliveryAddress: '1 Test Road, Hangzhou',
      deliveryWindow: tomorrowsDeliveryWindow(),
    },
  };
}

/**
 * Tomorrow 10:00–11:00 UTC: inside the delivery horizon, and the same all day long, so a
 * test that builds the same order twice sends the same body.
 */
export function tomorrowsDeliveryWindow(): { start: string; end: string } {
  const tomorrow = dateFromToday(1);
  return { start: `${tomorrow}T10:00:00Z`, end: `${tomorrow}T11:00:00Z` };
}

/** 2 × 1299 + 1 × 1550 */
export const GROCERY_TOTAL = 4148;

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

/** Polls GET /v1/orders/:id until the order has `status`; answers with that order body. */
export async function waitForStatus(
  apiUrl: string,
  orderId: string,
  status: string,
  timeoutMs = 15_000,
) {
  return eventually(
    async () => {
      const response = await getOrder(apiUrl, orderId);
      return response.body.status === status ? response.body : undefined;
    },
    timeoutMs,
    `order ${orderId} to be ${status}`,
  );
}

const DAY = 86_400_000;

/** A calendar date `days` from now (UTC). */
export function dateFromToday(days: number): string {
  return new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
}

export function hotelOrder(
  providerId: string,
  overrides: { token?: string; checkIn?: string; nights?: number; nightlyRate?: number } = {},
) {
  const checkIn = overrides.checkIn ?? dateFromToday(7);
  const nights = overrides.nights ?? 3;
  return {
    vertical: 'hotel',
    customerId: 'cust_1',
    providerId,
    currency: 'CNY',
    payment: { token: overrides.token ?? 'tok_ok' },
    hotel: {
      roomType: 'deluxe-double',
      checkIn,
      checkOut: new Date(Date.parse(checkIn) + nights * DAY).toISOString().slice(0, 10),
      guests: 2,
      nightlyRate: overrides.nightlyRate ?? 45_000,
    },
  };
}

export function teleconsultationOrder(
  providerId: string,
  overrides: {
    token?: string;
    slotStartsInMs?: number;
    fee?: number;
    durationMinutes?: number;
  } = {},
) {
  return {
    vertical: 'teleconsultation',
    customerId: 'cust_1',
    providerId,
    currency: 'CNY',
    payment: { token: overrides.token ?? 'tok_ok' },
    teleconsultation: {
      specialty: 'dermatology',
      slotStart: new Date(Date.now() + (overrides.slotStartsInMs ?? 3 * 3_600_000)).toISOString(),
      durationMinutes: overrides.durationMinutes ?? 15,
      fee: overrides.fee ?? 9_901,
    },
  };
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
