// Sending an Update to an order's workflow on behalf of an HTTP caller. The order is known
// to exist (the read model has it), so a workflow Temporal cannot find has finished: a request
// it had already applied is answered from the read model (repeating a request is harmless,
// however late), anything else can no longer change the order (409 with the given code).

import type { Client } from '@temporalio/client';
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
    return await handle.executeUpdate(update, {
      args: [arg],
      ...(options.updateId ? { updateId: options.updateId } : {}),
    });
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
