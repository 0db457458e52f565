// The support timeline: one pure translation from an order workflow's Temporal history (plus
// the activities still in flight) to entries in the words support staff use — "payment
// authorised ¥41.48", "store confirmed 2 of 3 items", "confirmation deadline passed". It reads
// only recorded events and their payloads, never the workflow's code or live state, so any
// recorded order, old or running, reads the same way. Steps are worded by the small tables
// below: one describer per activity type, one per update name, one per kind of timer.

import type { google, temporal } from '@temporalio/proto';
import { TERMINAL_STATUSES, type OrderRequest, type OrderStatus } from '../../domain/order';
import { formatMoney } from '../../domain/money';
import { orderTotal } from '../../domain/pricing';
import type { TimelineActor, TimelineEntry, TimelineKind } from './schemas';

export type { TimelineEntry } from './schemas';
export type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
type Failure = temporal.api.failure.v1.IFailure | null | undefined;

/**
 * Turns payloads into values with the client's data converter. The translator never decodes
 * by itself, so a payload codec (encryption, compression) only changes the caller.
 */
export type DecodePayloads = (
  payloads: readonly temporal.api.common.v1.IPayload[] | null | undefined,
) => unknown[];

export interface TimelineSource {
  /** As `handle.fetchHistory()` returns it. */
  history: temporal.api.history.v1.IHistory;
  /** `describe().raw.pendingActivities`: retries in flight appear nowhere in the history. */
  pendingActivities?: readonly PendingActivity[] | null;
  decode: DecodePayloads;
}

export function toTimeline({ history, pendingActivities, decode }: TimelineSource): {
  entries: TimelineEntry[];
} {
  const translation = new Translation(decode);
  for (const event of history.events ?? []) translation.read(event);
  for (const pending of pendingActivities ?? []) translation.readPending(pending);
  return { entries: translation.finish() };
}

// ---- What describers see and give back ----

type Json = Record<string, unknown>;
const obj = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const int = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
const words = (value: unknown): string => (str(value) ?? '').replace(/_/g, ' ');

