// The order lifecycle, as MISSION.md tells it: authorise the payment, notify the provider,
// wait for its confirmation or the deadline, capture, fulfil, complete. What differs by
// vertical sits behind `VerticalFlow`; each money step has its undo right beside it, and a
// cancellation is settled wherever in the story it arrives.

import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  setHandler,
} from '@temporalio/workflow';
import { decideCancellation } from '../domain/cancellation';
import { CHECKOUT_EXPIRED, CHECKOUT_TIMEOUT, PAYMENT_UNAVAILABLE } from '../domain/checkout';
import {
  TERMINAL_STATUSES,
  type CancellationRequest,
  type ConfirmationDecision,
  type OrderFailure,
  type OrderStatus,
  type ProviderEvent,
} from '../domain/order';
import { orderTotal } from '../domain/pricing';
import { authorisation, notifyProviderUntil, settlement } from './activities';
import { workflowNow, workflowNowIso } from './clock';
import { invalidRequest, invalidState, notCancellable } from './errors';
import {
  awaitPaymentDecisionUpdate,
  cancelOrderUpdate,
  confirmOrderUpdate,
  FailureTypes,
  getOrderQuery,
  reportProviderEventUpdate,
  type OrderWorkflowInput,
} from './messages';
import { OrderRecord } from './order-record';
import { readModelPublisher } from './read-model';
import { verticals } from './verticals';
import type { WaitResult } from './verticals/vertical';

/** Cancellation notices to providers are retried for up to an hour. */
const CANCELLATION_NOTICE_MS = 60 * 60 * 1000;

