import type { OrderSnapshot } from '../../domain/order';
import type { OrderChangeFeed, RevisionListener } from '../../infra/order-change-feed';
import { createOrderWaits } from './order-waits';

/** A feed the test publishes to by hand, counting who watches; `heardAll` is its vouching. */
function handFeed(heardAll = false) {
  const listeners = new Map<string, Set<RevisionListener>>();
  const feed: OrderChangeFeed = {
    watch(orderId, listener) {
      const forOrder = listeners.get(orderId) ?? new Set();
      listeners.set(orderId, forOrder.add(listener));
      return () => forOrder.delete(listener);
    },
    heardAllSince: () => heardAll,
    stop: () => undefined,
  };
  return {
    feed,
    publish: (orderId: string, revision: number) =>
      listeners.get(orderId)?.forEach((listener) => listener(revision)),
    watching: (orderId: string) => listeners.get(orderId)?.size ?? 0,
  };
}

/** An order store the test changes; `reads` counts the reads by id. */
function orderAt(revision: number) {
  const state = { revision, reads: 0 };
  const read = async () => {
    state.reads += 1;
    return { orderId: 'ord_1', revision: state.revision } as OrderSnapshot;
  };
  return { state, read };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
afterEach(() => jest.useRealTimers());

test('an order already past afterRevision answers at once, without watching on', async () => {
  const { feed, watching } = handFeed();
  const waits = createOrderWaits(feed);
  const { read } = orderAt(5);
  const order = await waits.untilRevisionAbove(
    'ord_1',
    4,
    20_000,
    read,
    new AbortController().signal,
  );
  expect(order?.revision).toBe(5);
  expect(watching('ord_1')).toBe(0);
  expect(waits.open).toBe(0);
});

test('a newer revision in the feed wakes the wait, which reads the order again', async () => {
  const { feed, publish } = handFeed();
  const waits = createOrderWaits(feed);
  const { state, read } = orderAt(3);
  const answer = waits.untilRevisionAbove('ord_1', 3, 20_000, read, new AbortController().signal);
  await settled();
  expect(waits.open).toBe(1);

  publish('ord_1', 3); // not above afterRevision: nothing to tell
  publish('ord_2', 9); // another order
  await settled();
  expect(state.reads).toBe(1);

  state.revision = 4;
  publish('ord_1', 4);
  expect((await answer)?.revision).toBe(4);
  expect(state.reads).toBe(2);
  expect(waits.open).toBe(0);
});

test('a change published between the first read and the wait is not lost', async () => {
  const { feed, publish } = handFeed();
  const waits = createOrderWaits(feed);
  const { state } = orderAt(3);
  const read = async () => {
    state.reads += 1;
    const seen = state.revision;
    if (state.reads === 1) {
      // The order changes just after this read, before the wait sleeps.
      state.revision = 4;
      publish('ord_1', 4);
    }
    return { orderId: 'ord_1', revision: seen } as OrderSnapshot;
  };
  const order = await waits.untilRevisionAbove(
    'ord_1',
    3,
    20_000,
    read,
    new AbortController().signal,
  );
  expect(order?.revision).toBe(4);
});

test('a wait that runs out reads the order again when the feed missed some of its time', async () => {
  const { feed, watching } = handFeed();
  const waits = createOrderWaits(feed);
  const { state, read } = orderAt(3);
  const answer = waits.untilRevisionAbove('ord_1', 3, 20_000, read, new AbortController().signal);
  await settled();
  jest.advanceTimersByTime(19_999);
  await settled();
  expect(state.reads).toBe(1);
  jest.advanceTimersByTime(1);
  expect((await answer)?.revision).toBe(3);
  expect(state.reads).toBe(2);
  expect(watching('ord_1')).toBe(0);
});

test('a wait that runs out with the feed vouching for its whole time answers without a read', async () => {
  const { feed } = handFeed(true);
  const waits = createOrderWaits(feed);
  const { state, read } = orderAt(3);
  const answer = waits.untilRevisionAbove('ord_1', 3, 20_000, read, new AbortController().signal);
  await settled();
  jest.advanceTimersByTime(20_000);
  expect((await answer)?.revision).toBe(3);
  expect(state.reads).toBe(1);
});

test('a client that leaves ends the wait with nothing to answer and frees it', async () => {
  const { feed, watching } = handFeed();
  const waits = createOrderWaits(feed);
  const { state, read } = orderAt(3);
  const left = new AbortController();
  const answer = waits.untilRevisionAbove('ord_1', 3, 20_000, read, left.signal);
  await settled();
  left.abort();
  expect(await answer).toBeUndefined();
  expect(state.reads).toBe(1);
  expect(waits.open).toBe(0);
  expect(watching('ord_1')).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
});

test('answerAll answers every wait now, and later ones at once', async () => {
  const { feed } = handFeed();
  const waits = createOrderWaits(feed);
  const { read } = orderAt(3);
  const signal = new AbortController().signal;
  const answers = [1, 2, 3].map(() => waits.untilRevisionAbove('ord_1', 3, 20_000, read, signal));
  await settled();
  expect(waits.open).toBe(3);
  waits.answerAll();
  expect((await Promise.all(answers)).map((order) => order?.revision)).toEqual([3, 3, 3]);
  expect((await waits.untilRevisionAbove('ord_1', 3, 20_000, read, signal))?.revision).toBe(3);
});

test("the read's error (the app's 404) ends the wait and frees it", async () => {
  const { feed, watching } = handFeed();
  const waits = createOrderWaits(feed);
  const read = () => Promise.reject(new Error('no such order'));
  await expect(
    waits.untilRevisionAbove('ord_1', 3, 20_000, read, new AbortController().signal),
  ).rejects.toThrow('no such order');
  expect(waits.open).toBe(0);
  expect(watching('ord_1')).toBe(0);
});
