import { appEvent, appEventMarks, appEventsSince, type AppEventMarks } from './app-events';
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

describe('appEvent', () => {
  const snapshot = (revision: number, status: string) =>
    ({
      orderId: 'ord_1',
      revision,
      status,
      updatedAt: '2026-12-03T00:00:00Z',
    }) as unknown as OrderSnapshot;

  it('orders events by publication, even where a lost try left a higher revision', () => {
    // A lost try published awaiting confirmation at revision 5 as publication 1; the run that
    // outlived it declined the order at revision 4 as publication 2 (RELIABILITY.md, H).
    const lostTry = appEvent(snapshot(5, 'awaiting_confirmation'), 'order.status_changed', 1);
    const decline = appEvent(snapshot(4, 'payment_declined'), 'order.status_changed', 2);
    expect(decline.sequence).toBeGreaterThan(lostTry.sequence);
    expect(decline.id).not.toBe(lostTry.id);
  });

  it('names the same event for a retried publication, and another for another revision', () => {
    const event = appEvent(snapshot(3, 'confirmed'), 'order.status_changed', 2);
    expect(appEvent(snapshot(3, 'confirmed'), 'order.status_changed', 2)).toEqual(event);
    expect(appEvent(snapshot(4, 'confirmed'), 'order.status_changed', 2).id).not.toBe(event.id);
    expect(appEvent(snapshot(3, 'confirmed'), 'order.refunded', 2).id).not.toBe(event.id);
  });

  it('goes by revision for runs from before numbering, below every numbered event', () => {
    const unnumbered = appEvent(snapshot(40, 'confirmed'), 'order.status_changed');
    expect(unnumbered).toMatchObject({ id: 'evt_ord_1_40_status_changed', sequence: 40 });
    const numbered = appEvent(snapshot(41, 'dispatching'), 'order.status_changed', 1);
    expect(numbered.sequence).toBeGreaterThan(unnumbered.sequence);
  });
});