export async function orderWorkflow(input: OrderWorkflowInput) {
  const vertical = verticals[input.request.vertical];
  const order = new OrderRecord(input, orderTotal(input.request));
  const { publish, answer, recordPaymentDecision } = readModelPublisher(order);
  const cancelRequested = () => order.current.cancellation !== undefined;
  /** Set once the workflow is closing the order's books: nothing else may change it then. */
  let settling = false;
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
      return answer();
    },
    {
      validator: (decision: ConfirmationDecision) => {
        const previous = order.current.confirmation;
        if (previous) {
          if (previous.decision === decision.decision) return; // a repeated callback is harmless
          throw invalidState(`the provider already answered "${previous.decision}"`);
        }
        if (order.status !== 'awaiting_confirmation' || cancelRequested() || settling) {
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
        const transition = vertical.eventTransitions[event.type]!;
        order.recordEvent(event, transition.to);
        if (!transition.to) await condition(() => TERMINAL_STATUSES.has(order.status));
        else await publish();
      }
      return answer();
    },
    {
      validator: (event: ProviderEvent) => {
        if (order.hasEvent(event.type)) return; // a repeated callback is harmless
        if (settling) throw invalidState('the order is being closed and can no longer change');
        const transition = vertical.eventTransitions[event.type];
        if (!transition) {
          throw invalidRequest(`${event.type} does not apply to ${order.current.vertical} orders`);
        }
        if (!transition.from.includes(order.status) || cancelRequested()) {
          throw invalidState(`${event.type} cannot be reported while the order is ${order.status}`);
        }
      },
    },
  );

  setHandler(
    cancelOrderUpdate,
    async (request) => {
      if (!cancelRequested()) {
        // The validator accepted this request in this same workflow task: same order, same time.
        const decision = decideCancellation(order.current, workflowNow());
        const fee = decision.allowed && !request.waiveFee ? decision.fee : 0;
        order.update({ cancellation: { ...request, requestedAt: workflowNowIso(), fee } });
      }
      await condition(() => TERMINAL_STATUSES.has(order.status));
      return answer();
    },
    {
      validator: (_request: CancellationRequest) => {
        if (cancelRequested()) return; // a repeated cancellation is harmless
        if (settling) throw notCancellable('the order is already being closed');
        const decision = decideCancellation(order.current, workflowNow());
        if (!decision.allowed) throw notCancellable(decision.reason);
      },
    },
  );

  const notifyProvider = (event: 'order.created' | 'order.cancelled', withinMs: number) =>
    notifyProviderUntil(withinMs)({ event, order: order.snapshot });

  async function finish(
    status: OrderStatus,
    options: { failure?: OrderFailure; tellProvider?: boolean } = {},
  ) {
    settling = true;
    order.update({ status, ...(options.failure ? { failure: options.failure } : {}) });
    await publish();
    paymentDecided = true;
    if (options.tellProvider) {
      await notifyProvider('order.cancelled', CANCELLATION_NOTICE_MS).catch((error) =>
        log.warn('cancellation notice not delivered', { error: String(error) }),
      );
    }
    await condition(allHandlersFinished);
    return order.snapshot;
  }

  // ---- 1. Authorise: the money is held, not taken ----
  const { request } = input;
  if (input.payBy && workflowNow().getTime() > Date.parse(input.payBy)) {
    // Checkout stopped waiting long ago (Temporal or the workers were down): charge nothing.
    return finish('payment_declined', { failure: CHECKOUT_EXPIRED });
  }
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
    const type = failureType(error);
    const declined = type === FailureTypes.paymentDeclined;
    // Unanswered, the gateway may still have held the money: undo whatever it did.
    if (!declined)
      await settlement.reverseAuthorisation({ orderId: input.orderId, currency: request.currency });
    return finish('payment_declined', {
      failure: declined
        ? { code: 'payment_declined', message: 'the payment was declined' }
        : type === FailureTypes.checkoutClosed
          ? CHECKOUT_TIMEOUT
          : PAYMENT_UNAVAILABLE,
    });
  }
  // Undo of the authorisation: release the whole hold.
  const releaseAuthorisation = async () => {
    settling = true;
    const { released } = await settlement.voidAuthorisation({
      orderId: input.orderId,
      authorisationId,
    });
    order.updateAmounts({ released });
  };

  // ---- 2. Ask the provider, and wait for its answer until the deadline ----
  const latest = vertical.confirmBefore?.(order.current);
  const deadlineMs = Math.min(
    input.confirmationTimeoutSeconds * 1000,
    // A slot or a check-in that has passed cannot be confirmed any more (at least 1 s).
    latest === undefined ? Infinity : Math.max(1000, latest - workflowNow().getTime()),
  );
  order.update({
    status: 'awaiting_confirmation',
    confirmBy: new Date(workflowNow().getTime() + deadlineMs).toISOString(),
  });
  // Checkout may have stopped waiting and told the app nothing was charged while the
  // authorisation was in flight: its word stands, and the hold goes back. Older runs did not
  // record the decision.
  if (patched('payment-decision-recorded')) {
    const standing = await recordPaymentDecision();
    if (standing.status !== order.status) {
      await releaseAuthorisation();
      return finish('payment_declined', { failure: standing.failure ?? CHECKOUT_TIMEOUT });
    }
  } else {
    await publish();
  }
  paymentDecided = true;

  const notification = new CancellationScope();
  notification
    .run(() => notifyProvider('order.created', deadlineMs))
    .catch((error) => {
      if (!isCancellation(error))
        log.warn('provider notification failed', { error: String(error) });
    });
  const answered = await condition(
    () => order.current.confirmation !== undefined || cancelRequested(),
    deadlineMs,
  );
  notification.cancel();

  if (cancelRequested()) {
    await releaseAuthorisation();
    return finish('cancelled', { tellProvider: true });
  }
  if (!answered) {
    await releaseAuthorisation();
    return finish('expired', {
      failure: { code: 'provider_timeout', message: 'the provider did not answer in time' },
      // Histories recorded before this notice existed end without it.
      tellProvider: patched('expiry-notifies-provider'),
    });
  }
  const outcome = vertical.evaluateConfirmation(order.current, order.current.confirmation!);
  if (outcome.kind === 'rejected') {
    await releaseAuthorisation();
    return finish('rejected', { failure: { code: 'provider_rejected', message: outcome.reason } });
  }

  // ---- 3. Capture what the provider confirmed; the rest of the hold is released ----
  let captured: { captured: number; released: number };
  try {
    captured = await settlement.capturePayment({
      orderId: input.orderId,
      authorisationId,
      amount: outcome.captureAmount,
    });
  } catch (error) {
    // Transient errors retry without end; only a gateway refusal lands here.
    log.error('capture refused; releasing the authorisation', { error: String(error) });
    await releaseAuthorisation();
    return finish('cancelled', {
      failure: { code: 'capture_failed', message: 'the payment could not be captured' },
      tellProvider: true,
    });
  }
  order.update({ ...outcome.changes, status: 'confirmed' });
  order.updateAmounts({ captured: captured.captured, released: captured.released });
  await publish();
  // Undo of the capture: refund what is captured and not yet refunded, less a kept fee.
  const refundCapture = async (refundId: string, reason: string, fee = 0) => {
    const amount = order.current.amounts.captured - order.current.amounts.refunded - fee;
    if (amount <= 0) return;
    const { totalRefunded } = await settlement.refundPayment({
      orderId: input.orderId,
      authorisationId,
      amount,
      refundId,
      reason,
    });
    order.updateAmounts({ refunded: totalRefunded });
  };
  const settleCancellation = async () => {
    settling = true;
    // The fee is the policy's at the moment the customer asked, applied to what was captured:
    // a request can arrive while the capture is still in flight.
    const cancellation = order.current.cancellation!;
    const decision = decideCancellation(order.current, new Date(cancellation.requestedAt));
    const fee = cancellation.waiveFee ? 0 : decision.allowed ? decision.fee : cancellation.fee;
    if (fee !== cancellation.fee) order.update({ cancellation: { ...cancellation, fee } });
    await refundCapture('cancellation', cancellation.reason, fee);
    return finish('cancelled', { tellProvider: true });
  };
  if (cancelRequested()) return settleCancellation();

  // ---- 4. Fulfil: dispatch, then follow the provider's events and the clock ----
  const fulfilment = await vertical.fulfil({
    input,
    order,
    publish,
    msUntil: (epochMs) => Math.max(0, epochMs - workflowNow().getTime()),
    waitFor: async (done, timeoutMs): Promise<WaitResult> => {
      const settled = () => done() || cancelRequested();
      const met =
        timeoutMs === undefined
          ? (await condition(settled), true)
          : await condition(settled, timeoutMs);
      if (cancelRequested() && !done()) return 'cancelled';
      return met ? 'done' : 'timeout';
    },
  });
  switch (fulfilment.kind) {
    case 'cancelled':
      return settleCancellation();
    case 'failed': {
      settling = true;
      log.warn('fulfilment failed; refunding the order', { failure: fulfilment.failure.code });
      // The provider failed: a pending cancellation keeps no fee either.
      const cancellation = order.current.cancellation;
      if (cancellation) order.update({ cancellation: { ...cancellation, fee: 0 } });
      await refundCapture('compensation', fulfilment.failure.message);
      return finish('cancelled', { failure: fulfilment.failure, tellProvider: true });
    }
    case 'completed':
      return finish('completed');
  }
}

function failureType(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) return current.type ?? undefined;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
