// What activities need from the outside world, handed in by the worker (and by tests).

import type { Models } from '../infra/db';
import type { Logger } from '../infra/logger';
import type { PaymentGateway } from '../infra/payments/gateway';
import type { CourierNetwork } from '../infra/dispatch/couriers';

export interface ActivityDeps {
  models: Models;
  gateway: PaymentGateway;
  couriers: CourierNetwork;
  logger: Logger;
  /** Outbound HTTP for provider webhooks. */
  fetch: typeof fetch;
  clock: () => Date;
}
