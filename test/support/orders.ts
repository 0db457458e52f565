// Request builders for checkout calls in tests.

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { TOKENS } from './harness';

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
      deliveryWindow: { start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' },
    },
  };
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
