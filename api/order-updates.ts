// Sending an Update to an order's workflow on behalf of an HTTP caller. A workflow Temporal
// cannot find has finished, or never was: the read model says which (`checkOrder` may refuse
// the caller there, as the workflow's validators would have). A request it had already applied
// is answered from the read model (repeating a request is harmless, however late); a refund,
// an admin's decision or a provider's late fact goes to the order's after-sales workflow,
// started by this request if none runs (update-with-start); anything else can no longer
// change the order (409 with the given code).
//
// An Update the server drops because the workflow task carrying it failed (it answers
// FAILED_PRECONDITION "…unexpected workflow task failure"; seen when the task that accepts
// the Update also ends the workflow while another event, such as the webhook's completion,
// arrived meanwhile: the server refuses that completion) was never applied, so it is sent
// again, a few times, instead of answering 503 to a caller whose request is fine.

import {
  isGrpcServiceError,
  ServiceError,
  WithStartWorkflowOperation,
  type Client,
} from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { TERMINAL_STATUSES, type OrderSnapshot, type Vertical } from '../domain/order';
import { readOrder, type ReadModels } from '../infra/read-model';
import type { afterSalesWorkflow } from '../workflows/after-sales';
import { afterSalesWorkflowId, orderWorkflowId } from '../workflows/messages';
import { ApiError } from './errors';

/** Where an order's after-sales workflow runs, and how long a run waits for more requests. */
export interface AfterSalesSettings {
  /** The order's vertical's queue (infra/task-queues.ts). */
  taskQueueFor: (vertical: Vertical) => string;
  idleSeconds: number;
}

export async function updateOrderWorkflow<Arg>(
  deps: { temporal: Client; models: ReadModels; afterSales?: AfterSalesSettings },
  orderId: string,
  update: UpdateDefinition<OrderSnapshot, [Arg]>,
  arg: Arg,
  closedCode: 'invalid_order_state' | 'not_cancellable' | 'refund_not_allowed',
  alreadyApplied: (order: OrderSnapshot) => boolean,
  options: {
    updateId?: string;
    afterSales?: boolean;
    /** Refuses the caller for the order as last published (or none) when its workflow has ended. */
    checkOrder?: (latest: OrderSnapshot | null) => void;
  } = {},
): Promise<OrderSnapshot> {
  const handle = deps.temporal.workflow.getHandle(orderWorkflowId(orderId));
  try {
    // An update id makes concurrent repeats of one request attach to the same Update.
    return await sentAgainWhileDropped(() =>
      handle.executeUpdate(update, {
        args: [arg],
        ...(options.updateId ? { updateId: options.updateId } : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const latest = await readOrder(deps.models, orderId);
    options.checkOrder?.(latest);
    if (latest && alreadyApplied(latest)) return latest;
    if (latest && options.afterSales && deps.afterSales && TERMINAL_STATUSES.has(latest.status))
      return updateAfterSales(
        deps.temporal,
        deps.afterSales,
        latest,
        update,
        arg,
        options.updateId,
      );
    throw new ApiError(
      409,
      closedCode,
      `the order is ${latest?.status ?? 'finished'} and can no longer change`,
    );
  }
}

/**
 * Sends the Update to the order's after-sales workflow, starting a run with the order as last
 * read when none is running (the run catches up if a newer one has been published since).
 */
function updateAfterSales<Arg>(
  temporal: Client,
  settings: AfterSalesSettings,
  order: OrderSnapshot,
  update: UpdateDefinition<OrderSnapshot, [Arg]>,
  arg: Arg,
  updateId: string | undefined,
): Promise<OrderSnapshot> {
  return sentAgainWhileDropped(() =>
    temporal.workflow.executeUpdateWithStart(update, {
      args: [arg],
      ...(updateId ? { updateId } : {}),
      // One operation per call: an operation is spent once sent.
      startWorkflowOperation: new WithStartWorkflowOperation<typeof afterSalesWorkflow>(
        'afterSalesWorkflow',
        {
          workflowId: afterSalesWorkflowId(order.orderId),
          taskQueue: settings.taskQueueFor(order.vertical),
          args: [{ order, idleSeconds: settings.idleSeconds }],
          // Joins the run under way; after one ended, the next request starts another.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        },
      ),
    }),
  );
}

/** gRPC's FAILED_PRECONDITION. */
const GRPC_FAILED_PRECONDITION = 9;
const DROPPED_UPDATE_ATTEMPTS = 4;
const DROPPED_UPDATE_BACKOFF_MS = 100;

/** Whether the server dropped the Update with the workflow task that carried it. */
export function isDroppedWithWorkflowTask(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : error;
  return (
    isGrpcServiceError(cause) &&
    cause.code === GRPC_FAILED_PRECONDITION &&
    /unexpected workflow task failure/i.test(cause.details || cause.message)
  );
}

/** Runs `send` again, after a short pause, while the server drops the Update it sends. */
export async function sentAgainWhileDropped<T>(
  send: () => Promise<T>,
  pause: (ms: number) => Promise<unknown> = sleep,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= DROPPED_UPDATE_ATTEMPTS || !isDroppedWithWorkflowTask(error)) throw error;
      await pause(DROPPED_UPDATE_BACKOFF_MS * attempt);
    }
  }
}
