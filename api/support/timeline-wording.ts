// The words of support's timeline: one describer per activity the order workflow calls, one
// per Update it takes, one per purpose of its timers, and the order's close. The tables are
// keyed by the workflow's own names (its activity interface, its Update definitions, its
// timer purposes), so renaming a step in the workflow fails to compile here until it is worded.
// The history reader (timeline.ts) decides when each applies.

import { TERMINAL_STATUSES, type OrderStatus } from '../../domain/order';
import type { OrderWorkflowActivity } from '../../workflows/activities';
import type { OrderUpdateName } from '../../workflows/messages';
import type { TimerPurpose } from '../../workflows/timers';

export type { TimerPurpose } from '../../workflows/timers';
import type { TimelineActor, TimelineKind } from './schemas';

// ---- What describers see and give back ----

export type Json = Record<string, unknown>;
export const obj = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
export const str = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
export const int = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
const words = (value: unknown): string => (str(value) ?? '').replace(/_/g, ' ');

/** What the order is, from the workflow's start: enough to word every step. */
export interface OrderContext {
  vertical?: string;
  currency: string;
  /** The provider in the vertical's words: store, hotel, doctor. */
  provider: string;
  items: { sku: string; quantity: number }[];
  money(amount: unknown): string;
  /** `{amount, currency}` for `details`: integer minor units, never a float. */
  amount(amount: unknown): Json;
}

/** An entry before it is placed in time; the actor defaults to the system. */
export interface Draft {
  kind: TimelineKind;
  title: string;
  actor?: TimelineActor;
  actorName?: string;
  details?: Json;
}
export const step = (kind: TimelineKind, title: string, details: Json = {}): Draft => ({
  kind,
  title,
  details,
});

export interface FailureInfo {
  message: string;
  type?: string;
  /** For a step that gave up on a timeout, the last attempt's own error. */
  lastError: string;
  details: unknown[];
}

/** What the order has been through so far, as far as the history shows. */
export class Progress {
  awaitingProvider = false;
  captured = false;
  videoSession = false;
  /** The order reached its final status (the workflow may still hold it open for refunds). */
  closed = false;
  readonly refundAmounts = new Map<string, number | undefined>();
  private readonly seenKeys = new Set<string>();

  /** Whether `key` was seen before; remembers it. */
  seen(key: string): boolean {
    const before = this.seenKeys.has(key);
    this.seenKeys.add(key);
    return before;
  }

  has(key: string): boolean {
    return this.seenKeys.has(key);
  }
}

// ---- Activities, by activity type ----

export interface ActivityDescriber {
  /** The step as a noun phrase, for retries and failures: "payment authorisation". */
  label(input: Json, order: OrderContext): string;
  scheduled?(input: Json, order: OrderContext, progress: Progress): Draft[];
  completed?(input: Json, result: Json, order: OrderContext): Draft[];
  /** A business failure in its own words; undefined falls back to "<label> failed". */
  failed?(input: Json, failure: FailureInfo): Draft | undefined;
  /** Read-model writes are noise: not shown unless stuck retrying. */
  quiet?: boolean;
  /** Run as a local activity, its input is not in the history: what stands in for it. */
  localInput?(result: unknown): unknown;
}

