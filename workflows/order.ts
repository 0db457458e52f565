// The order lifecycle, as MISSION.md tells it: authorise the payment, ask the provider and
// wait for its answer or the deadline, capture, fulfil, close. What differs by vertical sits
// behind `VerticalFlow`; the order's state and its message handlers in `OrderState`,
// refunds in `OrderRefunds`. Each money step replaces the undo that `close` runs, so every
// exit is `return close(…)` and none pairs an undo with closing by hand.

import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  setHandler,
} from '@temporalio/workflow';
import { decideCancellation } from '../domain/cancellation';
import { CHECKOUT_EXPIRED, CHECKOUT_TIMEOUT, PAYMENT_UNAVAILABLE } from '../domain/checkout';
import type { Attention, OrderFailure, OrderSnapshot, OrderStatus } from '../domain/order';
import { orderSteps } from './activities';
import { changesOfThisRun } from './changes';
import { workflowNow, workflowNowIso } from './clock';
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
  type OrderWorkflowInput,
} from './messages';
import { OrderState } from './order-state';
import { conditionUntil } from './timers';
import { ProviderNotifications } from './provider-notifications';
import { Offers, type Answer } from './offers';
import { OrderRefunds } from './refunds';
import { settlementWatch } from './settlement-watch';
import { UpdateTasks } from './update-tasks';
import type { FulfilmentContext, WaitResult } from './verticals/vertical';

/** How the order ends, and what goes back to the customer on the way. */
interface Closing {
  status: OrderStatus;
  failure?: OrderFailure;
  /** Send the provider an `order.cancelled` notice (decided after the undo, as older runs did). */
  tellProvider?: boolean | (() => boolean);
  /** After a capture: which refund settles it, why, and the fee the policy keeps. */
  refund?: { id: 'cancellation' | 'compensation'; reason: string; fee?: number };
}

type Undo = (closing: Closing) => Promise<void>;

export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderSnapshot> {
  const order = setUp(input);
  await run(order);
  await condition(allHandlersFinished);
  return order.state.snapshot;
}

type Order = ReturnType<typeof setUp>;

/** The order's state and its handlers, installed before the first await so none is missed. */
function setUp(input: OrderWorkflowInput) {
  const has = changesOfThisRun();
  const updateTasks = new UpdateTasks(has('effects-after-update-recorded'));
  const steps = orderSteps(has, updateTasks);
  const state = new OrderState(input, has, updateTasks);
  const watched = settlementWatch(state);
  const refunds = new OrderRefunds(
    state,
    steps.settlement,
    watched,
    (input.refundWindowSeconds ?? 0) * 1000,
  );
  const provider = new ProviderNotifications(state);

  setHandler(getOrderQuery, () => state.snapshot);
  setHandler(awaitPaymentDecisionUpdate, async () => {
    await condition(() => state.paymentDecided);
    return state.snapshot;
  });
  // Updates that change the order: their effects wait until the history has them.
  const { handle } = updateTasks;
  handle(confirmOrderUpdate, (decision) => state.confirm(decision), {
    validator: (decision) => state.checkConfirmation(decision),
  });
  handle(reportProviderEventUpdate, (event) => state.reportEvent(event), {
    validator: (event) => state.checkEvent(event),
  });
  void state.applyEarlyEvents();
  handle(cancelOrderUpdate, (request) => state.cancel(request), {
    validator: (request) => state.checkCancellation(request),
  });
  handle(requestRefundUpdate, (request) => refunds.request(request), {
    validator: (request) => refunds.checkRequest(request),
  });
  handle(decideRefundUpdate, (decision) => refunds.decide(decision), {
    validator: (decision) => refunds.checkDecision(decision),
  });
  handle(redeliverNotificationUpdate, (_request) => provider.redeliver(), {
    validator: (_request) => provider.checkRedelivery(),
  });
  return { input, has, steps, state, watched, refunds, provider };
}

