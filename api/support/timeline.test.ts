// The support timeline read from real recorded order histories (test/histories), plus the
// cases no recording holds yet: retries in flight, give-ups, refusals, support's own steps.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { decodePayloadsWithin, payloadCodec } from '../../infra/codec';
import { TEST_PAYLOAD_KEY } from '../../test/support/harness';
import { HISTORIES_DIR, loadHistory } from '../../test/support/histories';
import { TimelineEntrySchema } from './schemas';
import { activityName } from './timeline-wording';
import {
  toTimeline,
  type DecodePayloads,
  type PendingActivity,
  type TimelineEntry,
} from './timeline';

type HistoryEvent = proto.api.history.v1.IHistoryEvent;

const decode: DecodePayloads = (payloads) =>
  (payloads ?? []).map((payload) => defaultPayloadConverter.fromPayload(payload));

/** Recorded histories with their payloads decrypted (the tests record with a known key). */
const recordings = new Map<string, string>();

/** A fresh copy of a recorded history: tests may change the events they are given. */
function recorded(name: string): proto.api.history.v1.History {
  const json = recordings.get(name);
  if (!json) throw new Error(`history ${name} was not loaded in beforeAll`);
  return loadHistory(JSON.parse(json));
}

/** Histories of runs that made payments and dispatch as (not local) activities. */
const BEFORE_LOCAL_STEPS = 'earlier/before-local-payments';
/** Histories recorded before the update-task change; some from before after-sales runs. */
const BEFORE_UPDATE_TASKS = 'earlier/before-update-tasks';

beforeAll(async () => {
  const codec = payloadCodec([TEST_PAYLOAD_KEY])!;
  const files = [
    ...readdirSync(HISTORIES_DIR),
    ...[BEFORE_LOCAL_STEPS, BEFORE_UPDATE_TASKS].flatMap((folder) =>
      readdirSync(path.join(HISTORIES_DIR, folder)).map((file) => `${folder}/${file}`),
    ),
  ].filter((f) => f.endsWith('.json'));
  for (const file of files) {
    const history = loadHistory(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    await decodePayloadsWithin(history, [codec]);
    const plain = proto.api.history.v1.History.toObject(history, {
      enums: String,
      longs: String,
      bytes: String,
    });
    recordings.set(file.replace(/\.json$/, ''), JSON.stringify(plain));
  }
});

/** `pending`: describe()'s pending activities, in their JSON form. */
function timeline(events: HistoryEvent[], pending: object[] = []): TimelineEntry[] {
  const pendingActivities: PendingActivity[] = pending.map((info) =>
    proto.api.workflow.v1.PendingActivityInfo.fromObject(info),
  );
  return toTimeline({ history: { events }, pendingActivities, decode }).entries;
}

const timelineOf = (name: string) => timeline(recorded(name).events);
const kinds = (entries: TimelineEntry[]) => entries.map((entry) => entry.kind);
const titles = (entries: TimelineEntry[]) => entries.map((entry) => entry.title);
const only = (entries: TimelineEntry[], kind: string) =>
  entries.filter((entry) => entry.kind === kind);

// ---- Building events the recordings do not hold ----

const payloads = (...values: unknown[]) => ({
  payloads: values.map((value) => defaultPayloadConverter.toPayload(value)),
});
const lastOf = (events: HistoryEvent[]) => events[events.length - 1]!;
let nextEventId = 10_000;

/** An event a second after `after`, with the next id (numbers and plain objects, as in JSON). */
function event(after: HistoryEvent, attributes: Record<string, unknown>): HistoryEvent {
  nextEventId += 1;
  const seconds = Number(String(after.eventTime?.seconds ?? 0)) + 1;
  return proto.api.history.v1.HistoryEvent.fromObject({
    eventId: nextEventId,
    eventTime: { seconds, nanos: 0 },
    ...attributes,
  });
}

function updateAccepted(after: HistoryEvent, name: string, arg: unknown): HistoryEvent {
  return event(after, {
    workflowExecutionUpdateAcceptedEventAttributes: {
      protocolInstanceId: `u-${nextEventId}`,
      acceptedRequest: {
        meta: { updateId: `u-${nextEventId}` },
        input: { name, args: payloads(arg) },
      },
    },
  });
}

/** The marker a local activity of `type` left, with its data (type, attempt…) decoded. */
function localActivityMarker(events: HistoryEvent[], type: string) {
  for (const event of events) {
    const payload = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
    if (!payload?.data) continue;
    const data = JSON.parse(Buffer.from(payload.data).toString('utf8'));
    if (data.activity_type === type) {
      const rewrite = (change: object) => {
        payload.data = Buffer.from(JSON.stringify({ ...data, ...change }));
      };
      return { event, data, rewrite };
    }
  }
  throw new Error(`no local ${type} in this history`);
}

function scheduledEvent(events: HistoryEvent[], type: string): HistoryEvent {
  const found = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type,
  );
  if (!found) throw new Error(`no ${type} in this history`);
  return found;
}