const activityDescribers = {
  authorisePayment: {
    label: () => 'payment authorisation',
    completed: (_input, result, order) => [
      step('payment_authorised', `payment authorised ${order.money(result.amount)}`, {
        ...order.amount(result.amount),
        authorisationId: result.authorisationId,
      }),
    ],
    failed: (_input, failure) => {
      if (failure.type === 'PaymentDeclined') {
        const reason = str(failure.details[0]);
        return step('payment_declined', `payment declined${reason ? ` (${reason})` : ''}`, {
          reason,
          error: failure.message,
        });
      }
      if (failure.type === 'CheckoutClosed') {
        return step(
          'payment_not_attempted',
          'payment not attempted: checkout had already told the app nothing was charged',
          { error: failure.message },
        );
      }
      return undefined;
    },
  },
  capturePayment: {
    label: () => 'payment capture',
    // Its result names the authorisation too (see activities/payments.ts).
    localInput: (result) => result,
    completed: (input, result, order) => [
      step('captured', `${order.money(result.captured)} captured`, {
        ...order.amount(result.captured),
        authorisationId: input.authorisationId,
      }),
      ...((int(result.released) ?? 0) > 0
        ? [
            step('released', `${order.money(result.released)} released`, {
              ...order.amount(result.released),
              why: 'not confirmed by the provider',
            }),
          ]
        : []),
    ],
  },
  voidAuthorisation: {
    label: () => 'release of the authorisation',
    localInput: (result) => result,
    completed: (input, result, order) => [
      step('released', `${order.money(result.released)} released`, {
        ...order.amount(result.released),
        authorisationId: input.authorisationId,
      }),
    ],
  },
  reverseAuthorisation: {
    label: () => 'reversal of an unanswered authorisation',
    completed: (_input, result, order) => [
      step(
        'authorisation_reversed',
        (int(result.released) ?? 0) > 0
          ? `authorisation reversed: ${order.money(result.released)} released`
          : 'authorisation reversed: nothing was held',
        order.amount(result.released),
      ),
    ],
  },
  refundPayment: {
    label: () => 'refund',
    // Its result names the refund and its reason too (see activities/payments.ts).
    localInput: (result) => result,
    completed: (input, result, order) => [
      step(
        'refunded',
        `${order.money(result.refunded)} refunded${input.reason ? ` (${words(input.reason)})` : ''}`,
        {
          ...order.amount(result.refunded),
          totalRefunded: int(result.totalRefunded),
          refundId: input.refundId,
          reason: input.reason,
        },
      ),
    ],
  },
  recordPaymentDecision: {
    label: () => "recording checkout's answer",
    // The workflow records only the authorised order: any other answer is checkout's own.
    completed: (_input, standing) => {
      if (standing.status === 'awaiting_confirmation')
        return [step('payment_decision_recorded', 'payment decision recorded for checkout')];
      const told = str(obj(standing.failure).message);
      return [
        step(
          'checkout_gave_up',
          `checkout had already given up${told ? ` (the app was told: ${told})` : ''}; the authorisation is released`,
          { answered: standing.status, failure: standing.failure },
        ),
      ];
    },
  },
  saveOrderSnapshot: {
    label: () => 'read model write',
    quiet: true,
    // As a local activity the snapshot written is the result (its input is not recorded).
    localInput: (written) => written,
    // Every change is published; the first one in a final status is when the order closed.
    scheduled: (snapshot, order, progress) => {
      if (progress.closed || !TERMINAL_STATUSES.has(snapshot.status as OrderStatus)) return [];
      progress.closed = true;
      return [closedOrder(snapshot, order)];
    },
  },
  fallbackTerms: {
    label: (input, order) => `looking up fallback ${order.provider} ${str(input.providerId) ?? ''}`,
    // As a local activity its input is not recorded; the result names the provider.
    localInput: (result) => result,
    completed: (input, result, order) => {
      const providerId = str(result.providerId) ?? str(input.providerId);
      const skipped = str(result.skipped);
      if (skipped)
        return [
          step('fallback_skipped', `fallback ${order.provider} ${providerId} skipped: ${skipped}`, {
            providerId,
            reason: skipped,
          }),
        ];
      return [
        step('order_rerouted', `order offered to fallback ${order.provider} ${providerId}`, {
          providerId,
          confirmationTimeoutSeconds: int(result.confirmationTimeoutSeconds),
        }),
      ];
    },
  },
  loadPublishedOrder: {
    label: () => 'reading the order where its last workflow left it',
    quiet: true,
  },
  notifyProvider: {
    label: (input, order) =>
      `${order.provider} ${input.event === 'order.cancelled' ? 'cancellation notice' : 'notification'}`,
    completed: (input, result, order) => {
      const event = str(input.event);
      const news =
        event === 'order.cancelled'
          ? `told the order is ${words(obj(input.order).status) || 'cancelled'}`
          : 'notified of the new order';
      if (result.delivered !== true) {
        return [
          step(
            'provider_notification_skipped',
            `${order.provider} not ${news}: it has no webhook URL (it polls)`,
            { event, skipped: result.skipped },
          ),
        ];
      }
      const status = int(result.status);
      return [
        step('provider_notified', `${order.provider} ${news}${status ? ` (HTTP ${status})` : ''}`, {
          event,
          httpStatus: status,
        }),
      ];
    },
  },
  assignCourier: {
    label: () => 'courier assignment',
    completed: (_input, courier) => [
      step('courier_assigned', `courier ${str(courier.name) ?? str(courier.courierId)} assigned`, {
        courier,
      }),
    ],
  },
  issueVoucher: {
    label: () => 'voucher',
    completed: (_input, result) => [
      step('voucher_issued', `voucher ${str(result.voucherCode)} issued to the guest`, {
        voucherCode: result.voucherCode,
      }),
    ],
  },
  openVideoSession: {
    label: () => 'video session',
    completed: (_input, result) => [
      step('video_session_opened', 'video session opened and the link sent to the patient', {
        sessionLink: result.sessionLink,
      }),
    ],
  },
} satisfies Record<OrderWorkflowActivity, ActivityDescriber>;

