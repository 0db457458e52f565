import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { linearFit, MemorySampler, summariseSeries, type ProcessView } from './memory';

describe('the least-squares line', () => {
  it('goes through points on a line, with no error', () => {
    const fit = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 3 + 2 * x })))!;
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(3, 12);
    expect(fit.slopeStdErr).toBeCloseTo(0, 12);
  });

  it('fits scattered points and gives the standard error of its slope', () => {
    // x̄ 1, ȳ 2, Sxy 1, Sxx 2: slope 0.5, intercept 1.5; residuals -0.5, 1, -0.5: √(1.5/1/2).
    const fit = linearFit([
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 2 },
    ])!;
    expect(fit.slope).toBeCloseTo(0.5, 12);
    expect(fit.intercept).toBeCloseTo(1.5, 12);
    expect(fit.slopeStdErr).toBeCloseTo(Math.sqrt(0.75), 12);
  });

  it('has no line through one point or points at one x, and no error with two', () => {
    expect(linearFit([])).toBeUndefined();
    expect(linearFit([{ x: 1, y: 1 }])).toBeUndefined();
    expect(
      linearFit([
        { x: 1, y: 1 },
        { x: 1, y: 5 },
      ]),
    ).toBeUndefined();
    expect(
      linearFit([
        { x: 0, y: 1 },
        { x: 2, y: 5 },
      ]),
    ).toEqual({ slope: 2, intercept: 1, slopeStdErr: null });
  });
});

describe('a process memory series', () => {
  it('grows 3 MB/min over the run and over its second half when it grows steadily', () => {
    const points = Array.from({ length: 25 }, (_, i) => ({ second: i * 5, mb: 200 + i * 0.25 }));
    expect(summariseSeries(points, 120, true)).toEqual({
      startMb: 200,
      endMb: 206,
      lastMb: 206,
      maxMb: 206,
      growthMbPerMin: 3,
      growthStdErrMbPerMin: 0,
      secondHalfGrowthMbPerMin: 3,
    });
  });

  it('is flat over the second half when it grew while warming and then stopped', () => {
    // Every 15 s, +5 MB until the first minute's end, then flat: x̄ 1 min, Sxx 3.75, Sxy 37.5.
    const points = Array.from({ length: 9 }, (_, i) => ({
      second: i * 15,
      mb: 100 + Math.min(i * 15, 60) / 3,
    }));
    const series = summariseSeries(points, 120, true)!;
    expect(series.growthMbPerMin).toBe(10);
    expect(series.secondHalfGrowthMbPerMin).toBe(0);
    expect(series).toMatchObject({ startMb: 100, endMb: 120, maxMb: 120 });
  });

  it('has no end figure for a process gone before the end, and no slope from two samples', () => {
    const series = summariseSeries(
      [
        { second: 0, mb: 80.04 },
        { second: 5, mb: 96.66 },
      ],
      60,
      false,
    );
    expect(series).toEqual({
      startMb: 80,
      endMb: null,
      lastMb: 96.7,
      maxMb: 96.7,
      growthMbPerMin: null,
      growthStdErrMbPerMin: null,
      secondHalfGrowthMbPerMin: null,
    });
    expect(summariseSeries([], 60, true)).toBeUndefined();
  });
});

/** A machine of fake processes the test changes between samples. */
function fakeMachine() {
  const processes = new Map<
    number,
    { start: number; rssKb: number; pssKb?: number; parent?: number }
  >();
  const view = (): ProcessView => ({
    startOf: (pid) => processes.get(pid)?.start,
    descendantsOf: (root) => {
      const found: number[] = [];
      const queue = [root];
      while (queue.length > 0) {
        const parent = queue.shift();
        for (const [pid, p] of processes)
          if (p.parent === parent) {
            found.push(pid);
            queue.push(pid);
          }
      }
      return found;
    },
    memoryOf: (pid, withPss) => {
      const p = processes.get(pid);
      if (!p) return undefined;
      return withPss && p.pssKb !== undefined
        ? { rssKb: p.rssKb, pssKb: p.pssKb }
        : { rssKb: p.rssKb };
    },
  });
  return { processes, view };
}

const MB = 1024;