/**
 * A grocery order as it stood once the store's deadline timer started: checkout answered, the
 * webhook on its way, the store not yet answered. The workflow is still running.
 */
function awaitingStore(): HistoryEvent[] {
  const events = recorded('grocery-completed').events;
  const deadline = events.findIndex((e) => e.timerStartedEventAttributes);
  return events.slice(0, deadline + 1);
}

const timestamp = (iso: string) => ({ seconds: Date.parse(iso) / 1000, nanos: 0 });
const isoOf = (e: HistoryEvent, plusMs = 0) =>
  new Date(
    Number(String(e.eventTime!.seconds)) * 1000 +
      Math.floor((e.eventTime!.nanos ?? 0) / 1e6) +
      plusMs,
  ).toISOString();

/** Kinds whose place among their neighbours depends on timing (the webhook's answer racing the
 * store's callback in the recording), left out when comparing a whole story. */
const RACY = new Set(['provider_notified', 'provider_notification_skipped', 'activity_cancelled']);
const story = (entries: TimelineEntry[]) => kinds(entries).filter((kind) => !RACY.has(kind));

// ---- Recorded histories ----

describe('recorded histories', () => {
  test('a completed grocery order reads placed → authorised → notified → confirmed → captured → courier → picked up → delivered → completed', () => {
    const history = recorded('grocery-completed');
    const entries = timeline(history.events);
    expect(story(entries)).toEqual([
      'order_placed',
      'payment_authorised',
      'payment_decision_recorded',
      'checkout_answered',
      'provider_confirmed',
      'captured',
      'courier_assigned',
      'event_reported',
      'event_reported',
      'order_completed',
    ]);
    const told = entries.filter((entry) => !RACY.has(entry.kind));
    expect(told.map(({ title, actor }) => [actor, title])).toEqual([
      ['customer', 'order placed: ¥41.48'],
      ['system', 'payment authorised ¥41.48'],
      ['system', 'payment decision recorded for checkout'],
      ['system', 'checkout answered the app: payment authorised, order placed'],
      ['provider', 'store confirmed all 3 items'],
      ['system', '¥41.48 captured'],
      ['system', expect.stringMatching(/^courier \S+ \S+ assigned$/)],
      ['provider', 'courier picked up the order'],
      ['provider', 'order delivered'],
      ['system', 'order completed: ¥41.48 captured'],
    ]);
    expect(only(entries, 'provider_notified').map((entry) => entry.title)).toEqual([
      'store notified of the new order (HTTP 204)',
    ]);
    expect(entries[1]!.details).toMatchObject({ amount: 4148, currency: 'CNY', attempt: 1 });
    expect(entries[0]).toMatchObject({
      at: isoOf(history.events[0]!),
      details: { amount: 4148, currency: 'CNY', vertical: 'grocery', customerId: 'cust_1' },
    });
  });

  test('a partial confirmation captures the confirmed items and releases the rest', () => {
    const entries = timelineOf('grocery-partial');
    const confirmed = only(entries, 'provider_confirmed')[0]!;
    expect(confirmed.title).toBe('store confirmed 2 of 3 items');
    expect(confirmed.details.items).toEqual([
      { sku: 'apple', ordered: 2, confirmed: 1 },
      { sku: 'milk', ordered: 1, confirmed: 1 },
    ]);
    expect(only(entries, 'captured')[0]).toMatchObject({
      title: '¥28.49 captured',
      details: { amount: 2849, currency: 'CNY' },
    });
    expect(only(entries, 'released')[0]).toMatchObject({
      title: '¥12.99 released',
      details: { amount: 1299, currency: 'CNY' },
    });
    expect(entries.at(-1)!.title).toBe('order completed: ¥28.49 captured, ¥12.99 released');
  });

  test('an expired order shows the deadline passing and the hold released', () => {
    const entries = timelineOf('grocery-expired');
    expect(kinds(entries)).toEqual([
      'order_placed',
      'payment_authorised',
      'payment_decision_recorded',
      'checkout_answered',
      'provider_notification_skipped',
      'timer_fired',
      'released',
      'order_expired',
      'provider_notification_skipped',
    ]);
    expect(only(entries, 'timer_fired')[0]).toMatchObject({
      title: 'confirmation deadline passed: the store did not answer in time',
      details: { purpose: 'confirmation_deadline', durationMs: 2000 },
    });
    expect(only(entries, 'released')[0]!.title).toBe('¥41.48 released');
    expect(only(entries, 'order_expired')[0]!.title).toBe(
      'order expired (the provider did not answer in time): ¥41.48 released',
    );
  });

  test('a declined card reads as declined, with nothing charged', () => {
    const entries = timelineOf('grocery-declined');
    expect(kinds(entries)).toEqual([
      'order_placed',
      'payment_declined',
      'order_payment_declined',
      'checkout_answered',
    ]);
    expect(entries[1]).toMatchObject({
      title: 'payment declined (card_declined)',
      details: { reason: 'card_declined' },
    });
    expect(entries[2]!.title).toBe('order not placed (the payment was declined): nothing charged');
  });

  test('a cancellation after capture shows who asked, the refund and the fee', () => {
    const entries = timelineOf('grocery-cancelled-after-capture');
    expect(only(entries, 'cancellation_requested')[0]).toMatchObject({
      title: 'customer asked to cancel: changed my mind',
      actor: 'customer',
    });
    expect(only(entries, 'refunded')[0]).toMatchObject({
      title: '¥28.49 refunded (changed my mind)',
      details: { amount: 2849, currency: 'CNY', refundId: 'cancellation' },
    });
    expect(only(entries, 'cancellation_settled')[0]).toMatchObject({
      title: 'customer cancelled: fee ¥0.00, ¥28.49 refunded, ¥12.99 released',
      details: { fee: 0, refunded: 2849, released: 1299 },
    });
    expect(kinds(entries).slice(-4)).toEqual([
      'refunded',
      'order_cancelled',
      'cancellation_settled',
      'provider_notified',
    ]);
    expect(entries.at(-1)!.title).toBe('store told the order is cancelled (HTTP 204)');
  });

  test('a hotel stay: booking code, voucher, check-in and check-out', () => {
    const entries = timelineOf('hotel-completed');
    const told = entries.filter((entry) => !RACY.has(entry.kind));
    expect(titles(told).slice(4)).toEqual([
      'hotel accepted the booking (confirmation code HTL-778812)',
      '¥1,350.00 captured',
      expect.stringMatching(/^voucher VCH-\w+ issued to the guest$/),
      'guest checked in',
      'guest checked out',
      'order completed: ¥1,350.00 captured',
    ]);
    expect(titles(only(entries, 'provider_notified'))).toEqual([
      'hotel notified of the new order (HTTP 204)',
    ]);
    // The check-out timer was cancelled by the reported check-out: no waiting left over.
    expect(only(entries, 'timer_pending')).toEqual([]);
  });

  test("a doctor's no-show: the session timer, the grace passing, everything refunded", () => {
    const entries = timelineOf('teleconsultation-no-show');
    expect(
      only(entries, 'timer_fired').map((entry) => [entry.details.purpose, entry.title]),
    ).toEqual([
      ['video_session_time', 'time to open the video session'],
      ['no_show_grace', "the doctor's grace period passed without the consultation starting"],
    ]);
    expect(kinds(entries).slice(-5)).toEqual([
      'video_session_opened',
      'timer_fired',
      'refunded',
      'order_cancelled',
      'provider_notified',
    ]);
    expect(only(entries, 'refunded')[0]!.title).toBe(
      '¥99.01 refunded (the doctor did not show up)',
    );
    expect(only(entries, 'order_cancelled')[0]!.title).toBe(
      'order cancelled (the doctor did not show up): ¥99.01 captured, ¥99.01 refunded',
    );
  });

  test('an overdue delivery alerts support; a refund after completion; the refund window closing', () => {
    const overdue = timelineOf('grocery-delivery-overdue');
    expect(
      only(overdue, 'timer_fired').map((entry) => [entry.details.purpose, entry.title]),
    ).toEqual([['delivery_overdue', 'delivery overdue: support asked to look']]);
    expect(story(overdue).slice(-4)).toEqual([
      'courier_assigned',
      'timer_fired',
      'event_reported',
      'order_completed',
    ]);

    // Recorded while a refund after completion still ran in the order's own workflow (runs
    // of that generation do); newer orders refund in their after-sales run, below.
    const refunded = timelineOf(`${BEFORE_UPDATE_TASKS}/grocery-refunded-after-completion`);
    expect(story(refunded).slice(-4)).toEqual([
      'order_completed',
      'refund_requested',
      'refunded',
      'timer_fired',
    ]);
    expect(only(refunded, 'refund_requested')[0]).toMatchObject({
      actor: 'support',
      details: { amount: 100, currency: 'CNY', needsApproval: false },
    });
    expect(only(refunded, 'refunded')[0]!.title).toBe('¥1.00 refunded (late)');
    expect(refunded.at(-1)).toMatchObject({
      title: "refund window closed: the order's books are closed",
      details: { purpose: 'refund_window' },
    });

    const afterSales = timelineOf('after-sales-refund');
    expect(story(afterSales)).toEqual(expect.arrayContaining(['refund_requested', 'refunded']));
  });

  test('checkout that gave up first: the late authorisation is released', () => {
    const entries = timelineOf('grocery-checkout-gave-up');
    expect(kinds(entries)).toEqual([
      'order_placed',
      'payment_authorised',
      'checkout_gave_up',
      'released',
      'order_payment_declined',
      'checkout_answered',
    ]);
    expect(entries[2]!.title).toBe(
      'checkout had already given up (the app was told: the payment was not decided while checkout waited; nothing was charged); the authorisation is released',
    );
  });

  // Orders' stories: an app endpoint's relay is no order's, and support's timeline never reads it.
  const allRecorded = readdirSync(HISTORIES_DIR)
    .filter((file) => file.endsWith('.json') && !file.startsWith('app-event-relay-'))
    .map((file) => file.replace(/\.json$/, ''));

  test('every recorded story is read', () => {
    expect(allRecorded.length).toBeGreaterThanOrEqual(14);
  });

  test.each(allRecorded)('%s: every entry fits the response schema, in time order', (name) => {
    const entries = timelineOf(name);
    expect(entries.length).toBeGreaterThan(3);
    // An after-sales run's history begins where the order's own workflow ended.
    const begins = name.startsWith('after-sales') ? 'after_sales_started' : 'order_placed';
    expect(entries[0]!.kind).toBe(begins);
    for (const entry of entries) expect(TimelineEntrySchema.parse(entry)).toEqual(entry);
    const times = entries.map((entry) => entry.at);
    expect([...times].sort()).toEqual(times);
    // Read-model writes are noise; none leaks into the timeline.
    expect(JSON.stringify(entries)).not.toContain('read model');
  });
});