const unknownActivity = (type: string): ActivityDescriber => ({ label: () => type });

/** The describer of an activity the history names (an unknown one is named as it is). */
export function describeActivity(type: string): ActivityDescriber {
  return Object.hasOwn(activityDescribers, type)
    ? activityDescribers[type as OrderWorkflowActivity]
    : unknownActivity(type);
}

/** An activity's name, checked against the workflow's activity interface. */
export const activityName = (name: OrderWorkflowActivity): string => name;

// ---- Updates, by update name ----

export interface UpdateDescriber {
  /** Who sent it. */
  from(args: Json): { actor: TimelineActor; actorName?: string };
  /** What was asked, for refusals and failures: "store's accept". */
  subject(args: Json, order: OrderContext): string;
  accepted?(args: Json, order: OrderContext, progress: Progress): Draft[];
  completed?(args: Json, result: Json, order: OrderContext): Draft[];
}

/** A member of staff (`{name, role}`) or a bare role (`'customer'`). */
function requester(value: unknown): { actor: TimelineActor; actorName?: string; who: string } {
  const name = str(obj(value).name);
  const role = str(obj(value).role) ?? str(value) ?? 'system';
  const actor: TimelineActor =
    role === 'support' || role === 'admin'
      ? 'support'
      : role === 'customer' || role === 'provider'
        ? role
        : 'system';
  return name ? { actor, actorName: name, who: `${name} (${role})` } : { actor, who: role };
}
const fromProvider = () => ({ actor: 'provider' as const });
const fromSystem = () => ({ actor: 'system' as const });
/** A cancellation names the member of staff in `staff`, next to `requestedBy: 'support'`. */
const canceller = (request: Json) => requester(request.staff ?? request.requestedBy);

const EVENT_WORDS: Record<string, string> = {
  picked_up: 'courier picked up the order',
  delivered: 'order delivered',
  checked_in: 'guest checked in',
  checked_out: 'guest checked out',
  consultation_started: 'consultation started',
  consultation_completed: 'consultation completed',
  no_show: 'no-show reported',
};

