// Demo data: the providers the simulator plays. Idempotent: re-running keeps their secrets.

import type { Models } from '../infra/db';
import type { Vertical } from '../domain/order';
import { generateSigningSecret } from '../infra/signing';

export const DEMO_PROVIDERS: readonly { providerId: string; vertical: Vertical; name: string }[] = [
  { providerId: 'demo-grocery', vertical: 'grocery', name: 'Demo Fresh Market' },
  { providerId: 'demo-grocery-2', vertical: 'grocery', name: 'Corner Greens' },
  { providerId: 'demo-hotel', vertical: 'hotel', name: 'Demo Lakeside Hotel' },
  { providerId: 'demo-clinic', vertical: 'teleconsultation', name: 'Demo Skin Clinic' },
];

export async function seedDemoProviders(
  models: Pick<Models, 'Provider'>,
  webhookUrl: (providerId: string) => string,
) {
  for (const provider of DEMO_PROVIDERS) {
    await models.Provider.updateOne(
      { _id: provider.providerId },
      {
        $set: {
          vertical: provider.vertical,
          name: provider.name,
          webhookUrl: webhookUrl(provider.providerId),
        },
        $setOnInsert: { signingSecret: generateSigningSecret(), createdAt: new Date() },
      },
      { upsert: true },
    );
  }
}
