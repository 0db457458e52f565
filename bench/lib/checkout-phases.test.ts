import { temporal as proto } from '@temporalio/proto';
import { checkoutPhases, summarisePhases } from './checkout-phases';

const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
const json = (value: unknown) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(JSON.stringify(value)),
});
// `complete_time` is on the workflow's clock (the task's start plus the local activities' run
// times), so it lies before the scheduling here, as it does in real histories.
const marker = (type: string, scheduledMs: number) => ({
  markerRecordedEventAttributes: {
    markerName: 'core_local_activity',
    details: {
      data: {
        payloads: [
          json({
            activity_type: type,
            original_schedule_time: at(scheduledMs),
            complete_time: at(1_000_031),
          }),
        ],
      },
    },
  },
});

const history = [
  { eventTime: at(1_000_020), workflowExecutionStartedEventAttributes: {} },
  { eventTime: at(1_000_020), workflowTaskScheduledEventAttributes: {} },
  { eventTime: at(1_000_030), workflowTaskStartedEventAttributes: {} },
  { eventTime: at(1_000_075), workflowTaskCompletedEventAttributes: {} },
  marker('authorisePayment', 1_000_045),
  { eventTime: at(1_000_075), upsertWorkflowSearchAttributesEventAttributes: {} },
  marker('recordPaymentDecision', 1_000_055),
  { eventTime: at(1_000_075), workflowExecutionUpdateCompletedEventAttributes: {} },
  { eventTime: at(1_000_090), workflowTaskScheduledEventAttributes: {} },
  marker('notifyProvider', 1_000_100),
].map((event) => proto.api.history.v1.HistoryEvent.fromObject(event));

describe('a checkout read off its history', () => {
  it('splits the time from send to answer at each wall-clock date the history holds', () => {
    expect(checkoutPhases(history, 1_000_000, 1_000_090)).toEqual([
      { name: 'API before the workflow', ms: 20 },
      { name: 'handoff to a worker', ms: 10 },
      { name: 'to the first local activity', ms: 15 },
      { name: 'authorisePayment, next activation', ms: 10 },
      { name: 'recordPaymentDecision, last activation, completion', ms: 20 },
      { name: 'back to the client', ms: 15 },
    ]);
  });

  it('gives nothing for a history without its first workflow task', () => {
    expect(checkoutPhases(history.slice(0, 2), 1_000_000, 1_000_090)).toBeUndefined();
  });
});

describe('phases over several checkouts', () => {
  it('gives each phase its p50 and p95, in the order the phases come', () => {
    const checkouts = [10, 30, 20, 40].map((ms) => [
      { name: 'API before the workflow', ms },
      { name: 'back to the client', ms: ms * 2 },
    ]);
    expect(summarisePhases(checkouts)).toEqual([
      { name: 'API before the workflow', p50: 20, p95: 40 },
      { name: 'back to the client', p50: 40, p95: 80 },
    ]);
  });
});