function confirmation(decision: Json, order: OrderContext): Draft {
  if (decision.decision === 'reject') {
    const reason = str(decision.reason);
    return step(
      'provider_rejected',
      `${order.provider} rejected the order${reason ? `: ${reason}` : ''}`,
      { decision: 'reject', reason },
    );
  }
  if (order.vertical === 'grocery') {
    const listed = Array.isArray(decision.items) ? decision.items.map(obj) : [];
    const available = new Map(listed.map((item) => [item.sku, int(item.availableQuantity)]));
    const items = order.items.map(({ sku, quantity }) => ({
      sku,
      ordered: quantity,
      confirmed: Math.min(quantity, available.get(sku) ?? quantity),
    }));
    const ordered = items.reduce((total, item) => total + item.ordered, 0);
    const confirmed = items.reduce((total, item) => total + item.confirmed, 0);
    const title =
      confirmed === ordered
        ? `store confirmed all ${ordered} items`
        : `store confirmed ${confirmed} of ${ordered} items`;
    return step('provider_confirmed', title, { decision: 'accept', items });
  }
  const code = str(decision.confirmationCode);
  const title =
    order.vertical === 'hotel'
      ? `hotel accepted the booking${code ? ` (confirmation code ${code})` : ''}`
      : order.vertical === 'teleconsultation'
        ? 'doctor accepted the slot'
        : `${order.provider} accepted the order`;
  return step('provider_confirmed', title, { decision: 'accept', confirmationCode: code });
}

/** A provider's retried callback is accepted and changes nothing: say so. */
const repeat = (draft: Draft, again: boolean): Draft =>
  again
    ? {
        ...draft,
        title: `${draft.title} (repeated; no change)`,
        details: { ...draft.details, repeated: true },
      }
    : draft;

/** A refund the gateway refused ends `declined` with the reason in its note. */
function refundRefused(refundId: unknown, order: Json): Draft[] {
  const refund = (Array.isArray(order.refunds) ? order.refunds.map(obj) : []).find(
    (candidate) => candidate.refundId === refundId,
  );
  if (refund?.status !== 'declined' || refund.decidedBy) return [];
  const note = str(refund.decisionNote);
  return [
    {
      ...step('refund_declined', `refund ${str(refundId)} declined${note ? `: ${note}` : ''}`, {
        refundId,
        note,
      }),
      actor: 'system',
      actorName: undefined,
    },
  ];
}