// ---- Running orders: what is still in flight ----

describe('a running order', () => {
  const running = awaitingStore;
  const notifyId = () =>
    scheduledEvent(running(), 'notifyProvider').activityTaskScheduledEventAttributes!.activityId!;

  test('a webhook retry in flight shows its attempt and last error', () => {
    const entries = timeline(running(), [
      {
        activityId: notifyId(),
        activityType: { name: 'notifyProvider' },
        attempt: 3,
        lastFailure: { message: '503' },
        lastAttemptCompleteTime: timestamp('2030-01-01T00:00:10Z'),
        nextAttemptScheduleTime: timestamp('2030-01-01T00:00:14Z'),
      },
    ]);
    expect(entries.at(-1)).toEqual({
      at: '2030-01-01T00:00:10.000Z',
      kind: 'activity_retrying',
      title: 'store notification retrying (attempt 3, last error: 503)',
      actor: 'system',
      details: {
        activityType: 'notifyProvider',
        activityId: notifyId(),
        attempt: 3,
        lastError: '503',
        nextAttemptAt: '2030-01-01T00:00:14.000Z',
      },
    });
    expect(kinds(entries)).not.toContain('order_completed');
  });

  test('the confirmation deadline still ahead shows as a wait', () => {
    const events = running();
    const deadline = events.at(-1)!;
    const seconds = Number(
      String(deadline.timerStartedEventAttributes!.startToFireTimeout!.seconds),
    );
    const pending = only(timeline(events), 'timer_pending');
    expect(pending).toHaveLength(1);
    expect(pending[0]!.title).toBe(
      `waiting for the store's answer until ${isoOf(deadline, seconds * 1000)}`,
    );
    expect(pending[0]!.details).toMatchObject({ purpose: 'confirmation_deadline' });
  });

  test('a first attempt in flight is "in progress"; a read-model write only when stuck', () => {
    const saveId = 'save-1';
    const entries = timeline(running(), [
      { activityId: notifyId(), activityType: { name: 'notifyProvider' }, attempt: 1 },
      { activityId: saveId, activityType: { name: 'saveOrderSnapshot' }, attempt: 1 },
    ]);
    expect(titles(entries).at(-1)).toBe('store notification in progress (attempt 1)');
    expect(JSON.stringify(entries)).not.toContain('read model');

    const stuck = timeline(running(), [
      {
        activityId: saveId,
        activityType: { name: 'saveOrderSnapshot' },
        attempt: 4,
        lastFailure: { message: 'connection refused' },
      },
    ]);
    expect(titles(stuck).at(-1)).toBe(
      'read model write retrying (attempt 4, last error: connection refused)',
    );
  });

  test('a webhook called off because the store answered first reads as stopped', () => {
    const events = running();
    const scheduled = scheduledEvent(events, 'notifyProvider');
    const requested = event(events.at(-1)!, {
      activityTaskCancelRequestedEventAttributes: { scheduledEventId: scheduled.eventId },
    });
    const cancelled = event(requested, {
      activityTaskCanceledEventAttributes: { scheduledEventId: scheduled.eventId },
    });
    expect(timeline([...events, requested, cancelled]).at(-1)).toMatchObject({
      kind: 'activity_cancelled',
      title: 'store notification stopped: no longer needed',
    });
  });

  test('an activity that finished after describe() is not shown as pending', () => {
    const events = recorded('grocery-completed').events;
    const activityId = scheduledEvent(events, 'notifyProvider')
      .activityTaskScheduledEventAttributes!.activityId!;
    const entries = timeline(events, [
      {
        activityId,
        activityType: { name: 'notifyProvider' },
        attempt: 2,
        lastFailure: { message: '503' },
      },
    ]);
    expect(kinds(entries)).not.toContain('activity_retrying');
  });
});

