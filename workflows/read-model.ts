// Publishing the order's snapshot to the read model from workflow code, and answering
// Updates only once the read model shows what the answer says.

import { condition } from '@temporalio/workflow';
import { appEventMarks, appEventsSince, type AppEventMarks } from '../domain/app-events';
import type { OrderSnapshot } from '../domain/order';
import { localReadModel, readModel } from './activities';
import type { Changes } from './changes';
import type { OrderRecord } from './order-record';
import { UpdateTasks } from './update-tasks';

export interface ReadModelPublisher {
  /** Writes the current snapshot; resolves when it is stored. */
  publish(): Promise<void>;
  /** The snapshot to answer an Update with, once the read model holds it (or newer). */
  answer(): Promise<OrderSnapshot>;
  /**
   * Records the current snapshot (the authorised order) as checkout's answer and publishes
   * it, unless checkout answered first; resolves with the answer that stands.
   */
  recordPaymentDecision(): Promise<OrderSnapshot>;
  /**
   * Numbers the next publications after those the read model already holds of this order:
   * for a start that earlier tries of the same workflow task may have published before they
   * were lost with their worker (their numbers would otherwise hide ours).
   */
  continueAfterPublished(): Promise<OrderSnapshot | undefined>;
}

/**
 * Call once, at the start of the workflow (it decides its patches there). `publishedBefore`:
 * how many publications of the order earlier workflows stored, and `lastPublished` the latest
 * of them (the after-sales workflow continues the order's numbering and its app events).
 */
export function readModelPublisher(
  order: OrderRecord,
  has: Changes,
  {
    publishedBefore = 0,
    lastPublished,
    updateTasks = new UpdateTasks(false),
  }: { publishedBefore?: number; lastPublished?: OrderSnapshot; updateTasks?: UpdateTasks } = {},
): ReadModelPublisher {
  let publishedRevision = 0;
  // What the app has been told (domain/app-events.ts): each publication carries the events
  // since, worked out here and handed to the write as an extra argument, so the workflow's
  // commands stay as they were (activity arguments are not compared on replay).
  let told: AppEventMarks | undefined = lastPublished && appEventMarks(lastPublished);
  const newsOf = (snapshot: OrderSnapshot) => {
    const marks = appEventMarks(snapshot);
    const events = appEventsSince(told, marks);
    // No events: the write's arguments are exactly what they were before app events.
    return { marks, events: events.length > 0 ? events : undefined };
  };
  // Serial writes are numbered so reads can follow them (infra/read-model.ts); the count is
  // rebuilt on replay from the same writes.
  let publications = publishedBefore;
  // A local database write needs no round trip through Temporal's task queue: it runs inside
  // the workflow task (one history event instead of six). Older runs wrote through the queue,
  // and newer ones still do from a task that accepted an Update (workflows/update-tasks.ts).
  const store = has('local-read-model-writes')
    ? updateTasks.route(localReadModel, readModel)
    : readModel;
  // One write at a time, each with the latest snapshot: a database without atomic updates
  // (FerretDB) could otherwise let an older snapshot land last. Older runs wrote in parallel.
  const serialWrites = has('serial-read-model-writes');
  const nextPublication = () => (serialWrites ? publications + 1 : undefined);
  const write = async () => {
    const snapshot = order.snapshot;
    const news = newsOf(snapshot);
    // Taken as told before the write: older runs write in parallel, and each event goes once.
    told = news.marks;
    await store.saveOrderSnapshot(snapshot, nextPublication(), news.events);
    publications += 1;
    publishedRevision = Math.max(publishedRevision, snapshot.revision);
  };
  // So a caller's next GET shows what the answer said. Older runs answered at once.
  const answersAfterPublish = has('answers-after-read-model');
  let lastWrite: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const next = lastWrite.then(step, step);
    lastWrite = next;
    return next;
  };

  return {
    publish() {
      if (!serialWrites) return write();
      return serially(write);
    },
    recordPaymentDecision() {
      return serially(async () => {
        const snapshot = order.snapshot;
        const news = newsOf(snapshot);
        const standing = await store.recordPaymentDecision(
          snapshot,
          nextPublication(),
          news.events,
        );
        if (standing.revision === snapshot.revision && standing.status === snapshot.status) {
          told = news.marks;
          publications += 1;
          publishedRevision = Math.max(publishedRevision, snapshot.revision);
        }
        return standing;
      });
    },
    continueAfterPublished() {
      return serially(async () => {
        const stored = await localReadModel.loadPublishedOrder(order.snapshot.orderId);
        publications = Math.max(publications, stored?.publications ?? 0);
        return stored?.order;
      });
    },
    async answer() {
      const revision = order.current.revision;
      if (answersAfterPublish) await condition(() => publishedRevision >= revision);
      return order.snapshot;
    },
  };
}
