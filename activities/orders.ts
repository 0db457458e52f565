// The order read model. Workflows publish a snapshot at every transition; this writes it to
// the database unless a newer revision is already there, so retried or reordered writes can
// never roll an order back.

import type { OrderSnapshot } from '../domain/order';
import { isDuplicateKeyError } from '../infra/db';
import type { ActivityDeps } from './deps';

export function createOrderActivities({ models }: Pick<ActivityDeps, 'models'>) {
  return {
    async saveOrderSnapshot(snapshot: OrderSnapshot): Promise<void> {
      try {
        await models.Order.replaceOne(
          { _id: snapshot.orderId, revision: { $lt: snapshot.revision } },
          { _id: snapshot.orderId, ...snapshot },
          { upsert: true },
        );
      } catch (error) {
        // The upsert collided with a document holding this or a newer revision: nothing to do.
        if (!isDuplicateKeyError(error)) throw error;
      }
    },
  };
}
