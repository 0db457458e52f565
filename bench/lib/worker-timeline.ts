// One checkout as the worker lived it, millisecond by millisecond, from the Temporal SDK's own
// logs: when its workflow task arrived, each activation went to the workflow thread and came
// back, each local activity ran, the completion went to the server and the server answered.
// The history (checkout-phases.ts) dates what the server saw; this splits the time between
// those dates, e.g. "to the first local activity" into the task's way to the worker and the
// first activation. Turning the SDK's core logs up to DEBUG costs CPU: read a
// timeline for where the time goes, not for how much there is of it.

import {
  DefaultLogger,
  makeTelemetryFilterString,
  Runtime,
  type LogEntry,
} from '@temporalio/worker';

/** The SDK log lines that mark a step, and what the timeline calls each. */
const STEPS: readonly [message: string, step: (meta: Record<string, unknown>) => string][] = [
  ['New WFT', () => 'workflow task received'],
  ['Sending activation to lang', (meta) => `activation sent (${activationJobs(meta)})`],
  ['Completed activation', () => 'activation completed'],
  ['Queuing local activity', () => 'local activity queued'],
  ['Activity started', (meta) => `${activityName(meta)} started`],
  ['Activity completed', (meta) => `${activityName(meta)} completed`],
  ['Sending responses to server', () => 'completion sent to the server'],
  ['Marking WFT completed', () => 'server answered the completion'],
];

export interface TimelineStep {
  /** Ms after the checkout's request was sent. */
  atMs: number;
  step: string;
}

function activationJobs(meta: Record<string, unknown>): string {
  const activation = String(meta.activation ?? '');
  return /jobs: (.*)\)$/.exec(activation)?.[1] ?? 'jobs';
}

function activityName(meta: Record<string, unknown>): string {
  const name = String(meta.activityType ?? 'activity');
  return meta.isLocal === true ? `local activity ${name}` : `activity ${name}`;
}

/**
 * The steps of `workflowId`'s run in the SDK log `entries`, from `sentMs` (epoch ms, when the
 * checkout was sent) until `untilMs`, in order. A line belongs to the run when it names the
 * workflow or the run anywhere in its message or metadata.
 */
export function workerTimeline(
  entries: readonly LogEntry[],
  {
    workflowId,
    runId,
    sentMs,
    untilMs,
  }: { workflowId: string; runId?: string; sentMs: number; untilMs: number },
): TimelineStep[] {
  const steps: TimelineStep[] = [];
  for (const entry of entries) {
    const atMs = Number(entry.timestampNanos / 1_000_000n);
    if (atMs < sentMs || atMs > untilMs) continue;
    const known = STEPS.find(([message]) => entry.message === message);
    if (!known) continue;
    const meta = (entry.meta ?? {}) as Record<string, unknown>;
    const text = JSON.stringify(meta);
    if (!text.includes(workflowId) && !(runId && text.includes(runId))) continue;
    steps.push({ atMs: atMs - sentMs, step: known[1](meta) });
  }
  return steps.sort((a, b) => a.atMs - b.atMs);
}

/**
 * Installs the process's Temporal runtime with the SDK's step logs kept in memory (and
 * warnings and errors printed): call before any connection, instead of the usual runtime.
 */
export function installTimelineRuntime(): { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('TRACE', (entry) => {
      if (entry.level === 'WARN' || entry.level === 'ERROR')
        process.stderr.write(`${entry.level} ${entry.message}\n`);
      else if (STEPS.some(([message]) => entry.message === message)) entries.push(entry);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'DEBUG', other: 'WARN' }), forward: {} },
    },
  });
  return { entries };
}
