// Demo data: the providers the simulator plays, registered like any provider through the
// admin API (`POST /v1/admin/providers`). Idempotent: a provider that is already there keeps
// its secrets and is pointed at the simulator's current webhook URL (`PATCH`).

import type { Vertical } from '../domain/order';
import { createAdminClient } from './admin-client';
import type { ProviderResponse } from './provider-client';

export const DEMO_PROVIDERS: readonly {
  providerId: string;
  vertical: Vertical;
  name: string;
  /** Hotels must name theirs; the others are on UTC without one. */
  timeZone?: string;
}[] = [
  { providerId: 'demo-grocery', vertical: 'grocery', name: 'Demo Fresh Market' },
  { providerId: 'demo-grocery-2', vertical: 'grocery', name: 'Corner Greens' },
  {
    providerId: 'demo-hotel',
    vertical: 'hotel',
    name: 'Demo Lakeside Hotel',
    timeZone: 'Asia/Shanghai',
  },
  {
    providerId: 'demo-clinic',
    vertical: 'teleconsultation',
    name: 'Demo Skin Clinic',
    timeZone: 'Asia/Shanghai',
  },
];

export async function seedDemoProviders(options: {
  apiUrl: string;
  /** A bearer token with the `admin` role. */
  adminToken: string;
  webhookUrl: (providerId: string) => string;
}): Promise<void> {
  const admin = createAdminClient(options.apiUrl, options.adminToken);
  const checked = (what: string, answer: ProviderResponse) => {
    if (answer.status >= 300 && answer.status !== 409)
      throw new Error(`seeding: ${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer;
  };

  const existing = new Set<string>();
  for (let cursor: unknown = ''; typeof cursor === 'string';) {
    const page = checked('listing providers', await admin.list({ cursor: cursor || undefined }));
    for (const p of page.body.providers as { providerId: string }[]) existing.add(p.providerId);
    cursor = page.body.nextCursor;
  }
  for (const { providerId, vertical, name, timeZone } of DEMO_PROVIDERS) {
    const webhookUrl = options.webhookUrl(providerId);
    const zone = timeZone ? { timeZone } : {};
    // A provider registered meanwhile (409) is updated like one that was already there.
    const registered =
      !existing.has(providerId) &&
      checked(
        `registering ${providerId}`,
        await admin.register({ providerId, vertical, name, webhookUrl, ...zone }),
      ).status === 201;
    if (!registered)
      checked(
        `updating ${providerId}`,
        await admin.update(providerId, { name, webhookUrl, ...zone }),
      );
  }
}
