// The order read model's writes, run by the workflow at every transition it publishes
// (infra/read-model.ts keeps reads from ever going back in time).

import type { AppEventType } from '../domain/app-events';
import type { OrderSnapshot } from '../domain/order';
import { publishSnapshot, readPublishedOrder } from '../infra/read-model';
import { announceAppEvents } from './app-events';
import type { ActivityDeps } from './deps';

export function createOrderActivities(deps: ActivityDeps) {
  const { models, listing } = deps;
  return {
    /**
     * Stores the workflow's `publication`-th snapshot. Answers with the snapshot written, so
     * the workflow's history records what the read model was given even when this runs as a
     * local activity (whose input is not recorded). `appEvents`: what this snapshot tells the
     * app (workflows/read-model.ts), delivered once it is stored.
     */
    async saveOrderSnapshot(
      snapshot: OrderSnapshot,
      publication?: number,
      appEvents?: AppEventType[],
    ): Promise<OrderSnapshot> {
      await publishSnapshot(models, listing, snapshot, publication);
      await announceAppEvents(deps, snapshot, publication, appEvents);
      return snapshot;
    },

    /**
     * The order as last published, with its count of publications: where the order's
     * after-sales workflow takes over its books.
     */
    async loadPublishedOrder(orderId: string) {
      return readPublishedOrder(models, orderId);
    },
  };
}
