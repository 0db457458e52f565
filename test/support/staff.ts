// Support staff's calls in tests: bearer-token requests to /v1/support/orders.

import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eventually, TOKENS } from './harness';

export function support(apiUrl: string, token = TOKENS.support) {
  const auth = (r: request.Test) => r.set('Authorization', `Bearer ${token}`);
  const base = '/v1/support/orders';
  return {
    search: (query: Record<string, string | number> = {}) =>
      auth(request(apiUrl).get(base).query(query)),
    order: (orderId: string) => auth(request(apiUrl).get(`${base}/${orderId}`)),
    history: (orderId: string) => auth(request(apiUrl).get(`${base}/${orderId}/history`)),
    quote: (orderId: string) => auth(request(apiUrl).get(`${base}/${orderId}/cancellation-quote`)),
    refund: (orderId: string, body: object, key: string = randomUUID()) =>
      auth(request(apiUrl).post(`${base}/${orderId}/refunds`).set('Idempotency-Key', key)).send(
        body,
      ),
    decide: (orderId: string, refundId: string, verdict: 'approve' | 'decline', note?: string) =>
      auth(request(apiUrl).post(`${base}/${orderId}/refunds/${refundId}/${verdict}`)).send(
        note ? { note } : {},
      ),
    cancel: (orderId: string, body: object) =>
      auth(request(apiUrl).post(`${base}/${orderId}/cancel`)).send(body),
    redeliver: (orderId: string) =>
      auth(request(apiUrl).post(`${base}/${orderId}/notifications/redeliver`)),
  };
}

/**
 * The provider callbacks support reads for an order once `count` are there: the log is written
 * in batches after the answers (api/middleware/callback-log.ts).
 */
export function loggedCallbacks(apiUrl: string, orderId: string, count = 1): Promise<unknown[]> {
  return eventually(
    async () => {
      const { callbacks } = (await support(apiUrl).order(orderId)).body;
      return callbacks.length >= count ? (callbacks as unknown[]) : undefined;
    },
    5_000,
    'the callback log',
  );
}
