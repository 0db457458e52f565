// Housekeeping workflows, started by Temporal Schedules (workers/schedules.ts).
//
// purgeExpiredIdempotencyRecords: checkout's idempotency records older than the retention are
// deleted with their recorded answers, batch after batch (activities/maintenance.ts). Deletes
// are idempotent, so an interrupted run loses nothing: the next one carries on. A long backlog
// continues as new so the history stays small.

import { continueAsNew, proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import type { PurgeBatch } from '../activities/maintenance';
import { workflowNow } from './clock';

/**
 * One batch is a few database reads and two deletes: a minute is plenty. Retried until it
 * works (the database may be briefly away); the schedule's next run starts over anyway.
 */
const { purgeIdempotencyRecords } = proxyActivities<
  Pick<OrderActivities, 'purgeIdempotencyRecords'>
>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Batches per run before continuing as new (about 6 history events each). */
const BATCHES_PER_RUN = 200;

export interface PurgeInput {
  retentionHours: number;
  /** Set when continuing as new: where the previous run stopped, and what it purged. */
  after?: string;
  totals?: PurgeTotals;
}

export type PurgeTotals = Omit<PurgeBatch, 'next'>;

export async function purgeExpiredIdempotencyRecords(input: PurgeInput): Promise<PurgeTotals> {
  const olderThan = new Date(
    workflowNow().getTime() - input.retentionHours * 3_600_000,
  ).toISOString();
  const totals: PurgeTotals = input.totals ?? {
    recordsDeleted: 0,
    answersDeleted: 0,
    recordsKept: 0,
  };
  let after = input.after;
  for (let batch = 0; batch < BATCHES_PER_RUN; batch++) {
    const done = await purgeIdempotencyRecords({ olderThan, ...(after ? { after } : {}) });
    totals.recordsDeleted += done.recordsDeleted;
    totals.answersDeleted += done.answersDeleted;
    totals.recordsKept += done.recordsKept;
    if (done.next === undefined) return totals;
    after = done.next;
  }
  return continueAsNew<typeof purgeExpiredIdempotencyRecords>({ ...input, after, totals });
}
