// Where one checkout's time went, read off its workflow's history: the API's work before the
// workflow started, the handoff to a worker, the task's way to its first local activity, each
// local activity of the first workflow task with the activation on its result, and the way back
// to the client. Each phase runs from the end of the one before; the clock is one machine's, so
// the client's and the server's times compare.
//
// Only wall-clock dates mark a phase: the events' times and each local activity's
// `original_schedule_time` (when the workflow asked for it). A marker's `complete_time` is not
// one: the SDK's core dates it on the workflow's own clock (the task's start, advanced by the
// local activities' run times), which put the activations' time and the task's delivery to
// the worker into "the rest of the workflow task" until 2026-12-04 (docs/BENCHMARKS.md, ninth
// round).

import type { temporal } from '@temporalio/proto';
import { percentile } from './stats';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

export interface CheckoutPhase {
  name: string;
  ms: number;
}

const msOf = (time: Timestamp | string): number | undefined =>
  typeof time === 'string'
    ? Date.parse(time)
    : time
      ? Number(String(time.seconds ?? 0)) * 1000 + Math.floor((time.nanos ?? 0) / 1e6)
      : undefined;

/** A local activity's marker data (written by the SDK's core as plain JSON), if readable. */
function markerData(event: HistoryEvent): { type: string; scheduledMs?: number } | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const payload = marker.details?.data?.payloads?.[0];
  const encoding = payload?.metadata?.encoding && Buffer.from(payload.metadata.encoding).toString();
  if (!payload?.data || encoding !== 'json/plain') return undefined;
  const data = JSON.parse(Buffer.from(payload.data).toString()) as {
    activity_type?: string;
    original_schedule_time?: Timestamp | string;
  };
  return {
    type: data.activity_type ?? 'local activity',
    scheduledMs: msOf(data.original_schedule_time),
  };
}

/** The first phase after the worker has the task: its delivery and the first activation. */
const FIRST_ACTIVATION_PHASE = 'to the first local activity';

/**
 * The phases of a checkout sent at `sentMs` and answered at `answeredMs` (epoch ms), from its
 * workflow's history; undefined when the history lacks a step (a retried task, a decline).
 * A local activity's phase runs from its scheduling to the next one's, or for the last to the
 * task's completion: its run, and the activation on its result (for the last, the completion's
 * way to the server as well).
 */
export function checkoutPhases(
  events: readonly HistoryEvent[],
  sentMs: number,
  answeredMs: number,
): CheckoutPhase[] | undefined {
  const started = events.find((e) => e.workflowExecutionStartedEventAttributes);
  const taskStarted = events.find((e) => e.workflowTaskStartedEventAttributes);
  const taskCompleted = events.find((e) => e.workflowTaskCompletedEventAttributes);
  if (!started || !taskStarted || !taskCompleted) return undefined;
  // The first task's local activities: its markers, among its other commands' events.
  const markers: { type: string; scheduledMs?: number }[] = [];
  for (const event of events.slice(events.indexOf(taskCompleted) + 1)) {
    if (event.workflowTaskScheduledEventAttributes) break;
    const data = markerData(event);
    if (data) markers.push(data);
  }
  const activityPhases = markers.map(({ type }, index): string =>
    index < markers.length - 1
      ? `${type}, next activation`
      : `${type}, last activation, completion`,
  );
  const points: [string, number | undefined][] = [
    ['API before the workflow', msOf(started.eventTime)],
    ['handoff to a worker', msOf(taskStarted.eventTime)],
    ...markers.map((m, index): [string, number | undefined] => [
      index === 0 ? FIRST_ACTIVATION_PHASE : activityPhases[index - 1]!,
      m.scheduledMs,
    ]),
    [activityPhases.at(-1) ?? 'the workflow task', msOf(taskCompleted.eventTime)],
    ['back to the client', answeredMs],
  ];
  const phases: CheckoutPhase[] = [];
  let from = sentMs;
  for (const [name, at] of points) {
    if (at === undefined) return undefined;
    phases.push({ name, ms: at - from });
    from = at;
  }
  return phases;
}

/** p50 / p95 ms of each phase over several checkouts, in the order the phases come. */
export function summarisePhases(
  phasesOfCheckouts: readonly CheckoutPhase[][],
): { name: string; p50: number; p95: number }[] {
  const byName = new Map<string, number[]>();
  for (const phases of phasesOfCheckouts)
    for (const { name, ms } of phases) byName.set(name, [...(byName.get(name) ?? []), ms]);
  return [...byName].map(([name, values]) => {
    const sorted = values.sort((a, b) => a - b);
    return { name, p50: percentile(sorted, 50)!, p95: percentile(sorted, 95)! };
  });
}
