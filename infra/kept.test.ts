import { keptReads } from './kept';

/** A read that answers when told to, counting its calls. */
function controlledRead() {
  const calls: { key: string; answer: (value: { v: number } | null) => void }[] = [];
  const read = (key: string) =>
    new Promise<{ v: number } | null>((answer) => calls.push({ key, answer }));
  return { read, calls };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] }));
afterEach(() => jest.useRealTimers());

test('a value is read once and kept until its keep time has passed', async () => {
  let reads = 0;
  const kept = keptReads(async () => ({ v: ++reads }), {
    keepMs: 5_000,
    maxKeys: 10,
    now: () => Date.now(),
  });
  expect(await kept.get('a')).toEqual({ v: 1 });
  jest.advanceTimersByTime(4_999);
  expect(await kept.get('a')).toEqual({ v: 1 });
  jest.advanceTimersByTime(2);
  expect(await kept.get('a')).toEqual({ v: 2 });
});

test('concurrent gets of one key share one read', async () => {
  const { read, calls } = controlledRead();
  const kept = keptReads(read, { keepMs: 5_000, maxKeys: 10 });
  const both = Promise.all([kept.get('a'), kept.get('a')]);
  await settle();
  expect(calls).toHaveLength(1);
  calls[0]!.answer({ v: 1 });
  expect(await both).toEqual([{ v: 1 }, { v: 1 }]);
});

test('none (null) is not kept: a record created since is found on the next get', async () => {
  let exists = false;
  const kept = keptReads(async () => (exists ? { v: 1 } : null), { keepMs: 5_000, maxKeys: 10 });
  expect(await kept.get('a')).toBeNull();
  exists = true;
  expect(await kept.get('a')).toEqual({ v: 1 });
});

test('a fresh get reads now and replaces what was kept', async () => {
  let reads = 0;
  const kept = keptReads(async () => ({ v: ++reads }), { keepMs: 5_000, maxKeys: 10 });
  await kept.get('a');
  expect(await kept.get('a', { fresh: true })).toEqual({ v: 2 });
  expect(await kept.get('a')).toEqual({ v: 2 });
});

test('forget drops the value, and a read begun before it does not put it back', async () => {
  const { read, calls } = controlledRead();
  const kept = keptReads(read, { keepMs: 5_000, maxKeys: 10 });
  const before = kept.get('a');
  await settle();
  kept.forget('a'); // an admin changed it while the read was under way
  calls[0]!.answer({ v: 1 });
  expect(await before).toEqual({ v: 1 });
  const after = kept.get('a');
  await settle();
  expect(calls).toHaveLength(2);
  calls[1]!.answer({ v: 2 });
  expect(await after).toEqual({ v: 2 });
});

test('a keep time of 0 reads every time', async () => {
  let reads = 0;
  const kept = keptReads(async () => ({ v: ++reads }), { keepMs: 0, maxKeys: 10 });
  await kept.get('a');
  expect(await kept.get('a')).toEqual({ v: 2 });
});

test('past maxKeys the least recently used key is read again', async () => {
  const reads: string[] = [];
  const kept = keptReads(
    async (key) => {
      reads.push(key);
      return { v: reads.length };
    },
    { keepMs: 5_000, maxKeys: 2 },
  );
  await kept.get('a');
  await kept.get('b');
  await kept.get('c');
  await kept.get('a');
  expect(reads).toEqual(['a', 'b', 'c', 'a']);
});
