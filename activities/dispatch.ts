// Dispatch steps: handing a confirmed order to whoever carries it out.

import type { Courier } from '../domain/order';
import type { ActivityDeps } from './deps';

export function createDispatchActivities({ couriers }: Pick<ActivityDeps, 'couriers'>) {
  return {
    async assignCourier(input: {
      orderId: string;
      pickupFrom: string;
      deliverTo: string;
    }): Promise<Courier> {
      return couriers.assign(input);
    },
  };
}
