// The order read model. Workflows publish a snapshot at every transition; this writes it to
// the database unless a newer revision is already there, so retried or reordered writes can
// never roll an order back.

import type { OrderSnapshot } from '../domain/order';
import { isDuplicateKeyError } from '../infra/db';
import type { ActivityDeps } from './deps';

/** A write that keeps finding an older revision stored gives up (and the activity retries). */
const MAX_WRITE_ROUNDS = 5;

/**
 * Stores the snapshot unless the stored one has this or a newer revision. The guarded replace
 * is not atomic on FerretDB: a stale write racing it (an attempt of a worker that died) can
 * land after it. So the write reads back and writes again until the stored revision is at
 * least its own.
 */
export async function saveSnapshot(
  models: Pick<ActivityDeps['models'], 'Order'>,
  snapshot: OrderSnapshot,
): Promise<void> {
  for (let round = 1; ; round++) {
    try {
      await models.Order.replaceOne(
        { _id: snapshot.orderId, revision: { $lt: snapshot.revision } },
        { _id: snapshot.orderId, ...snapshot },
        { upsert: true },
      );
    } catch (error) {
      // The upsert collided with a document holding this or a newer revision.
      if (!isDuplicateKeyError(error)) throw error;
    }
    const stored = await models.Order.findById(snapshot.orderId, { revision: 1 }).lean();
    if ((stored?.revision ?? 0) >= snapshot.revision) return;
    if (round >= MAX_WRITE_ROUNDS)
      throw new Error(`order ${snapshot.orderId}: revision ${snapshot.revision} did not stick`);
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
