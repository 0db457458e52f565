// The support timeline: one pure translation from an order workflow's Temporal history (plus
// the activities still in flight) to entries in the words support staff use — "payment
// authorised ¥41.48", "store confirmed 2 of 3 items", "confirmation deadline passed". It reads
// only recorded events and their payloads, never the workflow's code or live state, so any
// recorded order, old or running, reads the same way. This module reads the history; the words
// are in timeline-wording.ts (one describer per activity, per Update, per timer purpose).

import type { google, temporal } from '@temporalio/proto';
import type { OrderRequest } from '../../domain/order';
import { formatMoney } from '../../domain/money';
import { orderTotal } from '../../domain/pricing';
import { isTimerPurpose } from '../../workflows/timers';
import type { TimelineEntry } from './schemas';
import {
  activityName,
  closedOrder,
  describeActivity,
  describeUpdate,
  inferredTimerPurpose,
  int,
  obj,
  Progress,
  step,
  str,
  timerWords,
  type ActivityDescriber,
  type TimerPurpose,
  type Draft,
  type FailureInfo,
  type Json,
  type OrderContext,
  type TimerWording,
  unnamedTimer,
  type UpdateDescriber,
} from './timeline-wording';

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
  /** Named by the workflow (its summary), or inferred for histories from before it named them. */
  purpose?: TimerPurpose;
  /** The words for it: its purpose's, or a summary the workflow gave that names no purpose. */
  wording: TimerWording;
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
  /** The history is an after-sales run's (workflows/after-sales.ts), not the order's own. */
  private afterSales = false;
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
    const describer = activity?.describer ?? describeActivity(type);
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
    if (input.order !== undefined) return this.afterSalesStarted(obj(input.order), at);
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
      describer: describeActivity(type),
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
      activity.type === activityName('notifyProvider') &&
      activity.input.event === 'order.created' &&
      !this.progress.captured
    )
      this.progress.awaitingProvider = true;
    if (activity.type === activityName('openVideoSession')) this.progress.videoSession = true;
  }

  /** What a step's success tells of the order's progress. */
  private noteCompleted(activity: ScheduledActivity): void {
    if (activity.type === activityName('capturePayment')) this.progress.captured = true;
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
    const describer = describeActivity(type);
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
    // The workflow names each timer with its purpose (workflows/timers.ts); histories from
    // before it did are read from where the story is.
    const summary = event.userMetadata?.summary
      ? str(this.first({ payloads: [event.userMetadata.summary] }))
      : undefined;
    const purpose = isTimerPurpose(summary)
      ? summary
      : summary === undefined
        ? inferredTimerPurpose(this.progress, this.order.vertical)
        : undefined;
    const wording: TimerWording = purpose
      ? timerWords[purpose]
      : summary
        ? { waiting: () => summary, fired: () => `timer fired: ${summary}` }
        : unnamedTimer;
    const fireAt = new Date(Date.parse(at) + durationMs).toISOString();
    const entry = this.emit(
      at,
      step('timer_pending', `${wording.waiting(this.order)} until ${fireAt}`, {
        purpose: purpose ?? 'timer',
        fireAt,
        durationMs,
      }),
    );
    this.timers.set(attributes.timerId ?? '', { purpose, wording, durationMs, entry });
  }

  timerFired(event: HistoryEvent, at: string): void {
    const timer = this.endTimer(event.timerFiredEventAttributes?.timerId);
    if (!timer) return;
    this.emit(
      at,
      step('timer_fired', timer.wording.fired(this.order), {
        purpose: timer.purpose ?? 'timer',
        durationMs: timer.durationMs,
      }),
    );
  }

  timerCancelled(event: HistoryEvent): void {
    this.endTimer(event.timerCanceledEventAttributes?.timerId);
  }

  /** An after-sales run: the order closed in its own workflow; this run keeps its books. */
  private afterSalesStarted(order: Json, at: string): void {
    this.order = this.context(order);
    this.progress.closed = true;
    this.afterSales = true;
    this.emit(
      at,
      step(
        'after_sales_started',
        "after-sales run started: the order's workflow has ended, this run takes the request",
      ),
    );
  }

  /** Usually the order closed earlier (its final snapshot); this catches any that did not. */
  completed(event: HistoryEvent, at: string): void {
    if (this.afterSales) {
      this.emit(at, step('after_sales_ended', 'after-sales run ended: nothing more to do'));
      return;
    }
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
      describer: describeUpdate(name),
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
