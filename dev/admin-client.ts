// An admin's side of the contract: bearer-token calls to orderflow's provider administration
// (`/v1/admin/providers`, API.md) and app endpoints (`/v1/admin/app-endpoints`). Beside the provider client (dev/provider-client.ts); used
// wherever the dev tools onboard providers over HTTP: npm start's demo seed, the tests' harness,
// the load generator, the admission benchmark and the fault suite.

import type { Vertical } from '../domain/order';
import type { ProviderResponse } from './provider-client';

/** A provider's registration (`POST /v1/admin/providers`). */
export interface ProviderRegistration {
  providerId: string;
  vertical: Vertical;
  name: string;
  webhookUrl?: string;
  confirmationTimeoutSeconds?: number;
  doctorNoShowGraceSeconds?: number;
  /** An IANA zone; required for hotels. */
  timeZone?: string;
  /** Hotels: local `HH:MM` (default 14:00 and 12:00). */
  checkInTime?: string;
  checkOutTime?: string;
  /** Providers of the same vertical a rejected or unanswered order goes to, in turn. */
  fallbackProviderIds?: string[];
}

/** What a registration answers once: the provider's signing secret. */
export interface RegisteredCredentials {
  providerId: string;
  signingSecret: string;
}

export function createAdminClient(apiUrl: string, adminToken: string) {
  async function call(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    payload?: unknown,
    collection = 'providers',
  ): Promise<ProviderResponse> {
    const response = await fetch(`${apiUrl}/v1/admin/${collection}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  return {
    register: (registration: ProviderRegistration) => call('POST', '', registration),
    update: (providerId: string, changes: Record<string, unknown>) =>
      call('PATCH', `/${encodeURIComponent(providerId)}`, changes),
    /** One page of the provider list; `cursor` from the previous page's `nextCursor`. */
    list: (options: { limit?: number; cursor?: string } = {}) => {
      const query = new URLSearchParams({ limit: String(options.limit ?? 100) });
      if (options.cursor) query.set('cursor', options.cursor);
      return call('GET', `?${query}`);
    },
    /** Registers the provider and answers its secret; anything but 201 throws, naming it. */
    async registerOrThrow(registration: ProviderRegistration): Promise<RegisteredCredentials> {
      const answer = await call('POST', '', registration);
      if (answer.status !== 201)
        throw new Error(
          `registering ${registration.providerId} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
        );
      return {
        providerId: registration.providerId,
        signingSecret: (answer.body as { signingSecret: string }).signingSecret,
      };
    },
    /** Registers an app endpoint and answers its id; anything but 201 throws, naming it. */
    async registerAppEndpointOrThrow(url: string, description: string): Promise<string> {
      const answer = await call('POST', '', { url, description }, 'app-endpoints');
      if (answer.status !== 201)
        throw new Error(
          `registering app endpoint ${url} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
        );
      return (answer.body as { endpointId: string }).endpointId;
    },
  };
}
