// Temporal Schedules orderflow relies on, registered at start by every worker (and by the
// in-process runtime): created when missing, brought in line when their settings changed
// (a new retention, another task queue), left alone otherwise. Visible and pausable in the
// Temporal Web UI under Schedules; a pause made there survives restarts.
//
// purge-idempotency-records: every hour, purgeExpiredIdempotencyRecords deletes checkout's
// idempotency records older than IDEMPOTENCY_RETENTION_HOURS. An overlapping run is skipped.

import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Config } from '../infra/config';
import { maintenanceTaskQueue } from '../infra/task-queues';
import { connectClient } from '../infra/temporal';
import type { purgeExpiredIdempotencyRecords } from '../workflows/maintenance';

const HOUR_MS = 3_600_000;
const DEFAULT_TASK_QUEUE = 'orders';

/**
 * Schedule ids are namespace-wide: deployments (and test runs) sharing a namespace on other
 * task queues keep their own schedule. The default task queue's is plainly
 * `purge-idempotency-records`.
 */
export function purgeScheduleId(taskQueue: string): string {
  const id = 'purge-idempotency-records';
  return taskQueue === DEFAULT_TASK_QUEUE ? id : `${id}-${taskQueue}`;
}

function purgeSchedule(config: Readonly<Config>) {
  const action: ScheduleOptionsStartWorkflowAction<typeof purgeExpiredIdempotencyRecords> = {
    type: 'startWorkflow',
    workflowType: 'purgeExpiredIdempotencyRecords',
    workflowId: purgeScheduleId(config.temporal.taskQueue),
    // The maintenance queue when queues are per vertical (the id stays the base queue's, so a
    // switch of layout moves the existing schedule instead of adding a second one).
    taskQueue: maintenanceTaskQueue(config.temporal),
    args: [{ retentionHours: config.idempotencyRetentionHours }],
    // A run cut short (no worker for the hour) ends before the next one is due.
    workflowExecutionTimeout: 50 * 60 * 1000,
  };
  return {
    scheduleId: purgeScheduleId(config.temporal.taskQueue),
    spec: { intervals: [{ every: HOUR_MS }] },
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: HOUR_MS },
  };
}

type Wanted = ReturnType<typeof purgeSchedule>;

/** Whether the schedule on the server does what `wanted` says. */
function matches(current: ScheduleDescription, wanted: Wanted): boolean {
  const { action } = current;
  const intervals = current.spec.intervals ?? [];
  return (
    intervals.length === 1 &&
    intervals[0]!.every === HOUR_MS &&
    (current.spec.calendars ?? []).length === 0 &&
    action.type === 'startWorkflow' &&
    action.workflowType === wanted.action.workflowType &&
    action.taskQueue === wanted.action.taskQueue &&
    JSON.stringify(action.args) === JSON.stringify(wanted.action.args) &&
    Number(action.workflowExecutionTimeout) === wanted.action.workflowExecutionTimeout &&
    current.policies.overlap === wanted.policies.overlap &&
    current.policies.catchupWindow === wanted.policies.catchupWindow
  );
}

export type ScheduleChange = 'created' | 'updated' | 'unchanged';

/** Creates or updates orderflow's schedules; safe to call from many workers at once. */
export async function ensureSchedules(
  client: Client,
  config: Readonly<Config>,
): Promise<Record<string, ScheduleChange>> {
  const wanted = purgeSchedule(config);
  try {
    await client.schedule.create({
      ...wanted,
      state: {
        note: `Purges checkout idempotency records older than ${config.idempotencyRetentionHours} h (IDEMPOTENCY_RETENTION_HOURS)`,
      },
    });
    return { [wanted.scheduleId]: 'created' };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(wanted.scheduleId);
  if (matches(await handle.describe(), wanted)) return { [wanted.scheduleId]: 'unchanged' };
  await handle.update((previous) => ({
    spec: wanted.spec,
    action: wanted.action,
    policies: { ...previous.policies, ...wanted.policies },
    // Paused in the Web UI stays paused.
    state: previous.state,
  }));
  return { [wanted.scheduleId]: 'updated' };
}

/** For a process without a Temporal client of its own (the worker): connect, ensure, close. */
export async function registerSchedules(
  config: Readonly<Config>,
): Promise<Record<string, ScheduleChange>> {
  const client = await connectClient(config.temporal);
  try {
    return await ensureSchedules(client, config);
  } finally {
    await client.connection.close();
  }
}