const updateDescribers = {
  confirmOrder: {
    from: fromProvider,
    subject: (decision, order) => `${order.provider}'s ${str(decision.decision) ?? 'answer'}`,
    accepted: (decision, order, progress) => [
      repeat(confirmation(decision, order), progress.seen('confirmation')),
    ],
  },
  reportProviderEvent: {
    from: fromProvider,
    subject: (event) => `${words(event.type) || 'event'} report`,
    accepted: (event, _order, progress) => {
      const type = str(event.type) ?? 'event';
      const title = EVENT_WORDS[type] ?? `${words(type)} reported`;
      const draft = step('event_reported', title, { type, reportedAt: event.at });
      return [repeat(draft, progress.seen(`event:${type}`))];
    },
  },
  cancelOrder: {
    from: canceller,
    subject: (request) => `${canceller(request).who}'s cancellation`,
    accepted: (request, _order, progress) => {
      const reason = str(request.reason);
      const title = `${canceller(request).who} asked to cancel${reason ? `: ${reason}` : ''}${request.waiveFee ? ' (fee waived)' : ''}`;
      const draft = step('cancellation_requested', title, {
        reason,
        waiveFee: request.waiveFee === true,
      });
      return [repeat(draft, progress.seen('cancellation'))];
    },
    completed: (request, result, order) => {
      const who = canceller(request).who;
      if (result.status !== 'cancelled') {
        const title = `${who}'s cancellation did not apply: the order is ${words(result.status)}`;
        return [step('cancellation_settled', title, { cancelled: false, status: result.status })];
      }
      const amounts = obj(result.amounts);
      const fee = int(obj(result.cancellation).fee) ?? 0;
      const parts = [`fee ${order.money(fee)}`];
      for (const key of ['refunded', 'released'] as const)
        if ((int(amounts[key]) ?? 0) > 0) parts.push(`${order.money(amounts[key])} ${key}`);
      return [
        step('cancellation_settled', `${who} cancelled: ${parts.join(', ')}`, {
          cancelled: true,
          fee,
          refunded: int(amounts.refunded) ?? 0,
          released: int(amounts.released) ?? 0,
          currency: order.currency,
        }),
      ];
    },
  },
  awaitPaymentDecision: {
    from: fromSystem,
    subject: () => "checkout's wait for the payment decision",
    completed: (_args, answer) => {
      const title =
        answer.status === 'payment_declined'
          ? `checkout answered the app: ${str(obj(answer.failure).message) ?? 'payment declined'}`
          : 'checkout answered the app: payment authorised, order placed';
      return [step('checkout_answered', title, { status: answer.status, failure: answer.failure })];
    },
  },
  requestRefund: {
    from: (request) => requester(request.requestedBy),
    subject: (request) => `${requester(request.requestedBy).who}'s refund request`,
    accepted: (request, order, progress) => {
      progress.refundAmounts.set(str(request.refundId) ?? '', int(request.amount));
      const reason = words(request.reason);
      const title = `refund of ${order.money(request.amount)} requested by ${requester(request.requestedBy).who}${reason ? `: ${reason}` : ''}${request.needsApproval ? ' (awaiting approval)' : ''}`;
      return [
        step('refund_requested', title, {
          refundId: request.refundId,
          ...order.amount(request.amount),
          reason: request.reason,
          note: request.note,
          needsApproval: request.needsApproval === true,
        }),
      ];
    },
    completed: (request, result) => refundRefused(request.refundId, result),
  },
  decideRefund: {
    from: (decision) => requester(decision.decidedBy),
    subject: (decision) => `${requester(decision.decidedBy).who}'s refund decision`,
    accepted: (decision, order, progress) => {
      const refundId = str(decision.refundId) ?? '';
      const amount = progress.refundAmounts.get(refundId);
      const note = str(decision.note);
      const approved = decision.approve === true;
      const title = `refund ${refundId}${amount !== undefined ? ` of ${order.money(amount)}` : ''} ${approved ? 'approved' : 'declined'} by ${requester(decision.decidedBy).who}${note ? `: ${note}` : ''}`;
      return [
        step(approved ? 'refund_approved' : 'refund_declined', title, {
          refundId,
          ...(amount !== undefined ? order.amount(amount) : {}),
          note,
        }),
      ];
    },
    completed: (decision, result) => refundRefused(decision.refundId, result),
  },
  redeliverNotification: {
    from: (request) => requester(request.requestedBy),
    subject: (request) => `${requester(request.requestedBy).who}'s notification redelivery`,
    accepted: (request, order) => [
      step(
        'notification_redelivery_requested',
        `${requester(request.requestedBy).who} asked to resend the ${order.provider} notification`,
      ),
    ],
    completed: (_request, delivery, order) => {
      const status = int(delivery.status);
      const title =
        delivery.delivered === true
          ? `${order.provider} notification resent${status ? ` (HTTP ${status})` : ''}`
          : `${order.provider} notification not resent: ${words(delivery.problem) || 'not delivered'}`;
      return [
        {
          ...step(delivery.delivered === true ? 'provider_notified' : 'activity_failed', title, {
            event: delivery.event,
            httpStatus: status,
            problem: delivery.problem,
          }),
          actor: 'system',
          actorName: undefined,
        },
      ];
    },
  },
} satisfies Record<OrderUpdateName, UpdateDescriber>;

const unknownUpdate = (name: string): UpdateDescriber => ({
  from: fromSystem,
  subject: () => name,
  accepted: () => [step('update_accepted', `${name} accepted`)],
});

/** The describer of an Update the history names (an unknown one is named as it is). */
export function describeUpdate(name: string): UpdateDescriber {
  return Object.hasOwn(updateDescribers, name)
    ? updateDescribers[name as OrderUpdateName]
    : unknownUpdate(name);
}

// ---- Timers, by the purpose the workflow names them with ----

export interface TimerWording {
  waiting(order: OrderContext): string;
  fired(order: OrderContext): string;
}

