// The order lifecycle, as MISSION.md tells it: authorise the payment, notify the provider,
// wait for its confirmation or the deadline, capture, dispatch, complete. What differs by
// vertical sits behind `VerticalFlow`; every money step has its undo right beside it.

import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  setHandler,
} from '@temporalio/workflow';
import type {
  ConfirmationDecision,
  OrderFailure,
  OrderStatus,
  ProviderEvent,
} from '../domain/order';
import { orderTotal } from '../domain/pricing';
import { workflowNow, workflowNowIso } from './clock';
import { authorisation, notifyProviderUntil, readModel, settlement } from './activities';
import { invalidRequest, invalidState } from './errors';
import {
  awaitPaymentDecisionUpdate,
  confirmOrderUpdate,
  FailureTypes,
  getOrderQuery,
  reportProviderEventUpdate,
  type OrderWorkflowInput,
} from './messages';
import { OrderRecord } from './order-record';
import { verticals } from './verticals';

export async function orderWorkflow(input: OrderWorkflowInput) {
  const vertical = verticals[input.request.vertical];
  if (!vertical) {
    throw ApplicationFailure.nonRetryable(
      `vertical ${input.request.vertical} is not supported`,
      'UnsupportedVertical',
    );
  }
  const order = new OrderRecord(input, orderTotal(input.request));
  const publish = () => readModel.saveOrderSnapshot(order.snapshot);
  let paymentDecided = false;

  // ---- Messages: installed before the first await, so none is ever missed ----
  setHandler(getOrderQuery, () => order.snapshot);

  setHandler(awaitPaymentDecisionUpdate, async () => {
    await condition(() => paymentDecided);
    return order.snapshot;
  });

  setHandler(
    confirmOrderUpdate,
    async (decision) => {
      if (!order.current.confirmation) {
        order.update({ confirmation: { ...decision, receivedAt: workflowNowIso() } });
      }
      // Answer once the workflow has acted on the decision (captured, or released).
      await condition(() => order.status !== 'awaiting_confirmation');
      return order.snapshot;
    },
    {
      validator: (decision: ConfirmationDecision) => {
        const previous = order.current.confirmation;
        if (previous) {
          if (previous.decision === decision.decision) return; // a repeated callback is harmless
          throw invalidState(`the provider already answered "${previous.decision}"`);
        }
        if (order.status !== 'awaiting_confirmation') {
          throw invalidState(`the order is ${order.status}, not awaiting confirmation`);
        }
        vertical.checkConfirmation(order.current, decision);
      },
    },
  );

  setHandler(
    reportProviderEventUpdate,
    async (event) => {
      if (!order.hasEvent(event.type)) {
        order.recordEvent(event, vertical.eventTransitions[event.type]!.to);
        await publish();
      }
      return order.snapshot;
    },
    {
      validator: (event: ProviderEvent) => {
        if (order.hasEvent(event.type)) return; // a repeated callback is harmless
        const transition = vertical.eventTransitions[event.type];
        if (!transition)
          throw invalidRequest(`${event.type} does not apply to ${order.current.vertical} orders`);
        if (!transition.from.includes(order.status)) {
          throw invalidState(`${event.type} cannot be reported while the order is ${order.status}`);
        }
      },
    },
  );

  async function finish(status: OrderStatus, failure?: OrderFailure) {
    order.update({ status, ...(failure ? { failure } : {}) });
    await publish();
    paymentDecided = true;
    await condition(allHandlersFinished);
    return order.snapshot;
  }

  // ---- 1. Authorise: the money is held, not taken ----
  const { request } = input;
  let authorisationId: string;
  try {
    const held = await authorisation.authorisePayment({
      orderId: input.orderId,
      amount: order.current.amounts.total,
      currency: request.currency,
      token: request.paymentToken,
    });
    authorisationId = held.authorisationId;
    order.updateAmounts({ authorised: held.amount });
  } catch (error) {
    const declined = failureType(error) === FailureTypes.paymentDeclined;
    return finish('payment_declined', {
      code: declined ? 'payment_declined' : 'payment_unavailable',
      message: declined
        ? 'the payment was declined'
        : 'the payment could not be authorised in time',
    });
  }
  const releaseAuthorisation = async () => {
    const { released } = await settlement.voidAuthorisation({
      orderId: input.orderId,
      authorisationId,
    });
    order.updateAmounts({ released });
  };

  // ---- 2. Ask the provider, and wait for its answer until the deadline ----
  const deadlineMs = input.confirmationTimeoutSeconds * 1000;
  order.update({
    status: 'awaiting_confirmation',
    confirmBy: new Date(workflowNow().getTime() + deadlineMs).toISOString(),
  });
  await publish();
  paymentDecided = true;

  const notification = new CancellationScope();
  const notify = notifyProviderUntil(deadlineMs);
  notification
    .run(() => notify({ event: 'order.created', order: order.snapshot }))
    .catch((error) => {
      if (!isCancellation(error))
        log.warn('provider notification failed', { error: String(error) });
    });

  const answered = await condition(() => order.current.confirmation !== undefined, deadlineMs);
  notification.cancel();

  if (!answered) {
    await releaseAuthorisation();
    return finish('expired', {
      code: 'provider_timeout',
      message: 'the provider did not answer in time',
    });
  }

  const outcome = vertical.evaluateConfirmation(
    order.current,
    order.current.confirmation as ConfirmationDecision,
  );
  if (outcome.kind === 'rejected') {
    await releaseAuthorisation();
    return finish('rejected', { code: 'provider_rejected', message: outcome.reason });
  }

  // ---- 3. Capture what the provider confirmed; the rest of the hold is released ----
  const captured = await settlement.capturePayment({
    orderId: input.orderId,
    authorisationId,
    amount: outcome.captureAmount,
  });
  order.update({ ...outcome.changes, status: 'confirmed' });
  order.updateAmounts({ captured: captured.captured, released: captured.released });
  await publish();
  const refundCapture = async (reason: string) => {
    const refundable = order.current.amounts.captured - order.current.amounts.refunded;
    if (refundable <= 0) return;
    const { totalRefunded } = await settlement.refundPayment({
      orderId: input.orderId,
      authorisationId,
      amount: refundable,
      refundId: 'compensation',
      reason,
    });
    order.updateAmounts({ refunded: totalRefunded });
  };

  // ---- 4. Dispatch, then follow the provider's events to completion ----
  try {
    await vertical.dispatch({ order, publish });
  } catch (error) {
    log.error('dispatch failed; refunding the order', { error: String(error) });
    await refundCapture('dispatch failed');
    await notify({ event: 'order.cancelled', order: order.snapshot }).catch(() => undefined);
    return finish('cancelled', {
      code: 'dispatch_failed',
      message: 'no courier could be assigned',
    });
  }

  await condition(() => order.status === 'completed');
  return finish('completed');
}

function failureType(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) return current.type ?? undefined;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