// ---- Retries, give-ups, refusals ----

describe('retries and failures', () => {
  test('a local step that succeeded after retries says which attempt', () => {
    const events = recorded('grocery-completed').events;
    localActivityMarker(events, 'authorisePayment').rewrite({ attempt: 3 });
    const authorised = only(timeline(events), 'payment_authorised')[0]!;
    // A local activity's marker keeps its attempt, not the error of the one before.
    expect(authorised.title).toBe('payment authorised ¥41.48 (attempt 3)');
    expect(authorised.details).toMatchObject({ attempt: 3, amount: 4148 });
  });

  test('a step that succeeded after retries says which attempt and the error before it', () => {
    const events = recorded(`${BEFORE_LOCAL_STEPS}/grocery-completed`).events;
    const authorise = scheduledEvent(events, 'authorisePayment');
    const started = events.find(
      (e) =>
        String(e.activityTaskStartedEventAttributes?.scheduledEventId) ===
        String(authorise.eventId),
    )!;
    started.activityTaskStartedEventAttributes!.attempt = 3;
    started.activityTaskStartedEventAttributes!.lastFailure = {
      message: 'sandbox: simulated network failure 2 (tok_flaky)',
    };
    const authorised = only(timeline(events), 'payment_authorised')[0]!;
    expect(authorised.title).toBe(
      'payment authorised ¥41.48 (attempt 3, last error: sandbox: simulated network failure 2 (tok_flaky))',
    );
    expect(authorised.details).toMatchObject({ attempt: 3, amount: 4148 });
  });

  test('a webhook that gave up at the deadline shows the attempts and the last error', () => {
    const events = awaitingStore();
    const scheduled = scheduledEvent(events, 'notifyProvider');
    const started = event(lastOf(events), {
      activityTaskStartedEventAttributes: { scheduledEventId: scheduled.eventId, attempt: 5 },
    });
    const timedOut = event(started, {
      activityTaskTimedOutEventAttributes: {
        scheduledEventId: scheduled.eventId,
        startedEventId: started.eventId,
        failure: {
          message: 'activity ScheduleToClose timeout',
          timeoutFailureInfo: {},
          cause: { message: 'provider webhook answered 503' },
        },
      },
    });
    const failed = only(timeline([...events, started, timedOut]), 'activity_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      title:
        'store notification gave up after 5 attempts (last error: provider webhook answered 503)',
      details: { activityType: 'notifyProvider', attempt: 5, timedOut: true },
    });
  });

  test("a validator's refusal reads as the sender's request refused", () => {
    const events = recorded('grocery-expired').events;
    const rejected = event(lastOf(events), {
      workflowExecutionUpdateRejectedEventAttributes: {
        rejectedRequest: {
          meta: { updateId: 'late-accept' },
          input: { name: 'confirmOrder', args: payloads({ decision: 'accept' }) },
        },
        failure: {
          message: 'the order is expired, not awaiting confirmation',
          applicationFailureInfo: { type: 'InvalidOrderState' },
        },
      },
    });
    expect(timeline([...events, rejected]).at(-1)).toMatchObject({
      kind: 'update_rejected',
      title: "store's accept refused: the order is expired, not awaiting confirmation",
      actor: 'provider',
      details: { update: 'confirmOrder', updateId: 'late-accept', errorType: 'InvalidOrderState' },
    });
  });

  test('an update whose handler failed after acceptance reads as failed', () => {
    const events = awaitingStore();
    const accepted = updateAccepted(lastOf(events), 'reportProviderEvent', {
      type: 'picked_up',
      at: '2026-11-25T14:40:00Z',
    });
    const completed = event(accepted, {
      workflowExecutionUpdateCompletedEventAttributes: {
        acceptedEventId: accepted.eventId,
        outcome: { failure: { message: 'boom' } },
      },
    });
    expect(timeline([...events, accepted, completed]).at(-1)).toMatchObject({
      kind: 'update_failed',
      title: 'picked up report failed: boom',
      actor: 'provider',
    });
  });

  test('unknown events are skipped and undecodable payloads never crash the timeline', () => {
    const events = recorded('grocery-completed').events;
    const odd = [
      event(lastOf(events), { eventType: 999 }),
      event(lastOf(events), { workflowExecutionSignaledEventAttributes: { signalName: 'poke' } }),
    ];
    expect(kinds(timeline([...events, ...odd]))).toEqual(kinds(timeline(events)));

    const undecodable = (name: string) =>
      toTimeline({
        history: { events: recorded(name).events },
        decode: () => {
          throw new Error('no codec for binary/encrypted');
        },
      }).entries;
    // An activity's type is outside its payloads: its step still shows, without the amount.
    const remote = undecodable(`${BEFORE_LOCAL_STEPS}/grocery-completed`);
    expect(remote[0]!.title).toBe('order placed');
    expect(titles(remote)).toContain('payment authorised an unknown amount');
    // A local activity's type is inside its marker's payload: its step cannot be named.
    const local = undecodable('grocery-completed');
    expect(local[0]!.title).toBe('order placed');
    expect(titles(local)).toContain('order closed: amounts unknown');
    expect(titles(local).join('\n')).not.toContain('nothing charged');
  });
});