/** The story. Every exit closes the order through `close`, which runs the current undo. */
async function run(order: Order): Promise<void> {
  const { input, has, state, provider } = order;
  const { authorisation, settlement } = order.steps;
  const { record, vertical } = state;
  const undoes = undoSteps(order);
  let undo: Undo = undoes.nothing;
  const close = (closing: Closing) => closeOrder(order, closing, undo);

  // ---- 1. Authorise: the money is held, not taken ----
  if (input.payBy && workflowNow().getTime() > Date.parse(input.payBy)) {
    // Checkout stopped waiting long ago (Temporal or the workers were down): charge nothing.
    // An earlier try of this workflow task may have authorised before it was lost with its
    // worker (not in the history): the gateway undoes that by the key, and our publications
    // follow any it stored. Runs from before the update-task change did not (its patch,
    // recorded at the start, stands for all of it).
    let answeredAccepted = false;
    if (has('effects-after-update-recorded')) {
      undo = undoes.reverseAuthorisation;
      // Asked before the read below, so its marker comes before that read's in the history.
      const keepsAccepted = has('late-start-keeps-accepted-order');
      const published = await state.publisher.continueAfterPublished();
      // Unless that try also recorded the payment decision: then checkout told the app the
      // order was placed, and it goes on (the gateway gives back the same hold by its key).
      answeredAccepted = keepsAccepted && published?.status === 'awaiting_confirmation';
    }
    if (!answeredAccepted) return close({ status: 'payment_declined', failure: CHECKOUT_EXPIRED });
  }
  undo = undoes.reverseAuthorisation; // unanswered, the gateway may still have held the money
  try {
    const held = await authorisation.authorisePayment({
      orderId: input.orderId,
      amount: record.current.amounts.total,
      currency: input.request.currency,
      token: input.request.paymentToken,
      ...(input.checkoutWaitsUntil ? { checkoutWaitsUntil: input.checkoutWaitsUntil } : {}),
    });
    state.authorisationId = held.authorisationId;
    record.updateAmounts({ authorised: held.amount });
  } catch (error) {
    const type = failureType(error);
    if (type === FailureTypes.paymentDeclined) {
      undo = undoes.nothing; // nothing was held
      const failure = { code: 'payment_declined', message: 'the payment was declined' };
      return close({ status: 'payment_declined', failure });
    }
    const failure = type === FailureTypes.checkoutClosed ? CHECKOUT_TIMEOUT : PAYMENT_UNAVAILABLE;
    // An earlier try of this task may have authorised and published before it was lost (the
    // cluster fault suite found its publications outranking this decline): number ours after.
    // Asked here, not at the start: only runs that decline this way record its marker.
    if (has('decline-after-lost-publications')) await state.publisher.continueAfterPublished();
    return close({ status: 'payment_declined', failure });
  }
  undo = undoes.releaseHold;

  // ---- 2. Ask the provider (then its fallbacks, in turn) until one answers in time ----
  const deadlineMs = state.confirmationDeadlineMs();
  const confirmBy = new Date(workflowNow().getTime() + deadlineMs).toISOString();
  record.moveTo('awaiting_confirmation', { confirmBy });
  // Checkout may have stopped waiting and told the app nothing was charged while the
  // authorisation was in flight: its word stands, and the hold goes back. Older runs did not
  // record the decision.
  if (has('payment-decision-recorded')) {
    const standing = await state.publisher.recordPaymentDecision();
    if (standing.status !== record.status)
      return close({ status: 'payment_declined', failure: standing.failure ?? CHECKOUT_TIMEOUT });
  } else {
    await state.publish();
  }
  state.paymentDecided = true;

  const offers = new Offers(state, provider, has, input);
  let answer: Answer;
  for (let offerMs: number | undefined = deadlineMs; ;) {
    const newOrder = provider.sendNewOrder(offerMs);
    const answered = await conditionUntil(
      'confirmation_deadline',
      () => record.current.confirmation !== undefined || state.cancelRequested,
      offerMs,
    );
    newOrder.stop();
    answer = offers.answerOf(answered, () => newOrder.hasOrder());
    if (!offers.mayReroute(answer)) break;
    offerMs = await offers.rerouteAfter(answer);
    if (offerMs === undefined) break;
  }
  if (answer.kind === 'cancelled') return close({ status: 'cancelled', tellProvider: true });
  if (answer.kind === 'expired') {
    if (!answer.notified) record.update({ attention: providerNotNotified() });
    return close({
      status: 'expired',
      failure: { code: 'provider_timeout', message: 'the provider did not answer in time' },
      // Histories recorded before this notice existed end without it.
      tellProvider: () => has('expiry-notifies-provider'),
    });
  }
  if (answer.kind === 'rejected') {
    const failure = { code: 'provider_rejected', message: answer.reason };
    return close({ status: 'rejected', failure });
  }
  const { outcome } = answer;

  // ---- 3. Capture what the provider confirmed; the rest of the hold is released ----
  let captured: { captured: number; released: number };
  try {
    captured = await settlement.capturePayment({
      orderId: input.orderId,
      authorisationId: state.authorisationId!,
      amount: outcome.captureAmount,
    });
  } catch (error) {
    // Transient errors retry without end; only a gateway refusal lands here.
    log.error('capture refused; releasing the authorisation', { error: String(error) });
    const failure = { code: 'capture_failed', message: 'the payment could not be captured' };
    return close({ status: 'cancelled', failure, tellProvider: true });
  }
  record.moveTo('confirmed', outcome.changes);
  record.updateAmounts({ captured: captured.captured, released: captured.released });
  await state.publish();
  undo = undoes.refundCapture;
  if (state.cancelRequested) return close(cancellation(state));

  // ---- 4. Fulfil: dispatch, then follow the provider's events and the clock ----
  const fulfilment = await vertical.fulfil(fulfilmentContext(order));
  switch (fulfilment.kind) {
    case 'cancelled':
      return close(cancellation(state));
    case 'failed':
      return close(providerFailed(state, fulfilment.failure));
    case 'completed':
      return close({ status: 'completed' });
  }
}

/**
 * Closes the order: no other change is taken from here on; the current undo gives back what
 * the order holds (unless it completed); the order is published and the provider told. Then
 * the workflow ends, unless a refund still waits for an admin (it waits for the decision, at
 * most until the refund window ends): a later refund runs in the order's after-sales workflow.
 * Runs of earlier generations stay open for the whole refund window instead.
 */
