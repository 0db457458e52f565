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
  setHandler,
  sleep,
  upsertSearchAttributes,
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
import { eventScheduleProblem } from '../domain/schedule';
import { checkRefund, type RefundRecord } from '../domain/refunds';
import { notifyProviderUntil, orderSteps } from './activities';
import { workflowNow, workflowNowIso } from './clock';
import {
  eventOutOfSchedule,
  idempotencyConflict,
  invalidRequest,
  invalidState,
  notCancellable,
  refundNotAllowed,
} from './errors';
import {
  awaitPaymentDecisionUpdate,
  cancelOrderUpdate,
  confirmOrderUpdate,
  decideRefundUpdate,
  FailureTypes,
  getOrderQuery,
  redeliverNotificationUpdate,
  reportProviderEventUpdate,
  requestRefundUpdate,
  type NotificationRedelivery,
  type OrderWorkflowInput,
} from './messages';
import { OrderRecord } from './order-record';
import { changesOfThisRun } from './changes';
import { readModelPublisher } from './read-model';
import { OrderStatusAttribute } from './search-attributes';
import { verticals } from './verticals';
import type { WaitResult } from './verticals/vertical';

/** Cancellation notices to providers are retried for up to an hour. */
const CANCELLATION_NOTICE_MS = 60 * 60 * 1000;
/** A redelivery asked for by support answers within this time, delivered or not. */
const REDELIVERY_MS = 30 * 1000;

