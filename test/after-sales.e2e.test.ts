// An order's workflow ends with the order; what comes after (support's refunds, an admin's
// decision, a provider's late fact) runs in the order's after-sales workflow, started by the
// request that needs it and ended when idle. The money rules stay the order's: refunds never
// exceed what was captured (across runs, and when many arrive at once), a request repeated is
// paid once, a refund waiting for an admin keeps its workflow until decided.

import { WithStartWorkflowOperation } from '@temporalio/client';
import type { afterSalesWorkflow } from '../workflows/after-sales';
import {
  afterSalesWorkflowId,
  FailureTypes,
  orderWorkflowId,
  requestRefundUpdate,
} from '../workflows/messages';
import { useHarness, TOKENS, type RegisteredProvider } from './support/harness';
import { recordHistory } from './support/histories';
import { dispatchedGroceryOrder, GROCERY_TOTAL, waitForStatus } from './support/orders';
import { support } from './support/staff';

const harness = useHarness({
  env: {
    REFUND_WINDOW_SECONDS: '600',
    REFUND_APPROVAL_THRESHOLD: '3000',
    AFTER_SALES_IDLE_SECONDS: '2',
  },
});
let store: RegisteredProvider;
let staff: ReturnType<typeof support>;
let admin: ReturnType<typeof support>;

beforeAll(async () => {
  store = await harness.registerProvider({ vertical: 'grocery' });
  staff = support(harness.apiUrl);
  admin = support(harness.apiUrl, TOKENS.admin);
});

const dispatchedOrder = () => dispatchedGroceryOrder(harness.apiUrl, store);

async function completedOrder(): Promise<string> {
  const orderId = await dispatchedOrder();
  expect((await store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  return orderId;
}

const workflowStatus = async (workflowId: string) =>
  (await harness.temporal.workflow.getHandle(workflowId).describe()).status.name;

/** Waits for the after-sales run under way to end on its own (idle) and names it. */
async function idleEnd(orderId: string): Promise<string> {
  const run = harness.temporal.workflow.getHandle(afterSalesWorkflowId(orderId));
  await run.result();
  return (await run.describe()).runId;
}

const refundsIn = async (orderId: string) =>
  (await harness.ledgerOf(orderId))
    .filter(([type]) => type === 'refund')
    .map(([, amount]) => amount);

test("the order's workflow ends with the order; refunds after it run in after-sales runs that end when idle and carry the books on", async () => {
  const orderId = await completedOrder();
  await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
  expect(await workflowStatus(orderWorkflowId(orderId))).toBe('COMPLETED');

  const first = await staff.refund(orderId, { amount: 1000, reason: 'quality' }, 'late-1');
  expect(first.status).toBe(201);
  expect(first.body.refund).toMatchObject({ amount: 1000, status: 'refunded' });
  expect(first.body.order.amounts).toMatchObject({ captured: GROCERY_TOTAL, refunded: 1000 });
  expect(first.body.order.refundableUntil).toEqual(expect.any(String));
  const firstRun = await idleEnd(orderId);
  await recordHistory(harness.temporal, orderId, 'grocery-completed-then-after-sales');
  await recordHistory(harness.temporal, orderId, 'after-sales-refund', {
    workflowId: afterSalesWorkflowId(orderId),
    runId: firstRun,
  });

  // A second run starts from where the first left the books: it cannot refund the 1000 again.
  const tooMuch = await staff.refund(orderId, { amount: GROCERY_TOTAL - 999, reason: 'late' });
  expect(tooMuch.status).toBe(409);
  expect(tooMuch.body.error.code).toBe('refund_not_allowed');
  const rest = await admin.refund(orderId, { amount: GROCERY_TOTAL - 1000, reason: 'late' });
  expect(rest.status).toBe(201);
  expect(rest.body.order.amounts).toMatchObject({ refunded: GROCERY_TOTAL });
  const secondRun = await idleEnd(orderId);
  expect(secondRun).not.toBe(firstRun);

  // The first request again, after both runs ended: the same answer, nothing paid twice.
  const again = await staff.refund(orderId, { amount: 1000, reason: 'quality' }, 'late-1');
  expect(again.status).toBe(201);
  expect(again.body.refund.refundId).toBe(first.body.refund.refundId);
  const reused = await staff.refund(orderId, { amount: 900, reason: 'quality' }, 'late-1');
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('idempotency_key_reused');
  expect(await refundsIn(orderId)).toEqual([1000, GROCERY_TOTAL - 1000]);

  // Support's timeline reads the after-sales runs with the order's own history.
  const history = await staff.history(orderId);
  expect(history.status).toBe(200);
  const kinds = (history.body.entries as { kind: string }[]).map((entry) => entry.kind);
  expect(kinds.filter((kind) => kind === 'after_sales_started')).toHaveLength(3);
  expect(kinds.filter((kind) => kind === 'refunded')).toHaveLength(2);
  expect(kinds.indexOf('order_completed')).toBeLessThan(kinds.indexOf('after_sales_started'));
});

test('refunds arriving at once after the order ended never exceed what was captured', async () => {
  const orderId = await completedOrder();
  const share = Math.floor(GROCERY_TOTAL * 0.4);
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => admin.refund(orderId, { amount: share, reason: 'goodwill' })),
  );
  const statuses = answers.map((answer) => answer.status).sort();
  expect(statuses).toEqual([201, 201, 409, 409, 409]);
  expect(await refundsIn(orderId)).toEqual([share, share]);
});

