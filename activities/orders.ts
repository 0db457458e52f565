// The order read model. Workflows publish a snapshot at every transition; this writes it to
// the database unless a newer revision is already there, so retried or reordered writes can
// never roll an order back.

import type { OrderSnapshot } from '../domain/order';
import { isDuplicateKeyError } from '../infra/db';
import type { ActivityDeps } from './deps';

/** Stores the snapshot unless the stored one has this or a newer revision. */
export async function saveSnapshot(
  models: Pick<ActivityDeps['models'], 'Order'>,
  snapshot: OrderSnapshot,
): Promise<void> {
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
}

export function createOrderActivities({ models }: Pick<ActivityDeps, 'models'>) {
  return {
    /**
     * Answers with the snapshot written, so the workflow's history records what the read
     * model was given even when this runs as a local activity (whose input is not recorded).
     */
    async saveOrderSnapshot(snapshot: OrderSnapshot): Promise<OrderSnapshot> {
      await saveSnapshot(models, snapshot);
      return snapshot;
    },
  };
}