export const timerWords = {
  confirmation_deadline: {
    waiting: (order) => `waiting for the ${order.provider}'s answer`,
    fired: (order) => `confirmation deadline passed: the ${order.provider} did not answer in time`,
  },
  video_session_time: {
    waiting: () => 'waiting to open the video session (10 minutes before the slot)',
    fired: () => 'time to open the video session',
  },
  no_show_grace: {
    waiting: () => 'waiting for the doctor to start the consultation',
    fired: () => "the doctor's grace period passed without the consultation starting",
  },
  consultation_end: {
    waiting: () => 'waiting for the consultation to end',
    fired: () => 'the consultation time is over',
  },
  check_out_time: { waiting: () => 'waiting for check-out', fired: () => 'check-out time passed' },
  delivery_overdue: {
    waiting: () => 'waiting for the delivery (support is alerted when it is overdue)',
    fired: () => 'delivery overdue: support asked to look',
  },
  settlement_attention: {
    waiting: () => 'watching the settlement (support is alerted if it keeps failing)',
    fired: () => 'settlement still failing: support asked to look',
  },
  refund_window: {
    waiting: () => 'support refunds stay possible',
    fired: () => "refund window closed: the order's books are closed",
  },
  after_sales_idle: {
    waiting: () => 'after-sales: waiting for further requests',
    fired: () => 'after-sales idle: its run ends (the next request starts another)',
  },
} satisfies Record<TimerPurpose, TimerWording>;

/** A timer the workflow did not name. */
export const unnamedTimer: TimerWording = {
  waiting: () => 'waiting on a timer',
  fired: () => 'timer fired',
};

/**
 * Histories recorded before the workflow named its timers: the purpose is inferred from
 * where the story is. (Settlement watches were not told apart then.)
 */
export function inferredTimerPurpose(
  progress: Progress,
  vertical: string | undefined,
): TimerPurpose | undefined {
  if (progress.closed) return 'refund_window';
  if (!progress.captured) return progress.awaitingProvider ? 'confirmation_deadline' : undefined;
  if (vertical === 'grocery') return 'delivery_overdue';
  if (vertical === 'hotel') return 'check_out_time';
  if (vertical !== 'teleconsultation') return undefined;
  if (!progress.videoSession) return 'video_session_time';
  return progress.has('event:consultation_started') ? 'consultation_end' : 'no_show_grace';
}

// ---- The order's close ----

const CLOSED_WORDS: Partial<Record<string, [TimelineKind, string]>> = {
  completed: ['order_completed', 'order completed'],
  expired: ['order_expired', 'order expired'],
  rejected: ['order_rejected', 'order rejected'],
  cancelled: ['order_cancelled', 'order cancelled'],
  payment_declined: ['order_payment_declined', 'order not placed'],
};

/** The order in its final status (a snapshot): why, and where the money ended up. */
export function closedOrder(snapshot: Json, order: OrderContext): Draft {
  const status = str(snapshot.status) ?? 'closed';
  const [kind, title] = CLOSED_WORDS[status] ?? ['order_closed', `order ${words(status)}`];
  const amounts = obj(snapshot.amounts);
  const money = (['captured', 'refunded', 'released'] as const)
    .filter((key) => (int(amounts[key]) ?? 0) > 0)
    .map((key) => `${order.money(amounts[key])} ${key}`);
  const cancellation = obj(snapshot.cancellation);
  const why =
    str(obj(snapshot.failure).message) ??
    (snapshot.cancellation
      ? `by ${canceller(cancellation).actorName ? '' : 'the '}${canceller(cancellation).who}`
      : undefined);
  // An undecodable snapshot (no codec key) says nothing of the money: never "nothing charged".
  const settled =
    snapshot.amounts === undefined
      ? 'amounts unknown'
      : money.length > 0
        ? money.join(', ')
        : 'nothing charged';
  return step(kind, `${title}${why ? ` (${why})` : ''}: ${settled}`, {
    status,
    amounts: { ...amounts, currency: order.currency },
    failure: snapshot.failure,
    cancellation: snapshot.cancellation,
  });
}