/** What the order is, from the workflow's start: enough to word every step. */
interface OrderContext {
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
interface Draft {
  kind: TimelineKind;
  title: string;
  actor?: TimelineActor;
  actorName?: string;
  details?: Json;
}
const step = (kind: TimelineKind, title: string, details: Json = {}): Draft => ({
  kind,
  title,
  details,
});

interface FailureInfo {
  message: string;
  type?: string;
  /** For a step that gave up on a timeout, the last attempt's own error. */
  lastError: string;
  details: unknown[];
}

/** What the order has been through so far, as far as the history shows. */
class Progress {
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

interface ActivityDescriber {
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

const activityDescribers: Record<string, ActivityDescriber> = {
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
};

const unknownActivity = (type: string): ActivityDescriber => ({ label: () => type });

// ---- Updates, by update name ----

interface UpdateDescriber {
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

const updateDescribers: Record<string, UpdateDescriber> = {
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
};

const unknownUpdate = (name: string): UpdateDescriber => ({
  from: fromSystem,
  subject: () => name,
  accepted: () => [step('update_accepted', `${name} accepted`)],
});

// ---- Timers: what a durable timer means depends on where the story is ----

const timerWords = {
  confirmation_deadline: {
    waiting: (order: OrderContext) => `waiting for the ${order.provider}'s answer`,
    fired: (order: OrderContext) =>
      `confirmation deadline passed: the ${order.provider} did not answer in time`,
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
  refund_window: {
    waiting: () => 'support refunds stay possible',
    fired: () => "refund window closed: the order's books are closed",
  },
  timer: { waiting: () => 'waiting on a timer', fired: () => 'timer fired' },
} satisfies Record<
  string,
  { waiting(order: OrderContext): string; fired(order: OrderContext): string }
>;
type TimerPurpose = keyof typeof timerWords;

function timerPurpose(progress: Progress, vertical: string | undefined): TimerPurpose {
  if (progress.closed) return 'refund_window';
  if (!progress.captured) return progress.awaitingProvider ? 'confirmation_deadline' : 'timer';
  if (vertical === 'grocery') return 'delivery_overdue';
  if (vertical === 'hotel') return 'check_out_time';
  if (vertical !== 'teleconsultation') return 'timer';
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
function closedOrder(snapshot: Json, order: OrderContext): Draft {
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

// ---- Reading the history ----

interface ScheduledActivity {
  type: string;
  activityId: string;
  input: Json;
  describer: ActivityDescriber;
  attempt: number;
  lastError?: string;
  closed: boolean;
}

interface AcceptedUpdate {
  name: string;
  args: Json;
  updateId?: string;
  describer: UpdateDescriber;
}

interface StartedTimer {
  purpose: TimerPurpose;
  summary?: string;
  durationMs: number;
  /** Index of its "waiting" entry, dropped once the timer fires or is cancelled. */
  entry: number;
}

const PROVIDER_WORDS: Record<string, string> = {
  grocery: 'store',
  hotel: 'hotel',
  teleconsultation: 'doctor',
};

const idOf = (value: unknown): string =>
  value === null || value === undefined ? '' : String(value);
/** Protobuf durations and timestamps: 64-bit seconds (a Long) and nanos. */
const msOf = (value: google.protobuf.IDuration | google.protobuf.ITimestamp | null | undefined) =>
  Number(idOf(value?.seconds) || 0) * 1000 + Math.floor((value?.nanos ?? 0) / 1e6);
const isoOf = (value: google.protobuf.ITimestamp | null | undefined): string | undefined =>
  value ? new Date(msOf(value)).toISOString() : undefined;
/** Titles stay readable; the full error is in `details`. */
const brief = (message: string): string =>
  message.length > 160 ? `${message.slice(0, 157)}...` : message;
const attempts = (count: number) => `${count} attempt${count === 1 ? '' : 's'}`;

type EventReader = (this: Translation, event: HistoryEvent, at: string) => void;

class Translation {
  private readonly entries: (TimelineEntry | undefined)[] = [];
  private readonly activities = new Map<string, ScheduledActivity>();
  private readonly activitiesById = new Map<string, ScheduledActivity>();
  private readonly updates = new Map<string, AcceptedUpdate>();
  private readonly timers = new Map<string, StartedTimer>();
  private readonly progress = new Progress();
  private order = this.context({});
  private lastAt = new Date(0).toISOString();

  constructor(private readonly decode: DecodePayloads) {}

  read(event: HistoryEvent): void {
    const at = isoOf(event.eventTime) ?? this.lastAt;
    this.lastAt = at;
    const reader = eventReaders.find(([attributes]) => event[attributes])?.[1];
    if (!reader) return; // workflow tasks, markers, signals...: not steps of the order
    try {
      reader.call(this, event, at);
    } catch {
      // One odd event must not cost support the whole timeline; ?format=raw still has it.
    }
  }

  /** An activity in flight: its attempts so far show nowhere in the history yet. */
  readPending(pending: PendingActivity): void {
    const activity = this.activitiesById.get(pending.activityId ?? '');
    if (activity?.closed) return; // it finished between describe() and fetchHistory()
    const type = activity?.type ?? pending.activityType?.name ?? 'activity';
    const describer = activity?.describer ?? activityDescribers[type] ?? unknownActivity(type);
    const attempt = pending.attempt ?? 1;
    const lastError = pending.lastFailure ? this.failure(pending.lastFailure).lastError : undefined;
    const retrying = attempt > 1 || lastError !== undefined;
    if (describer.quiet && !retrying) return;
    const label = describer.label(activity?.input ?? {}, this.order);
    const error = lastError ? `, last error: ${brief(lastError)}` : '';
    this.emit(
      isoOf(pending.lastAttemptCompleteTime) ??
        isoOf(pending.lastStartedTime) ??
        isoOf(pending.scheduledTime) ??
        this.lastAt,
      step(
        retrying ? 'activity_retrying' : 'activity_pending',
        retrying
          ? `${label} retrying (attempt ${attempt}${error})`
          : `${label} in progress (attempt ${attempt})`,
        {
          activityType: type,
          activityId: pending.activityId,
          attempt,
          lastError,
          nextAttemptAt: isoOf(pending.nextAttemptScheduleTime),
        },
      ),
    );
  }

  /**
   * In the order things happened. Events are recorded in the order the workflow saw them, which
   * can lag: a webhook delivered while the store's answer was being handled is recorded after
   * that answer, with its own earlier time.
   */
  finish(): TimelineEntry[] {
    return this.entries
      .filter((entry): entry is TimelineEntry => entry !== undefined)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  // ---- readers, one per kind of event (see `eventReaders`) ----

  started(event: HistoryEvent, at: string): void {
    const input = obj(this.first(event.workflowExecutionStartedEventAttributes?.input));
    const request = obj(input.request);
    this.order = this.context(request);
    let total: number | undefined;
    try {
      total = orderTotal(request as unknown as OrderRequest);
    } catch {
      total = undefined; // an order this code cannot price any more still gets its timeline
    }
    this.emit(at, {
      ...step(
        'order_placed',
        `order placed${total !== undefined ? `: ${this.order.money(total)}` : ''}`,
        {
          orderId: input.orderId,
          vertical: request.vertical,
          ...(total !== undefined ? this.order.amount(total) : {}),
          customerId: request.customerId,
          providerId: request.providerId,
          placedBy: input.placedBy,
          confirmationTimeoutSeconds: input.confirmationTimeoutSeconds,
        },
      ),
      actor: 'customer',
    });
  }

  activityScheduled(event: HistoryEvent, at: string): void {
    const attributes = event.activityTaskScheduledEventAttributes!;
    const type = attributes.activityType?.name ?? 'activity';
    const activity: ScheduledActivity = {
      type,
      activityId: attributes.activityId ?? '',
      input: obj(this.first(attributes.input)),
      describer: activityDescribers[type] ?? unknownActivity(type),
      attempt: 1,
      closed: false,
    };
    this.activities.set(idOf(event.eventId), activity);
    this.activitiesById.set(activity.activityId, activity);
    this.noteScheduled(activity);
    for (const draft of activity.describer.scheduled?.(activity.input, this.order, this.progress) ??
      [])
      this.emit(at, draft);
  }

  /** What a step's start tells of the order's progress (which timers mean what). */
  private noteScheduled(activity: ScheduledActivity): void {
    if (
      activity.type === 'notifyProvider' &&
      activity.input.event === 'order.created' &&
      !this.progress.captured
    )
      this.progress.awaitingProvider = true;
    if (activity.type === 'openVideoSession') this.progress.videoSession = true;
  }

  /** What a step's success tells of the order's progress. */
  private noteCompleted(activity: ScheduledActivity): void {
    if (activity.type === 'capturePayment') this.progress.captured = true;
  }

  /**
   * A local activity (the read model writes, checkout's recorded answer, and in newer runs the
   * payment and dispatch steps) leaves one marker with its type, attempt and result, and no
   * input: its describer reads what it needs from the result.
   */
  localActivity(event: HistoryEvent, at: string): void {
    const marker = event.markerRecordedEventAttributes!;
    if (marker.markerName !== 'core_local_activity') return;
    const data = obj(this.first(marker.details?.data));
    const type = str(data.activity_type) ?? 'activity';
    const result = marker.details?.result ? this.first(marker.details.result) : undefined;
    const describer = activityDescribers[type] ?? unknownActivity(type);
    const input = obj(describer.localInput?.(result) ?? {});
    const activity: ScheduledActivity = {
      type,
      activityId: str(data.activity_id) ?? '',
      input,
      describer,
      attempt: int(data.attempt) ?? 1,
      closed: true,
    };
    this.noteScheduled(activity);
    for (const draft of describer.scheduled?.(input, this.order, this.progress) ?? [])
      this.emit(at, draft);
    if (marker.failure) {
      this.emitFailure(at, activity, this.failure(marker.failure), false);
      return;
    }
    this.noteCompleted(activity);
    for (const draft of describer.completed?.(input, obj(result), this.order) ?? [])
      this.emit(at, this.withAttempts(draft, activity));
  }

  activityStarted(event: HistoryEvent): void {
    const attributes = event.activityTaskStartedEventAttributes!;
    const activity = this.activities.get(idOf(attributes.scheduledEventId));
    if (!activity) return;
    // Written when the activity closes: the final attempt, and the error of the one before.
    activity.attempt = attributes.attempt ?? 1;
    if (attributes.lastFailure) activity.lastError = this.failure(attributes.lastFailure).lastError;
  }

  activityCompleted(event: HistoryEvent, at: string): void {
    const attributes = event.activityTaskCompletedEventAttributes!;
    const activity = this.closeActivity(attributes.scheduledEventId);
    if (!activity) return;
    this.noteCompleted(activity);
    const result = obj(this.first(attributes.result));
    for (const draft of activity.describer.completed?.(activity.input, result, this.order) ?? [])
      this.emit(at, this.withAttempts(draft, activity));
  }

  activityFailed(event: HistoryEvent, at: string): void {
    const attributes =
      event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes!;
    const activity = this.closeActivity(attributes.scheduledEventId);
    if (!activity) return;
    const timedOut = Boolean(event.activityTaskTimedOutEventAttributes);
    this.emitFailure(at, activity, this.failure(attributes.failure), timedOut);
  }

  /** A step that failed for good: in its own words when it has them (a declined card). */
  private emitFailure(
    at: string,
    activity: ScheduledActivity,
    failure: FailureInfo,
    timedOut: boolean,
  ): void {
    const special = activity.describer.failed?.(activity.input, failure);
    if (special) {
      this.emit(at, this.withAttempts(special, activity));
      return;
    }
    const label = activity.describer.label(activity.input, this.order);
    this.emit(
      at,
      step(
        'activity_failed',
        `${label} ${timedOut ? 'gave up' : 'failed'} after ${attempts(activity.attempt)} (last error: ${brief(failure.lastError)})`,
        {
          activityType: activity.type,
          attempt: activity.attempt,
          error: failure.lastError,
          errorType: failure.type,
          timedOut,
        },
      ),
    );
  }

  activityCancelled(event: HistoryEvent, at: string): void {
    const activity = this.closeActivity(
      event.activityTaskCanceledEventAttributes?.scheduledEventId,
    );
    if (!activity || activity.describer.quiet) return;
    const label = activity.describer.label(activity.input, this.order);
    this.emit(
      at,
      step('activity_cancelled', `${label} stopped: no longer needed`, {
        activityType: activity.type,
      }),
    );
  }

  updateAccepted(event: HistoryEvent, at: string): void {
    const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    const update = this.update(request);
    this.updates.set(idOf(event.eventId), update);
    // The provider's answer (or a cancellation) ends the wait for it.
    if (update.name === 'confirmOrder' || update.name === 'cancelOrder')
      this.progress.awaitingProvider = false;
    for (const draft of update.describer.accepted?.(update.args, this.order, this.progress) ?? [])
      this.emit(at, this.fromUpdate(draft, update));
  }

  updateCompleted(event: HistoryEvent, at: string): void {
    const attributes = event.workflowExecutionUpdateCompletedEventAttributes!;
    const update = this.updates.get(idOf(attributes.acceptedEventId));
    if (!update) return;
    if (attributes.outcome?.failure) {
      this.emit(at, this.refusal('update_failed', update, attributes.outcome.failure));
      return;
    }
    const result = obj(this.first(attributes.outcome?.success));
    for (const draft of update.describer.completed?.(update.args, result, this.order) ?? [])
      this.emit(at, this.fromUpdate(draft, update));
  }

  /** A validator's refusal. Today's servers keep no event for it; older histories may. */
  updateRejected(event: HistoryEvent, at: string): void {
    const attributes = event.workflowExecutionUpdateRejectedEventAttributes!;
    this.emit(
      at,
      this.refusal('update_rejected', this.update(attributes.rejectedRequest), attributes.failure),
    );
  }

  timerStarted(event: HistoryEvent, at: string): void {
    const attributes = event.timerStartedEventAttributes!;
    const durationMs = msOf(attributes.startToFireTimeout);
    // A workflow may name its timers (`sleep(ms, {summary})`); when it does, that wins.
    const summary = event.userMetadata?.summary
      ? str(this.first({ payloads: [event.userMetadata.summary] }))
      : undefined;
    const purpose = timerPurpose(this.progress, this.order.vertical);
    const fireAt = new Date(Date.parse(at) + durationMs).toISOString();
    const waiting = summary ?? timerWords[purpose].waiting(this.order);
    const entry = this.emit(
      at,
      step('timer_pending', `${waiting} until ${fireAt}`, { purpose, fireAt, durationMs }),
    );
    this.timers.set(attributes.timerId ?? '', { purpose, summary, durationMs, entry });
  }

  timerFired(event: HistoryEvent, at: string): void {
    const timer = this.endTimer(event.timerFiredEventAttributes?.timerId);
    if (!timer) return;
    const title = timer.summary
      ? `timer fired: ${timer.summary}`
      : timerWords[timer.purpose].fired(this.order);
    this.emit(
      at,
      step('timer_fired', title, { purpose: timer.purpose, durationMs: timer.durationMs }),
    );
  }

  timerCancelled(event: HistoryEvent): void {
    this.endTimer(event.timerCanceledEventAttributes?.timerId);
  }

  /** Usually the order closed earlier (its final snapshot); this catches any that did not. */
  completed(event: HistoryEvent, at: string): void {
    if (this.progress.closed) return;
    this.progress.closed = true;
    const result = obj(this.first(event.workflowExecutionCompletedEventAttributes?.result));
    this.emit(at, closedOrder(result, this.order));
  }

  failed(event: HistoryEvent, at: string): void {
    const { message, type } = this.failure(event.workflowExecutionFailedEventAttributes?.failure);
    this.emit(
      at,
      step('workflow_failed', `order workflow failed: ${brief(message)}`, {
        error: message,
        errorType: type,
      }),
    );
  }

  terminated(event: HistoryEvent, at: string): void {
    const { reason, identity } = event.workflowExecutionTerminatedEventAttributes!;
    this.emit(at, {
      ...step(
        'workflow_terminated',
        `order workflow terminated${reason ? `: ${brief(reason)}` : ''}`,
        {
          reason,
          identity,
        },
      ),
      actorName: identity ?? undefined,
    });
  }

  timedOut(_event: HistoryEvent, at: string): void {
    this.emit(at, step('workflow_timed_out', 'order workflow timed out'));
  }

  cancelled(_event: HistoryEvent, at: string): void {
    this.emit(at, step('workflow_cancelled', 'order workflow cancelled'));
  }

  workflowTaskFailed(event: HistoryEvent, at: string): void {
    const { message } = this.failure(event.workflowTaskFailedEventAttributes?.failure);
    this.emit(
      at,
      step(
        'workflow_task_failed',
        `the order's workflow hit an error and is retrying: ${brief(message)}`,
        {
          error: message,
        },
      ),
    );
  }

  // ---- bookkeeping ----

  private emit(at: string, draft: Draft): number {
    const { kind, title, actor = 'system', actorName, details = {} } = draft;
    const defined = Object.entries(details).filter(([, value]) => value !== undefined);
    return (
      this.entries.push({
        at,
        kind,
        title,
        actor,
        ...(actorName ? { actorName } : {}),
        details: Object.fromEntries(defined),
      }) - 1
    );
  }

  private first(payloads: Payloads): unknown {
    return this.values(payloads)[0];
  }

  /** A payload this client cannot decode reads as nothing rather than failing the timeline. */
  private values(payloads: Payloads): unknown[] {
    try {
      return this.decode(payloads?.payloads);
    } catch {
      return [];
    }
  }

  private context(request: Json): OrderContext {
    const vertical = str(request.vertical);
    const currency = str(request.currency) ?? '';
    const items = obj(request.grocery).items;
    return {
      vertical,
      currency,
      provider: PROVIDER_WORDS[vertical ?? ''] ?? 'provider',
      items: (Array.isArray(items) ? items.map(obj) : []).map((item) => ({
        sku: str(item.sku) ?? '',
        quantity: int(item.quantity) ?? 0,
      })),
      money: (amount) =>
        int(amount) === undefined ? 'an unknown amount' : formatMoney(int(amount)!, currency),
      amount: (amount) => ({ amount: int(amount), currency }),
    };
  }

  private failure(failure: Failure): FailureInfo {
    const message = failure?.message || 'unknown error';
    // A timeout's cause is the last attempt's own error: what support needs to see.
    const cause = failure?.timeoutFailureInfo ? failure.cause?.message : undefined;
    return {
      message,
      type: failure?.applicationFailureInfo?.type ?? undefined,
      lastError: cause || message,
      details: this.values(failure?.applicationFailureInfo?.details),
    };
  }

  private update(request: temporal.api.update.v1.IRequest | null | undefined): AcceptedUpdate {
    const name = request?.input?.name ?? 'update';
    return {
      name,
      args: obj(this.first(request?.input?.args)),
      updateId: request?.meta?.updateId ?? undefined,
      describer: updateDescribers[name] ?? unknownUpdate(name),
    };
  }

  private closeActivity(scheduledEventId: unknown): ScheduledActivity | undefined {
    const activity = this.activities.get(idOf(scheduledEventId));
    if (activity) activity.closed = true;
    return activity;
  }

  private endTimer(timerId: string | null | undefined): StartedTimer | undefined {
    const timer = this.timers.get(timerId ?? '');
    if (!timer) return undefined;
    this.timers.delete(timerId ?? '');
    this.entries[timer.entry] = undefined; // no longer waiting
    return timer;
  }

  /** A step that took more than one attempt says so, with the error before the last one. */
  private withAttempts(draft: Draft, activity: ScheduledActivity): Draft {
    const details = { ...draft.details, attempt: activity.attempt, lastError: activity.lastError };
    if (activity.attempt <= 1) return { ...draft, details };
    const error = activity.lastError ? `, last error: ${brief(activity.lastError)}` : '';
    return { ...draft, title: `${draft.title} (attempt ${activity.attempt}${error})`, details };
  }

  private fromUpdate(draft: Draft, update: AcceptedUpdate): Draft {
    return {
      ...update.describer.from(update.args),
      ...draft,
      details: { ...draft.details, update: update.name, updateId: update.updateId },
    };
  }

  private refusal(
    kind: 'update_failed' | 'update_rejected',
    update: AcceptedUpdate,
    failure: Failure,
  ): Draft {
    const { message, type } = this.failure(failure);
    const verb = kind === 'update_rejected' ? 'refused' : 'failed';
    const subject = update.describer.subject(update.args, this.order);
    return this.fromUpdate(
      step(kind, `${subject} ${verb}: ${brief(message)}`, { error: message, errorType: type }),
      update,
    );
  }
}

/** Each event is read by the reader of the attributes it carries; any other is skipped. */
const eventReaders: [keyof HistoryEvent, EventReader][] = [
  ['workflowExecutionStartedEventAttributes', Translation.prototype.started],
  ['activityTaskScheduledEventAttributes', Translation.prototype.activityScheduled],
  ['markerRecordedEventAttributes', Translation.prototype.localActivity],
  ['activityTaskStartedEventAttributes', Translation.prototype.activityStarted],
  ['activityTaskCompletedEventAttributes', Translation.prototype.activityCompleted],
  ['activityTaskFailedEventAttributes', Translation.prototype.activityFailed],
  ['activityTaskTimedOutEventAttributes', Translation.prototype.activityFailed],
  ['activityTaskCanceledEventAttributes', Translation.prototype.activityCancelled],
  ['workflowExecutionUpdateAcceptedEventAttributes', Translation.prototype.updateAccepted],
  ['workflowExecutionUpdateCompletedEventAttributes', Translation.prototype.updateCompleted],
  ['workflowExecutionUpdateRejectedEventAttributes', Translation.prototype.updateRejected],
  ['timerStartedEventAttributes', Translation.prototype.timerStarted],
  ['timerFiredEventAttributes', Translation.prototype.timerFired],
  ['timerCanceledEventAttributes', Translation.prototype.timerCancelled],
  ['workflowExecutionCompletedEventAttributes', Translation.prototype.completed],
  ['workflowExecutionFailedEventAttributes', Translation.prototype.failed],
  ['workflowExecutionTerminatedEventAttributes', Translation.prototype.terminated],
  ['workflowExecutionTimedOutEventAttributes', Translation.prototype.timedOut],
  ['workflowExecutionCanceledEventAttributes', Translation.prototype.cancelled],
  ['workflowTaskFailedEventAttributes', Translation.prototype.workflowTaskFailed],
];
