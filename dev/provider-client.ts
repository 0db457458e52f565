// A provider's side of the contract: signed calls to orderflow's provider endpoints. Used by
// the demo provider simulator, the tests and the benchmarks.

import { SIGNATURE_HEADER, signatureHeader } from '../infra/signing';

export interface ProviderCredentials {
  providerId: string;
  signingSecret: string;
}

export interface ProviderResponse {
  status: number;
  /** Parsed JSON, as loosely typed as supertest's: callers assert on its shape. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export function createProviderClient(apiUrl: string, credentials: ProviderCredentials) {
  async function call(
    method: 'GET' | 'POST',
    path: string,
    payload?: unknown,
  ): Promise<ProviderResponse> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signatureHeader(credentials.signingSecret, body),
      },
      ...(method === 'POST' ? { body } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  const orderPath = (orderId: string) =>
    `/v1/providers/${credentials.providerId}/orders/${orderId}`;
  return {
    confirm: (orderId: string, decision: Record<string, unknown>) =>
      call('POST', `${orderPath(orderId)}/confirmation`, decision),
    reportEvent: (orderId: string, type: string, at = new Date().toISOString()) =>
      call('POST', `${orderPath(orderId)}/events`, { type, at }),
    listOrders: (status = 'awaiting_confirmation') =>
      call(
        'GET',
        `/v1/providers/${credentials.providerId}/orders?status=${encodeURIComponent(status)}`,
      ),
  };
}