async function closeOrder(order: Order, closing: Closing, undo: Undo): Promise<void> {
  const { state, provider, has, refunds } = order;
  state.closing = true;
  if (closing.status !== 'completed') await undo(closing);
  const { tellProvider } = closing;
  const tell = typeof tellProvider === 'function' ? tellProvider() : tellProvider;
  const afterSales = has('after-sales-workflow');
  const closedAt = workflowNowIso();
  state.record.moveTo(closing.status, {
    closedAt,
    ...(closing.failure ? { failure: closing.failure } : {}),
    ...(afterSales ? afterSalesTerms(order, closedAt) : {}),
  });
  await state.publish();
  state.paymentDecided = true;
  if (tell) await provider.orderCancelled();
  if (provider.noticesUnderWay) await provider.reroutedNoticesSent();
  if (!afterSales) {
    if (has('refund-window-after-close')) await refunds.stayOpenForRefunds();
    return;
  }
  const { refundableUntil } = state.record.current;
  if (refundableUntil) await refunds.awaitDecisions(msUntil(Date.parse(refundableUntil)));
}

/**
 * What the order's after-sales workflow needs to refund once this workflow has ended: until
 * when, and against which authorisation. An order that keeps no money has no refund window.
 */
function afterSalesTerms({ input, state }: Order, closedAt: string) {
  const { captured, refunded } = state.record.current.amounts;
  const windowMs = (input.refundWindowSeconds ?? 0) * 1000;
  if (captured - refunded <= 0 || windowMs <= 0) return {};
  return {
    refundableUntil: new Date(Date.parse(closedAt) + windowMs).toISOString(),
    authorisationId: state.authorisationId!,
  };
}

const msUntil = (epochMs: number) => Math.max(0, epochMs - workflowNow().getTime());

/** Each money step's undo; the story puts the current one in its slot. */
function undoSteps({ input, state, watched, refunds, steps }: Order) {
  const { settlement } = steps;
  return {
    nothing: async () => undefined,
    reverseAuthorisation: async () => {
      await watched('reversing the unanswered authorisation', () =>
        settlement.reverseAuthorisation({
          orderId: input.orderId,
          currency: input.request.currency,
        }),
      );
    },
    releaseHold: async () => {
      const { released } = await watched('releasing the hold', () =>
        settlement.voidAuthorisation({
          orderId: input.orderId,
          authorisationId: state.authorisationId!,
        }),
      );
      state.record.updateAmounts({ released });
    },
    refundCapture: ({ refund }: Closing) =>
      refunds.refundRemaining(refund?.id ?? 'compensation', refund?.reason ?? '', refund?.fee),
  } satisfies Record<string, Undo>;
}

const providerNotNotified = (): Attention => ({
  code: 'provider_not_notified',
  reason: 'the provider never received the order: every webhook delivery failed',
  since: workflowNowIso(),
});

/** What a vertical's fulfilment may see and do. */
function fulfilmentContext({ input, has, state, steps }: Order): FulfilmentContext {
  const { record } = state;
  return {
    // A re-routed order is fulfilled on its fallback's settings.
    input: { ...input, ...state.providerSettings },
    has,
    dispatch: steps.dispatch,
    order: record,
    dispatched: (change) => record.moveTo('dispatching', change),
    publish: () => state.publish(),
    msUntil,
    waitFor: async (done, until): Promise<WaitResult> => {
      const settled = () => done() || state.cancelRequested;
      const met =
        until === undefined
          ? (await condition(settled), true)
          : await conditionUntil(until.purpose, settled, until.ms);
      if (state.cancelRequested && !done()) return 'cancelled';
      return met ? 'done' : 'timeout';
    },
  };
}

/**
 * A cancellation after the capture: the fee is the policy's at the moment the customer asked,
 * applied to what was captured (a request can arrive while the capture is still in flight).
 */
function cancellation(state: OrderState): Closing {
  const { record } = state;
  const requested = record.current.cancellation!;
  const decision = decideCancellation(record.current, new Date(requested.requestedAt));
  const fee = requested.waiveFee ? 0 : decision.allowed ? decision.fee : requested.fee;
  if (fee !== requested.fee) record.update({ cancellation: { ...requested, fee } });
  return {
    status: 'cancelled',
    tellProvider: true,
    refund: { id: 'cancellation', reason: requested.reason, fee },
  };
}

/** The provider's side failed (no courier, doctor no-show): everything goes back. */
function providerFailed(state: OrderState, failure: OrderFailure): Closing {
  log.warn('fulfilment failed; refunding the order', { failure: failure.code });
  // A pending cancellation keeps no fee either.
  const requested = state.record.current.cancellation;
  if (requested) state.record.update({ cancellation: { ...requested, fee: 0 } });
  return {
    status: 'cancelled',
    failure,
    tellProvider: true,
    refund: { id: 'compensation', reason: failure.message },
  };
}

function failureType(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) return current.type ?? undefined;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