// ---- Support's own steps (refunds, redelivery, staff cancellations) ----

describe("support's steps", () => {
  test('refund requests, approvals and redeliveries name the member of staff', () => {
    const events = recorded('grocery-completed').events;
    const alice = { name: 'alice', role: 'support' };
    const bob = { name: 'bob', role: 'admin' };
    const requested = updateAccepted(lastOf(events), 'requestRefund', {
      refundId: 'r1',
      amount: 1299,
      reason: 'item_missing',
      requestedBy: alice,
      needsApproval: true,
      requestHash: 'h',
    });
    const decided = updateAccepted(requested, 'decideRefund', {
      refundId: 'r1',
      approve: true,
      decidedBy: bob,
      note: 'photo checks out',
    });
    const redelivery = updateAccepted(decided, 'redeliverNotification', { requestedBy: alice });
    const redelivered = event(redelivery, {
      workflowExecutionUpdateCompletedEventAttributes: {
        acceptedEventId: redelivery.eventId,
        outcome: { success: payloads({ event: 'order.cancelled', delivered: true, status: 204 }) },
      },
    });
    const entries = timeline([...events, requested, decided, redelivery, redelivered]).slice(-4);
    expect(
      entries.map(({ kind, title, actor, actorName }) => ({ kind, title, actor, actorName })),
    ).toEqual([
      {
        kind: 'refund_requested',
        title: 'refund of ¥12.99 requested by alice (support): item missing (awaiting approval)',
        actor: 'support',
        actorName: 'alice',
      },
      {
        kind: 'refund_approved',
        title: 'refund r1 of ¥12.99 approved by bob (admin): photo checks out',
        actor: 'support',
        actorName: 'bob',
      },
      {
        kind: 'notification_redelivery_requested',
        title: 'alice (support) asked to resend the store notification',
        actor: 'support',
        actorName: 'alice',
      },
      {
        kind: 'provider_notified',
        title: 'store notification resent (HTTP 204)',
        actor: 'system',
        actorName: undefined,
      },
    ]);
    expect(entries[0]!.details).toMatchObject({ refundId: 'r1', amount: 1299, currency: 'CNY' });
  });

  test('a cancellation by a member of staff names them', () => {
    const events = awaitingStore();
    const cancel = updateAccepted(lastOf(events), 'cancelOrder', {
      reason: 'store closed',
      requestedBy: 'support',
      staff: { name: 'carol', role: 'support' },
      waiveFee: true,
    });
    expect(timeline([...events, cancel]).at(-1)).toMatchObject({
      kind: 'cancellation_requested',
      title: 'carol (support) asked to cancel: store closed (fee waived)',
      actor: 'support',
      actorName: 'carol',
    });
  });
});