test('a refund waiting for an admin keeps the order workflow after it completes, until decided', async () => {
  const orderId = await dispatchedOrder();
  const held = await staff.refund(orderId, { amount: 3500, reason: 'quality' });
  expect(held.status).toBe(202);
  expect((await store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  expect(await workflowStatus(orderWorkflowId(orderId))).toBe('RUNNING');

  const approved = await admin.decide(orderId, held.body.refund.refundId, 'approve');
  expect(approved.status).toBe(200);
  expect(approved.body.refund).toMatchObject({ status: 'refunded' });
  await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
  expect(await refundsIn(orderId)).toEqual([3500]);
  await recordHistory(harness.temporal, orderId, 'grocery-approval-pending-at-completion');
});

test("a provider's late fact after the order's workflow ended is recorded; news is refused", async () => {
  const orderId = await dispatchedOrder();
  const pickedUpAt = new Date(Date.now() - 1000).toISOString();
  expect((await store.client.reportEvent(orderId, 'delivered')).status).toBe(200);
  await waitForStatus(harness.apiUrl, orderId, 'completed');
  await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();

  const late = await store.client.reportEvent(orderId, 'picked_up', pickedUpAt);
  expect(late.status).toBe(200);
  expect(late.body.status).toBe('completed');
  expect(late.body.dispatch.events.map((e: { type: string }) => e.type)).toEqual([
    'delivered',
    'picked_up',
  ]);

  // A cancelled order's provider cannot report a delivery after the order ended.
  const cancelledId = await dispatchedOrder();
  expect((await staff.cancel(cancelledId, { reason: 'customer called' })).status).toBe(200);
  await harness.temporal.workflow.getHandle(orderWorkflowId(cancelledId)).result();
  const news = await store.client.reportEvent(cancelledId, 'delivered');
  expect(news.status).toBe(409);
  expect(news.body.error.code).toBe('invalid_order_state');
});

test('a run started with a stale copy of the order catches up before it refunds', async () => {
  const orderId = await completedOrder();
  const stale = await harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();
  expect((await admin.refund(orderId, { amount: GROCERY_TOTAL, reason: 'late' })).status).toBe(201);
  await idleEnd(orderId);

  // As a caller that read the order before that refund would start the next run.
  const refund = {
    refundId: 'rf_stale',
    amount: GROCERY_TOTAL,
    reason: 'goodwill' as const,
    requestedBy: { name: 'admin', role: 'admin' as const },
    needsApproval: false,
    requestHash: 'stale',
  };
  const sent = harness.temporal.workflow.executeUpdateWithStart(requestRefundUpdate, {
    args: [refund],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof afterSalesWorkflow>(
      'afterSalesWorkflow',
      {
        workflowId: afterSalesWorkflowId(orderId),
        taskQueue: harness.config.temporal.taskQueue,
        args: [{ order: stale, idleSeconds: 1 }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      },
    ),
  });
  await expect(sent).rejects.toMatchObject({
    cause: { type: FailureTypes.refundNotAllowed },
  });
  expect(await refundsIn(orderId)).toEqual([GROCERY_TOTAL]);
});
