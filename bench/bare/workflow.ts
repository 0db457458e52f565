// The bare order: the shape of a completed grocery order (test/histories/grocery-completed.json)
// with empty bodies, so its throughput is Temporal's ceiling for that shape on this machine.
// Event for event (generation order-workflow-2026-12-03): one patch marker (the generation's);
// started by update-with-start, answered after the authorisation and a write, both local; 4
// activities (notify the provider; the capture, the picked_up write and the close's write, each
// in a task that accepted an Update), local activities for the rest (authorise, assign a
// courier, the other read-model writes), 4 updates (payment decision, confirmation, picked_up,
// delivered), 2 timers started and cancelled (the confirmation deadline, the delivery-overdue
// wait), 6 search-attribute upserts (5 statuses, the patch's).

import {
  allHandlersFinished,
  type ActivityOptions,
  type LocalActivityOptions,
  CancellationScope,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { OrderStatusAttribute } from '../../workflows/search-attributes';
import type { BareActivities } from './activities';
import {
  awaitPaymentDecisionUpdate,
  confirmOrderUpdate,
  getStatusQuery,
  reportProviderEventUpdate,
  type BareEventType,
  type BareOrderInput,
} from './messages';

// The same timeouts and retries as the order workflow's groups (workflows/activities.ts),
// local where the order workflow's are.
const { authorisePayment } = proxyLocalActivities<BareActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s' },
});
// The capture follows the provider's acceptance in the task that accepted it: orderflow makes
// it through the task queue (workflows/update-tasks.ts), and so does this.
const { capturePayment } = proxyActivities<BareActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const { notifyProvider } = proxyActivities<BareActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const { assignCourier } = proxyLocalActivities<BareActivities>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const writeOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} satisfies ActivityOptions & LocalActivityOptions;
const { saveOrderSnapshot, recordPaymentDecision } =
  proxyLocalActivities<BareActivities>(writeOptions);
/** A write in the task that accepted a provider event goes through the task queue, as orderflow's. */
const { saveOrderSnapshot: saveOrderSnapshotQueued } =
  proxyActivities<BareActivities>(writeOptions);

export async function bareOrderWorkflow(input: BareOrderInput): Promise<void> {
  patched('bare-order-2026-12-03');
  let status = 'pending_payment';
  const setStatus = (next: string) => {
    status = next;
    upsertSearchAttributes([{ key: OrderStatusAttribute, value: next }]);
  };
  let paymentDecided = false;
  let confirmed = false;
  let dispatched = false;
  /** Events reported before the courier was assigned, applied once it is (as orderflow's). */
  const early: BareEventType[] = [];
  const apply = (type: BareEventType) =>
    setStatus(type === 'picked_up' ? 'in_progress' : 'completed');
  // Writes go one at a time, and an answer waits for the write of what it says, as orderflow's.
  let revision = 0;
  let publishedRevision = 0;
  let lastWrite: Promise<unknown> = Promise.resolve();
  const write = (store: () => Promise<void>) => {
    const written = ++revision;
    const step = async () => {
      await store();
      publishedRevision = Math.max(publishedRevision, written);
    };
    lastWrite = lastWrite.then(step, step);
    return lastWrite;
  };
  const publish = () => write(saveOrderSnapshot);
  const answer = async () => {
    const wanted = revision;
    await condition(() => publishedRevision >= wanted);
    return status;
  };

  setHandler(getStatusQuery, () => status);
  setHandler(awaitPaymentDecisionUpdate, async () => {
    await condition(() => paymentDecided);
    return status;
  });
  setHandler(
    confirmOrderUpdate,
    async (_decision) => {
      confirmed = true;
      await condition(() => status !== 'awaiting_confirmation');
      return answer();
    },
    {
      validator: (_decision) => {
        if (status !== 'awaiting_confirmation' && !confirmed) throw new Error(`order is ${status}`);
      },
    },
  );
  setHandler(
    reportProviderEventUpdate,
    async ({ type }) => {
      if (dispatched) apply(type);
      else early.push(type);
      // The step that ends the order is written by the close, as orderflow's.
      if (status !== 'completed') await write(saveOrderSnapshotQueued);
      return answer();
    },
    {
      validator: (_event) => {
        if (!confirmed) throw new Error('not confirmed yet');
      },
    },
  );

  // The patch marker's TemporalChangeVersion upsert is the order's first (it sets no status).
  await authorisePayment();
  setStatus('awaiting_confirmation');
  await write(recordPaymentDecision);
  paymentDecided = true;

  const notification = new CancellationScope();
  notification.run(() => notifyProvider()).catch(() => undefined);
  await condition(() => confirmed, input.confirmationTimeoutSeconds * 1000);
  notification.cancel();

  await capturePayment();
  setStatus('confirmed');
  await publish();
  await assignCourier();
  setStatus('dispatching');
  await publish();
  dispatched = true;
  for (const type of early.splice(0)) {
    apply(type);
    await publish();
  }
  await condition(() => status === 'completed', input.deliveryOverdueSeconds * 1000);
  // The close writes in the task that accepted the delivery: through the queue, as orderflow's.
  await write(saveOrderSnapshotQueued);
  await condition(allHandlersFinished);
}
