// Housekeeping the embedded database cannot do itself (FerretDB has no TTL indexes): checkout's
// idempotency records past their retention are deleted, with the answers recorded for their
// orders; expired codec sign-in sessions (infra/models/codec-session.ts) and announcements of
// directory changes no process asks about any more (infra/directory-changes.ts) with the first
// batch of each run. Run by the purge workflow (workflows/maintenance.ts) on a Temporal
// Schedule; the sessions ride on its first batch so that the workflow stays as it is.
//
// A key's orders are its first order id and the ids derived from it for each "try again"
// answer (`attemptOrderId`, infra/models/idempotency.ts); the answers recorded for them form a chain that
// ends at the first order without an answer or with one that is not "try again". An answer is
// deleted only once its order's payment is decided (its workflow published the order past
// `pending_payment`): until then the workflow may still need it to keep checkout's word. A key
// with such an answer is kept and looked at again on the next run. Answers go before their
// key, and deleting what is gone does nothing, so a retried or interrupted batch is harmless.

import { deleteCheckoutAnswers, readCheckoutAnswers } from '../infra/checkout-answers';
import { deleteExpiredCodecSessions } from '../infra/models/codec-session';
import { KEEP_AT_MOST_MS } from '../infra/directory';
import { deleteChangesBefore } from '../infra/directory-changes';
import { attemptOrderId } from '../infra/models/idempotency';
import { isRetryableAnswer } from '../domain/checkout';
import type { ActivityDeps } from './deps';

/** A key has at most this many orders (checkout stops retrying a key long before). */
const MAX_ATTEMPTS = 100;
const DEFAULT_BATCH_SIZE = 500;
/** Announced changes older than this are deleted: nothing is kept so long. */
const CHANGES_KEPT_MS = 6 * KEEP_AT_MOST_MS;

export interface PurgeRequest {
  /** ISO time: records created before it are purged. */
  olderThan: string;
  /** Continue after this record id (the previous batch's `next`). */
  after?: string;
  batchSize?: number;
}

export interface PurgeBatch {
  recordsDeleted: number;
  answersDeleted: number;
  /** Records past the retention kept because one of their orders is not decided yet. */
  recordsKept: number;
  /** Where the next batch starts; absent when this was the last one. */
  next?: string;
}

export function createMaintenanceActivities({
  models,
  logger,
  clock = () => new Date(),
}: Pick<ActivityDeps, 'models' | 'logger'> & Partial<Pick<ActivityDeps, 'clock'>>) {
  /** The recorded answers of each record's orders, and whether all those orders are decided. */
  async function answersOf(records: { _id: string; orderId: string }[]) {
    const answerIds = new Map<string, string[]>(records.map((r) => [r._id, []]));
    let chains = records.map((record) => ({ record, attempt: 0 }));
    while (chains.length > 0) {
      const ids = chains.map(({ record, attempt }) => attemptOrderId(record.orderId, attempt));
      const byId = await readCheckoutAnswers(models, ids);
      chains = chains.flatMap(({ record, attempt }) => {
        const orderId = attemptOrderId(record.orderId, attempt);
        const answer = byId.get(orderId);
        if (!answer) return [];
        answerIds.get(record._id)!.push(orderId);
        return isRetryableAnswer(answer) && attempt + 1 < MAX_ATTEMPTS
          ? [{ record, attempt: attempt + 1 }]
          : [];
      });
    }
    const orderIds = [...answerIds.values()].flat();
    const decided = new Set(
      (
        await models.Order.find({ _id: { $in: orderIds }, status: { $ne: 'pending_payment' } })
          .select({ _id: 1 })
          .lean<{ _id: string }[]>()
      ).map((order) => order._id),
    );
    return records.map((record) => {
      const ids = answerIds.get(record._id)!;
      return { record, answerIds: ids, decided: ids.every((id) => decided.has(id)) };
    });
  }

  return {
    /**
     * Deletes one batch of idempotency records created before `olderThan`, with their answers;
     * the first batch of a run (no `after`) deletes the expired codec sessions too.
     */
    async purgeIdempotencyRecords(request: PurgeRequest): Promise<PurgeBatch> {
      if (request.after === undefined) {
        const sessionsDeleted = await deleteExpiredCodecSessions(models.CodecSession, clock());
        if (sessionsDeleted > 0) logger.info({ sessionsDeleted }, 'expired codec sessions deleted');
        const changesDeleted = await deleteChangesBefore(
          models,
          new Date(clock().getTime() - CHANGES_KEPT_MS),
        );
        if (changesDeleted > 0) logger.info({ changesDeleted }, 'old directory changes deleted');
      }
      const batchSize = request.batchSize ?? DEFAULT_BATCH_SIZE;
      const olderThan = new Date(request.olderThan);
      const records = await models.IdempotencyRecord.find({
        createdAt: { $lt: olderThan },
        ...(request.after !== undefined ? { _id: { $gt: request.after } } : {}),
      })
        .select({ _id: 1, orderId: 1 })
        .sort({ _id: 1 })
        .limit(batchSize)
        .lean<{ _id: string; orderId: string }[]>();
      const keys = await answersOf(records);
      const purgeable = keys.filter((key) => key.decided);
      const answerIds = purgeable.flatMap((key) => key.answerIds);
      const answersDeleted = await deleteCheckoutAnswers(models, answerIds);
      const recordsDeleted =
        purgeable.length > 0
          ? (
              await models.IdempotencyRecord.deleteMany({
                _id: { $in: purgeable.map((key) => key.record._id) },
              })
            ).deletedCount
          : 0;
      const recordsKept = keys.length - purgeable.length;
      if (recordsKept > 0)
        logger.info(
          { recordsKept, olderThan: request.olderThan },
          'idempotency records kept: an order of theirs is not decided yet',
        );
      return {
        recordsDeleted,
        answersDeleted,
        recordsKept,
        ...(records.length === batchSize ? { next: records[records.length - 1]!._id } : {}),
      };
    },
  };
}
