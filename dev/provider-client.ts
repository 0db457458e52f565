// A provider's side of the contract: signed calls to orderflow's provider endpoints. Used by
// the demo provider simulator, the tests and the benchmarks. Each call is signed over
// "<t>.<METHOD>.<path and query>.<raw body>" (infra/signing.ts), the path and query taken
// from the URL exactly as fetch will send it.

import { callbackSignatureHeader, SIGNATURE_HEADER } from '../infra/signing';

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
    // The WHATWG URL serialisation is what goes on the wire (percent-encoding included).
    const url = new URL(`${apiUrl}${path}`);
    const target = `${url.pathname}${url.search}`;
    const response = await fetch(url, {
      method,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: callbackSignatureHeader(credentials.signingSecret, {
          method,
          target,
          rawBody: body,
        }),
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