describe('the memory sampler', () => {
  it('sums a group with its descendants, as backends come and go', () => {
    const { processes, view } = fakeMachine();
    // FerretDB (10), PostgreSQL's postmaster (20) and two backends sharing its buffers.
    processes.set(10, { start: 1, rssKb: 50 * MB, pssKb: 50 * MB });
    processes.set(20, { start: 1, rssKb: 30 * MB, pssKb: 10 * MB });
    processes.set(21, { start: 2, rssKb: 20 * MB, pssKb: 5 * MB, parent: 20 });
    processes.set(22, { start: 2, rssKb: 20 * MB, pssKb: 5 * MB, parent: 20 });
    const sampler = new MemorySampler<'database'>(
      { database: { pids: [10, 20], withPss: true } },
      5,
      view,
    );
    expect(sampler.sample(0)).toEqual({
      second: 0,
      rssMb: { database: 120 },
      pssMb: { database: 70 },
    });
    processes.delete(22);
    processes.set(23, { start: 3, rssKb: 10 * MB, pssKb: 2 * MB, parent: 20 });
    processes.set(24, { start: 3, rssKb: 10 * MB, pssKb: 2 * MB, parent: 23 });
    expect(sampler.sample(5)).toEqual({
      second: 5,
      rssMb: { database: 120 },
      pssMb: { database: 69 },
    });
    const database = sampler.report().byProcess.database!;
    expect(database).toMatchObject({
      status: 'running',
      pids: [10, 20],
      samples: 2,
      lastSecond: 5,
      processes: { min: 4, max: 5 },
      rss: { startMb: 120, endMb: 120, maxMb: 120 },
      pss: { startMb: 70, endMb: 69, maxMb: 70 },
    });
  });

  it('reports a process that vanished or whose pid was reused as gone, never as zero', () => {
    const { processes, view } = fakeMachine();
    processes.set(100, { start: 7, rssKb: 100 * MB });
    processes.set(200, { start: 7, rssKb: 300 * MB });
    processes.set(300, { start: 7, rssKb: 40 * MB });
    const sampler = new MemorySampler<'api' | 'worker' | 'temporal'>(
      { api: { pids: [100] }, worker: { pids: [200] }, temporal: { pids: [300] } },
      5,
      view,
    );
    for (let i = 0; i < 3; i++) {
      processes.get(200)!.rssKb += 2 * MB;
      sampler.sample(i * 5, [i]);
    }
    // The API exits; the worker's pid goes to a new process (a restart under the same pid).
    processes.delete(100);
    processes.set(200, { start: 9, rssKb: 5 * MB });
    const afterLoss = sampler.sample(15, [3]);
    expect(afterLoss.rssMb).toEqual({ temporal: 40 });
    processes.set(100, { start: 12, rssKb: 1 * MB });
    sampler.sample(20);

    const { byProcess, timeline } = sampler.report();
    expect(byProcess.api).toMatchObject({
      status: 'vanished',
      lostAtSecond: 15,
      samples: 3,
      lastSecond: 10,
      rss: { startMb: 100, endMb: null, lastMb: 100, maxMb: 100, growthMbPerMin: 0 },
    });
    expect(byProcess.worker).toMatchObject({
      status: 'replaced',
      lostAtSecond: 15,
      rss: { startMb: 302, endMb: null, lastMb: 306, maxMb: 306, growthMbPerMin: 24 },
    });
    expect(byProcess.temporal).toMatchObject({ status: 'running', rss: { endMb: 40 } });
    expect(timeline.map((s) => Object.keys(s.rssMb))).toEqual([
      ['api', 'worker', 'temporal'],
      ['api', 'worker', 'temporal'],
      ['api', 'worker', 'temporal'],
      ['temporal'],
      ['temporal'],
    ]);
    expect(sampler.rssAtWindowEnd(1)).toEqual({ api: 100, worker: 304, temporal: 40 });
    expect(sampler.rssAtWindowEnd(3)).toEqual({ temporal: 40 });
    expect(sampler.rssAtWindowEnd(4)).toBeUndefined();
  });

  it('measures the generator alone, not its children (the processes under test)', () => {
    const { processes, view } = fakeMachine();
    processes.set(1, { start: 1, rssKb: 90 * MB });
    processes.set(2, { start: 1, rssKb: 150 * MB, parent: 1 });
    const sampler = new MemorySampler<'generator' | 'api'>(
      { generator: { pids: [1], ownOnly: true }, api: { pids: [2] } },
      5,
      view,
    );
    expect(sampler.sample(0).rssMb).toEqual({ generator: 90, api: 150 });
  });

  it('sees a real process on /proc, then sees it vanish when it is killed', async () => {
    // A process holding 64 MB it has written (a small one's VmRSS can read 0 just after exec:
    // the kernel folds its per-CPU counters in batches).
    const child = spawn(
      process.execPath,
      [
        '-e',
        "const b = Buffer.alloc(64 * 2 ** 20, 1); console.log('ready'); setInterval(() => b[0]++, 1000);",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await once(child.stdout!, 'data');
      const sampler = new MemorySampler<'holder'>({ holder: { pids: [child.pid!] } }, 5);
      const rssMb = sampler.sample(0).rssMb.holder!;
      expect(rssMb).toBeGreaterThan(64);
      expect(rssMb).toBeLessThan(64 + 200);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      expect(sampler.sample(1).rssMb).toEqual({});
      expect(sampler.report().byProcess.holder).toMatchObject({
        status: 'vanished',
        lostAtSecond: 1,
        samples: 1,
        rss: { startMb: rssMb, endMb: null, lastMb: rssMb },
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
