import { appEventMarks, appEventsSince, type AppEventMarks } from './app-events';
import type { OrderSnapshot } from './order';

const marks = (status: string, refunded = 0, rerouted = 0): AppEventMarks => ({
  status: status as AppEventMarks['status'],
  refunded,
  rerouted,
});

describe('appEventsSince', () => {
  it.each([
    ['the first publication', undefined, marks('authorised'), ['order.status_changed']],
    ['no change the app sees', marks('confirmed'), marks('confirmed'), []],
    ['a new status', marks('authorised'), marks('confirmed'), ['order.status_changed']],
    ['a refund done', marks('completed'), marks('completed', 1), ['order.refunded']],
    [
      'a cancellation that refunded',
      marks('confirmed'),
      marks('cancelled', 1),
      ['order.status_changed', 'order.refunded'],
    ],
    [
      'a re-route',
      marks('awaiting_confirmation'),
      marks('awaiting_confirmation', 0, 1),
      ['order.rerouted'],
    ],
  ] as const)('%s', (_case, told, now, expected) => {
    expect(appEventsSince(told, now)).toEqual(expected);
  });
});

describe('appEventMarks', () => {
  it('counts refunds done, not pending ones, and earlier offers', () => {
    const snapshot = {
      status: 'completed',
      refunds: [{ status: 'refunded' }, { status: 'pending_approval' }, { status: 'refunded' }],
      routing: [{ providerId: 'p1', outcome: 'rejected', at: '2026-12-02T00:00:00Z' }],
    } as unknown as OrderSnapshot;
    expect(appEventMarks(snapshot)).toEqual(marks('completed', 2, 1));
  });
});
