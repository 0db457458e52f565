// Which Temporal task queue each kind of work runs on. Two layouts (TEMPORAL_TASK_QUEUE_LAYOUT):
//   single        everything on TEMPORAL_TASK_QUEUE (`orders`): one pool of workers serves all;
//   per-vertical  `<base>-grocery`, `<base>-hotel`, `<base>-teleconsultation` for each vertical's
//                 order and after-sales workflows and `<base>-maintenance` for the schedules,
//                 so each vertical's workers scale (and fail) on their own (docs/SCALING.md).
// App events' deliveries run on `<base>-app-events` in both layouts: a slow or dead app
// endpoint then holds that queue's worker slots, never the ones orders run on.
// A workflow stays on the queue it started on for life, activities included: after a switch
// to per-vertical the orders started before it are still on `<base>`, which the `legacy` lane
// keeps serving until they have all closed.

import type { Vertical } from '../domain/order';
import { VERTICALS } from '../domain/order';

export const TASK_QUEUE_LAYOUTS = ['single', 'per-vertical'] as const;
export type TaskQueueLayout = (typeof TASK_QUEUE_LAYOUTS)[number];

/**
 * What a worker can poll: a vertical's queue, the maintenance queue, app events' deliveries,
 * or the old single queue.
 */
export const WORKER_LANES = [...VERTICALS, 'maintenance', 'app-events', 'legacy'] as const;
export type WorkerLane = (typeof WORKER_LANES)[number];

export interface TaskQueueSettings {
  /** TEMPORAL_TASK_QUEUE: the single queue, or the prefix of the per-vertical ones. */
  taskQueue: string;
  queueLayout: TaskQueueLayout;
}

/** The queue a lane's work runs on. */
function taskQueueOf(settings: TaskQueueSettings, lane: WorkerLane): string {
  if (lane === 'app-events') return `${settings.taskQueue}-app-events`;
  if (settings.queueLayout === 'single' || lane === 'legacy') return settings.taskQueue;
  return `${settings.taskQueue}-${lane}`;
}

/** Where an order of this vertical (and its after-sales runs) is started. */
export const orderTaskQueue = (settings: TaskQueueSettings, vertical: Vertical): string =>
  taskQueueOf(settings, vertical);

/** Where app events' delivery workflows run (an admin's retry included). */
export const appEventTaskQueue = (settings: TaskQueueSettings): string =>
  taskQueueOf(settings, 'app-events');

/** Where the schedules' maintenance workflows are started. */
export const maintenanceTaskQueue = (settings: TaskQueueSettings): string =>
  taskQueueOf(settings, 'maintenance');

/**
 * The distinct queues a worker polls for these lanes: in the single layout all lanes are the
 * one queue. No lanes given: every lane (one worker process serving everything, as npm start).
 */
export function workerTaskQueues(
  settings: TaskQueueSettings,
  lanes: readonly WorkerLane[] = WORKER_LANES,
): string[] {
  return [...new Set(lanes.map((lane) => taskQueueOf(settings, lane)))];
}
