// Reads, for every order, what ops/reconcile.ts judges: the workflow (description, final
// result, timers from its history), the order document and the payment ledger. Orders come
// from the `orders` collection, streamed by _id in batches, and from the order workflows
// Temporal knows on the task queue, so an order whose document is missing is checked too.
//
// Per order the reads go workflow → document → ledger: a status read first is never newer than
// the money read after it, and the workflow moves money before it changes status, so an order
// in flight is never mistaken for a breach.

import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { OrderSnapshot, OrderStatus } from '../domain/order';
import type { Models } from '../infra/db';
import type { PaymentGateway } from '../infra/payments/gateway';
import { afterSalesWorkflowId, orderWorkflowId } from '../workflows/messages';
import { OrderStatusAttribute } from '../workflows/search-attributes';
import {
  findBreaches,
  openTimers,
  summarise,
  type Breach,
  type ExecutionStatus,
  type OrderEvidence,
  type ReconcileReport,
  type WorkflowEvidence,
} from './reconcile';
import { readOrder } from '../infra/read-model';

export interface ReconcileDeps {
  temporal: Client;
  models: Pick<Models, 'Order' | 'OrderPublication'>;
  gateway: Pick<PaymentGateway, 'ledger'>;
  /**
   * Only order workflows on these task queues are listed (one deployment's orders: its single
   * queue, or its per-vertical ones and the old single one, infra/task-queues.ts).
   */
  taskQueues: readonly string[];
  /** Orders read per batch (default 200). */
  batchSize?: number;
  /** Orders checked at once (default 8). */
  concurrency?: number;
  /** Check only these orders instead of all of them. */
  orderIds?: readonly string[];
}

const ORDER_WORKFLOW_PREFIX = orderWorkflowId('');

/**
 * The order's workflow as it stands. Once the order's own workflow has ended, its after-sales
 * workflow (refunds after the end) keeps the books: a run under way is the order's workflow
 * then, and the last finished run's result is the order's final state.
 */
async function describeWorkflow(temporal: Client, orderId: string): Promise<WorkflowEvidence> {
  const order = await describeRun(temporal, orderWorkflowId(orderId));
  if (!order.found || order.status !== 'COMPLETED') return order;
  const afterSales = await describeRun(temporal, afterSalesWorkflowId(orderId));
  if (!afterSales.found) return order;
  return afterSales.status === 'RUNNING'
    ? { ...afterSales, orderStatus: order.result?.status }
    : afterSales;
}

async function describeRun(temporal: Client, workflowId: string): Promise<WorkflowEvidence> {
  const handle = temporal.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { found: false };
    throw error;
  }
  const raw = description.raw;
  const evidence: WorkflowEvidence = {
    found: true,
    status: description.status.name as ExecutionStatus,
    pendingActivities: raw.pendingActivities?.length ?? 0,
    pendingChildren: raw.pendingChildren?.length ?? 0,
    pendingWorkflowTask: Boolean(raw.pendingWorkflowTask),
  };
  const orderStatus = description.typedSearchAttributes.get(OrderStatusAttribute);
  if (orderStatus) evidence.orderStatus = orderStatus as OrderStatus;
  if (evidence.status === 'COMPLETED') {
    evidence.result = (await handle.result()) as OrderSnapshot;
  } else if (
    evidence.status === 'RUNNING' &&
    evidence.pendingActivities === 0 &&
    evidence.pendingChildren === 0 &&
    !evidence.pendingWorkflowTask
  ) {
    // Only a timer can still wake it (or a message from outside): read its history.
    const events = (await handle.fetchHistory()).events ?? [];
    evidence.openTimers = openTimers(events);
    evidence.movedWhileRead = events.length > description.historyLength;
  }
  return evidence;
}

/** Everything `findBreaches` needs about one order, read in the order that keeps it honest. */
async function readEvidence(
  deps: Pick<ReconcileDeps, 'temporal' | 'models' | 'gateway'>,
  orderId: string,
): Promise<OrderEvidence> {
  for (let attempt = 0; ; attempt++) {
    const workflow = await describeWorkflow(deps.temporal, orderId);
    const document = await readOrder(deps.models, orderId);
    // A workflow writes its document after it starts: one not found a moment before its
    // document appeared may just have started. Look once more.
    if (!workflow.found && document && attempt === 0) continue;
    const ledger = await deps.gateway.ledger(orderId);
    return {
      orderId,
      document: document ? withoutId(document) : null,
      workflow,
      ledger: ledger.map(({ type, amount }) => ({ type, amount })),
    };
  }
}

function withoutId(document: OrderSnapshot & { _id?: unknown }): OrderSnapshot {
  const { _id: _ignored, ...snapshot } = document;
  return snapshot;
}

/** Checks every order (or `deps.orderIds`) and reports the breaches found. */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const batchSize = deps.batchSize ?? 200;
  const concurrency = deps.concurrency ?? 8;
  const checkedAt = new Date().toISOString();
  const breaches: Breach[] = [];
  const failures: ReconcileReport['failures'] = [];
  let ordersChecked = 0;

  const checkAll = (orderIds: readonly string[]) =>
    inParallel(orderIds, concurrency, async (orderId) => {
      try {
        breaches.push(...findBreaches(await readEvidence(deps, orderId)));
        ordersChecked += 1;
      } catch (error) {
        failures.push({ orderId, error: error instanceof Error ? error.message : String(error) });
      }
    });

  if (deps.orderIds) {
    await checkAll(deps.orderIds);
  } else {
    // Every order with a document, by _id in batches.
    let after: string | undefined;
    for (;;) {
      const batch = await deps.models.Order.find(after === undefined ? {} : { _id: { $gt: after } })
        .select({ _id: 1 })
        .sort({ _id: 1 })
        .limit(batchSize)
        .lean<{ _id: string }[]>();
      if (batch.length === 0) break;
      await checkAll(batch.map((doc) => doc._id));
      after = batch[batch.length - 1]!._id;
    }
    // Every order workflow without a document (those with one were checked above).
    let page: string[] = [];
    const checkUndocumented = async () => {
      const documented = await deps.models.Order.find({ _id: { $in: page } })
        .select({ _id: 1 })
        .lean<{ _id: string }[]>();
      const known = new Set(documented.map((doc) => doc._id));
      await checkAll(page.filter((orderId) => !known.has(orderId)));
      page = [];
    };
    const workflows = deps.temporal.workflow.list({
      query: `WorkflowType="orderWorkflow" AND TaskQueue IN (${deps.taskQueues.map((queue) => JSON.stringify(queue)).join(', ')})`,
    });
    for await (const workflow of workflows) {
      if (!workflow.workflowId.startsWith(ORDER_WORKFLOW_PREFIX)) continue;
      page.push(workflow.workflowId.slice(ORDER_WORKFLOW_PREFIX.length));
      if (page.length >= batchSize) await checkUndocumented();
    }
    if (page.length > 0) await checkUndocumented();
  }

  const byOrder = (a: { orderId: string }, b: { orderId: string }) =>
    a.orderId.localeCompare(b.orderId);
  return summarise(checkedAt, ordersChecked, breaches.sort(byOrder), failures.sort(byOrder));
}

/** Runs `work` on every item, at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
