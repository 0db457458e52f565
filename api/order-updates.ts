// Sending an Update to an order's workflow on behalf of an HTTP caller. The order is known
// to exist (the read model has it), so a workflow Temporal cannot find has finished: a request
// it had already applied is answered from the read model (repeating a request is harmless,
// however late), anything else can no longer change the order (409 with the given code).
//
// An Update the server drops because the workflow task carrying it failed (it answers
// FAILED_PRECONDITION "…unexpected workflow task failure"; seen when the task that accepts
// the Update also ends the workflow while another event, such as the webhook's completion,
// arrived meanwhile: the server refuses that completion) was never applied, so it is sent
// again, a few times, instead of answering 503 to a caller whose request is fine.

import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { OrderSnapshot } from '../domain/order';
import { readOrder, type ReadModels } from '../infra/read-model';
import { orderWorkflowId } from '../workflows/messages';
import { ApiError } from './errors';

export async function updateOrderWorkflow<Arg>(
  deps: { temporal: Client; models: ReadModels },
  orderId: string,
  update: UpdateDefinition<OrderSnapshot, [Arg]>,
  arg: Arg,
  closedCode: 'invalid_order_state' | 'not_cancellable' | 'refund_not_allowed',
  alreadyApplied: (order: OrderSnapshot) => boolean,
  options: { updateId?: string } = {},
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
    if (latest && alreadyApplied(latest)) return latest;
    throw new ApiError(
      409,
      closedCode,
      `the order is ${latest?.status ?? 'finished'} and can no longer change`,
    );
  }
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