describe('timers are read by the purpose the workflow names them with', () => {
  /** The deadline timer of a store still deciding, its summary set to `summary`. */
  function deadlineNamed(summary: string | undefined): HistoryEvent[] {
    const events = awaitingStore();
    const timer = events.at(-1)!;
    timer.userMetadata =
      summary === undefined ? null : { summary: defaultPayloadConverter.toPayload(summary) };
    return events;
  }

  test('a recorded timer carries its purpose as its summary', () => {
    const timer = awaitingStore().at(-1)!;
    expect(decode([timer.userMetadata!.summary!])).toEqual(['confirmation_deadline']);
  });

  test('the named purpose wins over where the story is', () => {
    const [pending] = only(timeline(deadlineNamed('settlement_attention')), 'timer_pending');
    expect(pending!.details).toMatchObject({ purpose: 'settlement_attention' });
    expect(pending!.title).toMatch(/^watching the settlement/);
  });

  test('a history from before timers were named is read from where the story is', () => {
    const [pending] = only(timeline(deadlineNamed(undefined)), 'timer_pending');
    expect(pending!.details).toMatchObject({ purpose: 'confirmation_deadline' });
  });

  test('a summary that names no purpose is shown as it is', () => {
    const [pending] = only(timeline(deadlineNamed('waiting for the moon')), 'timer_pending');
    expect(pending!.details).toMatchObject({ purpose: 'timer' });
    expect(pending!.title).toMatch(/^waiting for the moon until /);
  });

  test("the tables know only the workflow's names: another fails to compile", () => {
    // @ts-expect-error 'chargeCard' is no activity of the order workflow
    expect(activityName('chargeCard')).toBe('chargeCard');
    expect(activityName('capturePayment')).toBe('capturePayment');
  });
});