export async function orderWorkflow(input: OrderWorkflowInput) {
  const vertical = verticals[input.request.vertical];
  const has = changesOfThisRun();
  const { authorisation, settlement, dispatch } = orderSteps(has);
  // Older runs kept no search attributes (checkout did not set them at start either).
  const searchable = has('order-search-attributes');
  const order = new OrderRecord(input, orderTotal(input.request), (status) => {
    if (searchable) upsertSearchAttributes([{ key: OrderStatusAttribute, value: status }]);
  });
  const { publish, answer, recordPaymentDecision } = readModelPublisher(order, has);
  const cancelRequested = () => order.current.cancellation !== undefined;
  /** Set once the workflow is closing the order's books: nothing else may change it then. */
  let settling = false;
  let paymentDecided = false;
  /** The gateway's authorisation, once the money is held. */
  let authorisationId: string | undefined;
  /** Support refunds are taken until the refund window after the order closed has ended. */
  let refundsOpen = true;
  /** A refund computed from what is left (cancellation, compensation) is at the gateway. */
  let settlementRefundInFlight = false;
  /** Request fingerprints of support refunds, to tell a repeat from a reused refund id. */
  const refundRequestHashes = new Map<string, string>();
  /** Every refund of the order goes to the gateway one at a time, each seeing the last. */
  let lastRefund: Promise<unknown> = Promise.resolve();
  const oneRefundAtATime = <T>(refund: () => Promise<T>): Promise<T> => {
    const next = lastRefund.then(refund, refund);
    lastRefund = next;
    return next;
  };
  const refundWindowMs = (input.refundWindowSeconds ?? 0) * 1000;

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
        // The deadline's timer may not have run yet (the workers were down): the clock decides.
        const confirmBy = order.current.confirmBy;
        if (confirmBy && workflowNow().getTime() > Date.parse(confirmBy))
          throw invalidState(`the confirmation deadline (${confirmBy}) has passed`);
        vertical.checkConfirmation(order.current, decision);
      },
    },
  );

  // Provider events are facts: one that arrives before the order reaches its step (a store
  // reporting the pickup while the courier is still being assigned, or before its own
  // acceptance has reached us) is kept and applied, in the order the provider says things
  // happened, once the order gets there. One that arrives after the order completed but
  // happened before (a retried pickup overtaken by the delivery) is recorded, changing nothing.
  const nextEarlyEvent = () =>
    order.earlyEvents.find((event) =>
      vertical.eventTransitions[event.type]!.from.includes(order.status),
    );
  const applyEarlyEvents = async () => {
    for (;;) {
      await condition(() => settling || nextEarlyEvent() !== undefined);
      if (settling) return;
      const event = nextEarlyEvent()!;
      order.applyEarlyEvent(event.type, vertical.eventTransitions[event.type]!.to);
      await publish();
    }
  };
  void applyEarlyEvents();

  setHandler(
    reportProviderEventUpdate,
    async (event) => {
      if (!order.hasEvent(event.type)) {
        const transition = vertical.eventTransitions[event.type]!;
        if (TERMINAL_STATUSES.has(order.status)) {
          order.recordEvent(event);
          await publish();
        } else if (transition.from.includes(order.status)) {
          order.recordEvent(event, transition.to);
          if (!transition.to) await condition(() => TERMINAL_STATUSES.has(order.status));
          else await publish();
        } else {
          order.recordEarlyEvent(event);
          await publish();
        }
      }
      return answer();
    },
    {
      validator: (event: ProviderEvent) => {
        if (order.hasEvent(event.type)) return; // a repeated callback is harmless
        const transition = vertical.eventTransitions[event.type];
        if (!transition) {
          throw invalidRequest(`${event.type} does not apply to ${order.current.vertical} orders`);
        }
        const outOfSchedule = eventScheduleProblem(order.current, event);
        if (outOfSchedule) throw eventOutOfSchedule(outOfSchedule);
        if (isLateFact(event, transition)) return; // recorded; the order stays completed
        if (settling || TERMINAL_STATUSES.has(order.status))
          throw invalidState(`the order is ${order.status} and can no longer change`);
        if (cancelRequested()) throw invalidState('the order is being cancelled');
        const confirmation = order.current.confirmation;
        if (confirmation?.decision === 'reject')
          throw invalidState(`the order was rejected: ${event.type} cannot have happened`);
        if (!confirmation && order.status !== 'awaiting_confirmation')
          throw invalidState(`${event.type} cannot be reported before the order is confirmed`);
        // Applies now, or is kept until the order reaches its step.
      },
    },
  );

  /** An event of a completed order that happened before it completed: a fact to record. */
  const isLateFact = (event: ProviderEvent, transition: { to?: OrderStatus }) =>
    order.status === 'completed' &&
    transition.to !== undefined &&
    Date.parse(event.at) <= Date.parse(order.current.closedAt ?? order.current.updatedAt);

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

  // ---- Support: refunds (held for an admin above the threshold) and redeliveries ----
  /** Pays a support refund accepted earlier, after any refund ahead of it. */
  const payRefund = (refundId: string) =>
    oneRefundAtATime(async () => {
      const refund = order.refund(refundId)!;
      try {
        const { totalRefunded } = await settlement.refundPayment({
          orderId: input.orderId,
          authorisationId: authorisationId!,
          amount: refund.amount,
          refundId: `support:${refundId}`,
          reason: refund.reason,
        });
        order.updateRefund(refundId, { status: 'refunded', refundedAt: workflowNowIso() });
        order.updateAmounts({ refunded: totalRefunded });
      } catch (error) {
        // Only a gateway refusal ends here (transient errors retry): the refund is declined.
        log.error('support refund refused by the gateway', { refundId, error: String(error) });
        order.updateRefund(refundId, {
          status: 'declined',
          decisionNote: `the payment gateway refused the refund: ${String(error)}`,
        });
      }
      await publish();
    });
  const refundSettled = (refundId: string) => order.refund(refundId)?.status !== 'refunding';

  setHandler(
    requestRefundUpdate,
    async (request) => {
      if (!order.refund(request.refundId)) {
        refundRequestHashes.set(request.refundId, request.requestHash);
        const { requestHash: _hash, needsApproval, ...refund } = request;
        order.addRefund({
          ...refund,
          status: needsApproval ? 'pending_approval' : 'refunding',
          requestedAt: workflowNowIso(),
        } satisfies RefundRecord);
        if (needsApproval) await publish();
        else await payRefund(request.refundId);
      }
      await condition(() => refundSettled(request.refundId));
      return answer();
    },
    {
      validator: (request) => {
        const earlier = refundRequestHashes.get(request.refundId);
        if (earlier !== undefined) {
          if (earlier !== request.requestHash)
            throw idempotencyConflict('this Idempotency-Key was used with a different refund');
          return; // a repeated request is harmless
        }
        if (!refundsOpen) throw refundNotAllowed('the refund window of this order has closed');
        if (settlementRefundInFlight)
          throw refundNotAllowed('the order is being settled right now; try again in a moment');
        const check = checkRefund(
          order.current,
          request.amount,
          workflowNow(),
          refundWindowMs,
          order.current.closedAt,
        );
        if (!check.allowed) throw refundNotAllowed(check.reason);
      },
    },
  );

  setHandler(
    decideRefundUpdate,
    async (decision) => {
      const refund = order.refund(decision.refundId)!;
      if (refund.status === 'pending_approval') {
        const decided = {
          decidedBy: decision.decidedBy,
          decidedAt: workflowNowIso(),
          ...(decision.note ? { decisionNote: decision.note } : {}),
        };
        if (decision.approve) {
          order.updateRefund(decision.refundId, { ...decided, status: 'refunding' });
          await payRefund(decision.refundId);
        } else {
          order.updateRefund(decision.refundId, { ...decided, status: 'declined' });
          await publish();
        }
      }
      await condition(() => refundSettled(decision.refundId));
      return answer();
    },
    {
      validator: (decision) => {
        const refund = order.refund(decision.refundId);
        if (!refund) throw invalidRequest(`no refund ${decision.refundId} on this order`);
        if (refund.status === 'pending_approval') return;
        const same = decision.approve
          ? refund.status === 'refunding' || refund.status === 'refunded'
          : refund.status === 'declined' && refund.decidedBy !== undefined;
        if (!same) throw invalidState(`the refund is already ${refund.status}`);
      },
    },
  );

  setHandler(
    redeliverNotificationUpdate,
    async (_request): Promise<NotificationRedelivery> => {
      const event = order.status === 'awaiting_confirmation' ? 'order.created' : 'order.cancelled';
      try {
        const delivery = await notifyProvider(event, REDELIVERY_MS);
        return {
          event,
          delivered: delivery.delivered,
          ...(delivery.status ? { status: delivery.status } : {}),
          ...(delivery.skipped ? { problem: delivery.skipped } : {}),
        };
      } catch (error) {
        return { event, delivered: false, problem: rootMessage(error) };
      }
    },
    {
      validator: (_request) => {
        const tellable = ['awaiting_confirmation', 'cancelled', 'expired', 'rejected'];
        if (!tellable.includes(order.status))
          throw invalidState(`a ${order.status} order has no notification to redeliver`);
      },
    },
  );

  async function finish(
    status: OrderStatus,
    options: { failure?: OrderFailure; tellProvider?: boolean } = {},
  ) {
    settling = true;
    order.update({
      status,
      closedAt: workflowNowIso(),
      ...(options.failure ? { failure: options.failure } : {}),
    });
    await publish();
    paymentDecided = true;
    if (options.tellProvider) {
      await notifyProvider('order.cancelled', CANCELLATION_NOTICE_MS).catch((error) =>
        log.warn('cancellation notice not delivered', { error: String(error) }),
      );
    }
    // Support may still refund what the order kept, for a while; then its books close.
    const kept = order.current.amounts.captured - order.current.amounts.refunded;
    if (kept > 0 && refundWindowMs > 0 && has('refund-window-after-close')) {
      await sleep(refundWindowMs);
      refundsOpen = false;
      await declineUndecidedRefunds('the refund window closed before an admin decided');
    }
    await condition(allHandlersFinished);
    return order.snapshot;
  }

  /**
   * Runs a compensation (void, reversal, refund), which retries until the gateway takes it.
   * If it has not gone through after a while, support is asked to look; the attention clears
   * once it settles.
   */
  async function watched<T>(what: string, settle: () => Promise<T>): Promise<T> {
    const afterMs = (input.settlementAttentionSeconds ?? 0) * 1000;
    if (afterMs <= 0 || !has('settlement-attention')) return settle();
    const watch = new CancellationScope();
    const raised = watch
      .run(() => sleep(afterMs))
      .then(
        async () => {
          order.update({
            attention: {
              code: 'settlement_stuck',
              reason: `${what} has not gone through after ${input.settlementAttentionSeconds} s; the payment gateway keeps failing and it keeps retrying`,
              since: workflowNowIso(),
            },
          });
          log.warn('settlement stuck: support must look', { orderId: input.orderId, what });
          await publish();
        },
        () => undefined, // settled in time: the watch was cancelled
      );
    try {
      return await settle();
    } finally {
      watch.cancel();
      await raised;
      if (order.current.attention?.code === 'settlement_stuck')
        order.update({ attention: undefined });
    }
  }

  async function declineUndecidedRefunds(note: string) {
    const undecided = (order.current.refunds ?? []).filter((r) => r.status === 'pending_approval');
    if (undecided.length === 0) return;
    for (const refund of undecided)
      order.updateRefund(refund.refundId, { status: 'declined', decisionNote: note });
    await publish();
  }

  // ---- 1. Authorise: the money is held, not taken ----
  const { request } = input;
  if (input.payBy && workflowNow().getTime() > Date.parse(input.payBy)) {
    // Checkout stopped waiting long ago (Temporal or the workers were down): charge nothing.
    return finish('payment_declined', { failure: CHECKOUT_EXPIRED });
  }
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
      await watched('reversing the unanswered authorisation', () =>
        settlement.reverseAuthorisation({ orderId: input.orderId, currency: request.currency }),
      );
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
    const { released } = await watched('releasing the hold', () =>
      settlement.voidAuthorisation({ orderId: input.orderId, authorisationId: authorisationId! }),
    );
    order.updateAmounts({ released });
  };

  // ---- 2. Ask the provider, and wait for its answer until the deadline ----
  const latest = vertical.confirmBefore?.(order.current, has);
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
  if (has('payment-decision-recorded')) {
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
  /** Whether the provider has the order: the webhook arrived, or the provider polls. */
  let providerHasOrder = false;
  notification
    .run(() => notifyProvider('order.created', deadlineMs))
    .then((delivery) => {
      providerHasOrder = delivery.delivered || delivery.skipped === 'no_webhook_url';
    })
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
    if (!providerHasOrder) {
      order.update({
        attention: {
          code: 'provider_not_notified',
          reason: 'the provider never received the order: every webhook delivery failed',
          since: workflowNowIso(),
        },
      });
    }
    await releaseAuthorisation();
    return finish('expired', {
      failure: { code: 'provider_timeout', message: 'the provider did not answer in time' },
      // Histories recorded before this notice existed end without it.
      tellProvider: has('expiry-notifies-provider'),
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
      authorisationId: authorisationId!,
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
  // Undo of the capture: refund what is captured and not yet refunded, less a kept fee. A
  // support refund still waiting for an admin is superseded: this refund settles the money.
  const refundCapture = (refundId: string, reason: string, fee = 0) =>
    oneRefundAtATime(async () => {
      for (const refund of order.current.refunds ?? []) {
        if (refund.status !== 'pending_approval') continue;
        order.updateRefund(refund.refundId, {
          status: 'declined',
          decisionNote: 'superseded: the order was cancelled and its money settled',
        });
      }
      const { captured, refunded } = order.current.amounts;
      const amount = captured - refunded - fee;
      if (amount <= 0) return;
      settlementRefundInFlight = true;
      const { totalRefunded } = await watched('refunding the customer', () =>
        settlement.refundPayment({
          orderId: input.orderId,
          authorisationId: authorisationId!,
          amount,
          refundId,
          reason,
        }),
      );
      settlementRefundInFlight = false;
      order.updateAmounts({ refunded: totalRefunded });
    });
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
    has,
    dispatch,
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

function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error)
    current = (current as { cause?: unknown }).cause;
  return current instanceof Error ? current.message : String(error);
}
