import type { Models } from './db';
import { changePeriod, type DirectoryChangeDocument } from './models/directory-change';
import { watchChanges, type ChangeWatchOptions } from './directory-changes';

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 5, 12, 2, 0); // two minutes into a ten-minute period

/** The announcements in a list, asked by period as the database is; counts and can fail. */
function fakeChanges() {
  const stored: DirectoryChangeDocument[] = [];
  const asked: number[] = [];
  let failing = false;
  const models = {
    DirectoryChange: {
      find: (filter: { period: number }) => ({
        lean: async () => {
          if (failing) throw new Error('database down');
          asked.push(filter.period);
          return stored.filter((change) => change.period === filter.period);
        },
      }),
    },
  } as unknown as Pick<Models, 'DirectoryChange'>;
  let n = 0;
  return {
    models,
    asked,
    announce: (subject: string, at: number) =>
      stored.push({
        _id: `c${++n}`,
        subject,
        period: changePeriod(new Date(at)),
        at: new Date(at),
      }),
    fail: (value: boolean) => (failing = value),
  };
}

function watch(changes: ReturnType<typeof fakeChanges>, options: Partial<ChangeWatchOptions> = {}) {
  let clock = START;
  const forgotten: string[][] = [];
  let gaps = 0;
  const watcher = watchChanges(changes.models, {
    intervalMs: 5_000,
    maxGapMs: 10 * MINUTE,
    onChanged: (ids) => forgotten.push(ids.sort()),
    onGap: () => gaps++,
    idle: () => false,
    now: () => clock,
    ...options,
  });
  return {
    watcher,
    forgotten,
    gaps: () => gaps,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
  };
}

const watchers: { stop(): void }[] = [];
afterEach(() => watchers.splice(0).forEach((w) => w.stop()));

test('each announcement makes what it names forgotten once', async () => {
  const changes = fakeChanges();
  const w = watch(changes);
  watchers.push(w.watcher);
  w.advance(1_000);
  changes.announce('p1', w.now());
  changes.announce('p2', w.now());
  changes.announce('p1', w.now());
  w.advance(4_000);
  await w.watcher.poll();
  expect(w.forgotten).toEqual([['p1', 'p2']]);

  w.advance(5_000);
  await w.watcher.poll();
  expect(w.forgotten).toHaveLength(1); // seen already: nothing more is forgotten

  changes.announce('p2', w.now());
  w.advance(5_000);
  await w.watcher.poll();
  expect(w.forgotten).toEqual([['p1', 'p2'], ['p2']]);
});

test('an announcement stamped before the previous poll, within the lookback, is still acted on', async () => {
  const changes = fakeChanges();
  const w = watch(changes);
  watchers.push(w.watcher);
  w.advance(8 * MINUTE + 5_000); // 12:10:05, just into the next period
  await w.watcher.poll();
  // Stamped 20 s ago, in the previous period (a slow insert, or a clock behind), stored after
  // that poll.
  changes.announce('late', w.now() - 20_000);
  w.advance(5_000);
  await w.watcher.poll();
  expect(w.forgotten).toEqual([['late']]);
});

test('a poll asks about every ten-minute period from the previous poll less the lookback', async () => {
  const changes = fakeChanges();
  const w = watch(changes);
  watchers.push(w.watcher);
  // Inside a period: one question per poll.
  w.advance(5 * MINUTE); // 12:07:00
  await w.watcher.poll();
  const first = changePeriod(new Date(w.now()));
  expect(changes.asked).toEqual([first]);
  // Just past the next period's start, the lookback reaches into the previous period too…
  w.advance(2 * MINUTE + 55_000); // 12:09:55
  await w.watcher.poll();
  w.advance(15_000); // 12:10:10
  changes.asked.length = 0;
  await w.watcher.poll();
  expect(changes.asked).toEqual([first, first + 1]);
  // …and once it no longer does (the previous poll was 30 s into the period), only the current.
  w.advance(35_000); // 12:10:45
  await w.watcher.poll();
  w.advance(5_000); // 12:10:50
  changes.asked.length = 0;
  await w.watcher.poll();
  expect(changes.asked).toEqual([first + 1]);
});

test('while nothing is kept, nothing is asked; polls resume when something is', async () => {
  const changes = fakeChanges();
  let idle = true;
  const w = watch(changes, { idle: () => idle });
  watchers.push(w.watcher);
  changes.announce('p1', w.now());
  w.advance(5 * MINUTE);
  await w.watcher.poll();
  expect(changes.asked).toEqual([]);
  expect(w.watcher.current()).toBe(true);

  idle = false;
  changes.announce('p2', w.now());
  w.advance(5_000);
  await w.watcher.poll();
  // p1 changed while nothing was kept; forgetting it again (same period) is harmless.
  expect(w.forgotten.flat()).toContain('p2');
});

test('while polls fail the watch is not current; the next success asks about the whole outage', async () => {
  const changes = fakeChanges();
  const w = watch(changes);
  watchers.push(w.watcher);
  w.advance(5_000);
  await w.watcher.poll();
  changes.fail(true);
  for (let i = 0; i < 4; i++) {
    w.advance(5_000);
    await expect(w.watcher.poll()).rejects.toThrow('database down');
  }
  expect(w.watcher.current()).toBe(false);
  changes.announce('during', w.now() - 12_000);

  changes.fail(false);
  w.advance(5_000);
  await w.watcher.poll();
  expect(w.watcher.current()).toBe(true);
  expect(w.forgotten).toEqual([['during']]);
});

test('an outage longer than anything is kept forgets everything, without asking', async () => {
  const changes = fakeChanges();
  const w = watch(changes);
  watchers.push(w.watcher);
  w.advance(10 * MINUTE + 1);
  await w.watcher.poll();
  expect(w.gaps()).toBe(1);
  expect(changes.asked).toEqual([]);
  expect(w.watcher.current()).toBe(true);
});
