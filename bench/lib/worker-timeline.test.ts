import type { LogEntry } from '@temporalio/worker';
import { workerTimeline } from './worker-timeline';

const SENT_MS = 1_800_000_000_000;
const line = (afterMs: number, message: string, meta: Record<string, unknown>): LogEntry => ({
  level: 'DEBUG',
  message,
  meta,
  timestampNanos: BigInt(SENT_MS + afterMs) * 1_000_000n,
});

const ours = { workflowId: 'order-ord_1' };
const entries: LogEntry[] = [
  line(-5, 'New WFT', { action: 'NewWft(order-ord_1)' }), // before the checkout was sent
  line(40, 'New WFT', { action: 'NewWft(PreparedWFT { workflow_id: "order-ord_1" })' }),
  line(41, 'Sending activation to lang', {
    activation: 'WorkflowActivation(run_id: run-1, jobs: InitializeWorkflow, DoUpdate(pay))',
  }),
  line(42, 'Got workflow activation', ours), // not a step
  line(50, 'Completed activation', ours),
  line(51, 'Activity started', { ...ours, activityType: 'authorisePayment', isLocal: true }),
  line(52, 'Activity started', { workflowId: 'order-ord_2', activityType: 'authorisePayment' }),
  line(56, 'Activity completed', { ...ours, activityType: 'authorisePayment', isLocal: true }),
  line(70, 'Sending responses to server', { completion: 'Completion(run_id: run-1)' }),
  line(60, 'Activity started', { ...ours, activityType: 'notifyProvider', isLocal: false }),
  line(85, 'Marking WFT completed', ours),
  line(95, 'Completed activation', ours), // after the answer
];

describe("a checkout's steps read off the SDK's logs", () => {
  it("keeps the run's steps between the request and the answer, in order, named", () => {
    expect(
      workerTimeline(entries, { ...ours, runId: 'run-1', sentMs: SENT_MS, untilMs: SENT_MS + 90 }),
    ).toEqual([
      { atMs: 40, step: 'workflow task received' },
      { atMs: 41, step: 'activation sent (InitializeWorkflow, DoUpdate(pay))' },
      { atMs: 50, step: 'activation completed' },
      { atMs: 51, step: 'local activity authorisePayment started' },
      { atMs: 56, step: 'local activity authorisePayment completed' },
      { atMs: 60, step: 'activity notifyProvider started' },
      { atMs: 70, step: 'completion sent to the server' },
      { atMs: 85, step: 'server answered the completion' },
    ]);
  });

  it('leaves out lines that name only the run when the run is not known', () => {
    const steps = workerTimeline(entries, { ...ours, sentMs: SENT_MS, untilMs: SENT_MS + 90 });
    expect(steps.map((s) => s.step)).not.toContain('completion sent to the server');
    expect(steps).toHaveLength(6);
  });
});
