// Demo data: the providers the simulator plays, registered like any provider through the
// admin API (`POST /v1/admin/providers`). Idempotent: a provider that is already there keeps
// its secrets and is pointed at the simulator's current webhook URL (`PATCH`).

import type { Vertical } from '../domain/order';

export const DEMO_PROVIDERS: readonly { providerId: string; vertical: Vertical; name: string }[] = [
  { providerId: 'demo-grocery', vertical: 'grocery', name: 'Demo Fresh Market' },
  { providerId: 'demo-grocery-2', vertical: 'grocery', name: 'Corner Greens' },
  { providerId: 'demo-hotel', vertical: 'hotel', name: 'Demo Lakeside Hotel' },
  { providerId: 'demo-clinic', vertical: 'teleconsultation', name: 'Demo Skin Clinic' },
];

export async function seedDemoProviders(options: {
  apiUrl: string;
  /** A bearer token with the `admin` role. */
  adminToken: string;
  webhookUrl: (providerId: string) => string;
}): Promise<void> {
  const call = async (method: 'GET' | 'POST' | 'PATCH', path: string, body?: object) => {
    const response = await fetch(`${options.apiUrl}/v1/admin/providers${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.adminToken}`,
        'content-type': 'application/json',
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok && response.status !== 409)
      throw new Error(`seeding: ${method} ${path} answered ${response.status}: ${text}`);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  };

  const existing = new Set<string>();
  for (let cursor: unknown = ''; typeof cursor === 'string';) {
    const page = await call('GET', `?limit=100${cursor && `&cursor=${cursor}`}`);
    for (const p of page.body.providers as { providerId: string }[]) existing.add(p.providerId);
    cursor = page.body.nextCursor;
  }
  for (const { providerId, vertical, name } of DEMO_PROVIDERS) {
    const webhookUrl = options.webhookUrl(providerId);
    // A provider registered meanwhile (409) is updated like one that was already there.
    const registered =
      !existing.has(providerId) &&
      (await call('POST', '', { providerId, vertical, name, webhookUrl })).status === 201;
    if (!registered) await call('PATCH', `/${providerId}`, { name, webhookUrl });
  }
}
