// All activities the order worker registers, built from their dependencies. Workflows type
// their activity proxies from `OrderActivities`, so the two cannot drift apart.

import { createAppEventActivities } from './app-events';
import { createCheckoutActivities } from './checkout';
import type { ActivityDeps } from './deps';
import { createDispatchActivities } from './dispatch';
import { createMaintenanceActivities } from './maintenance';
import { createOrderActivities } from './orders';
import { createPaymentActivities } from './payments';
import { createProviderActivities } from './providers';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPaymentActivities(deps),
    ...createCheckoutActivities(deps),
    ...createProviderActivities(deps),
    ...createDispatchActivities(deps),
    ...createOrderActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createAppEventActivities(deps),
  };
}

export type OrderActivities = ReturnType<typeof createActivities>;
