import {
  afterAttempt,
  freshSchedule,
  GIVE_UP_AFTER_MS,
  lanesByOrder,
  nextRoundAt,
} from './app-event-relay';

const retry = { initialMs: 10_000, maximumMs: 60_000 };
const at = (ms: number) => new Date(Date.UTC(2026, 11, 3) + ms);

describe('freshSchedule', () => {
  it('is due now, waits the first backoff after a failure, and gives up after 72 hours', () => {
    expect(freshSchedule(at(0), retry)).toEqual({
      nextAttemptAt: at(0),
      retryWaitMs: 10_000,
      giveUpAt: at(72 * 3600 * 1000),
    });
  });
});

describe('afterAttempt', () => {
  const fresh = freshSchedule(at(0), retry);

  it('ends a delivered delivery', () => {
    expect(afterAttempt('delivered', fresh, at(5), retry)).toEqual({ status: 'delivered' });
  });

  it.each(['refused', 'endpoint_deleted'] as const)('fails a delivery on %s', (outcome) => {
    expect(afterAttempt(outcome, fresh, at(5), retry)).toEqual({ status: 'failed' });
  });

  it('waits its backoff after a failure, doubling it up to the maximum', () => {
    const first = afterAttempt('retry', fresh, at(1_000), retry);
    expect(first).toEqual({ status: 'pending', nextAttemptAt: at(11_000), retryWaitMs: 20_000 });
    const waits: number[] = [];
    let schedule = { ...fresh };
    for (let i = 0; i < 5; i += 1) {
      const next = afterAttempt('retry', schedule, at(0), retry);
      if (next.status !== 'pending') throw new Error('gave up too early');
      waits.push(next.nextAttemptAt.getTime() - at(0).getTime());
      schedule = { ...schedule, retryWaitMs: next.retryWaitMs };
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
  });

  it('fails the delivery once its next attempt would come after the give-up time', () => {
    const late = at(GIVE_UP_AFTER_MS - 5_000);
    expect(afterAttempt('retry', fresh, late, retry)).toEqual({ status: 'failed' });
    const justInTime = at(GIVE_UP_AFTER_MS - 10_000);
    expect(afterAttempt('retry', fresh, justInTime, retry)).toMatchObject({ status: 'pending' });
  });
});

describe('lanesByOrder', () => {
  it("keeps each order's deliveries together, in the order's sequence", () => {
    const d = (orderId: string, sequence: number) => ({ orderId, sequence });
    expect(lanesByOrder([d('a', 3), d('b', 1), d('a', 1), d('a', 2), d('c', 5)])).toEqual([
      [d('a', 1), d('a', 2), d('a', 3)],
      [d('b', 1)],
      [d('c', 5)],
    ]);
    expect(lanesByOrder([])).toEqual([]);
  });
});

describe('nextRoundAt', () => {
  it('is the earliest pending attempt, or none', () => {
    expect(nextRoundAt([at(30), at(10), at(20)])).toBe(at(10).getTime());
    expect(nextRoundAt([])).toBeUndefined();
  });
});
