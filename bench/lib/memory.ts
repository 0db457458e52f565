// Resident memory of the measured processes over a run: sampled from /proc every few seconds
// and at each window's end, then summarised per process as its figure at the start of the
// measured load (after the warm-up) and at its end, its maximum, and its growth in MB per
// minute (a least-squares line through the samples, over the whole run and its second half:
// memory that is flat once warm has no slope there). A process that vanished, or whose pid
// another process now has, is reported as gone from that moment, never as zero.

import { descendantsOf, memoryOf, processTable, startTicksOf, type ProcessTable } from './proc';

/** What the sampler reads of the machine's processes; one view per sample. */
export interface ProcessView {
  /** When the process started (any unit, fixed for its life); undefined when there is none. */
  startOf(pid: number): number | undefined;
  /** Its live descendants. */
  descendantsOf(pid: number): number[];
  /** Its resident memory in kB (and PSS when asked); undefined when gone. */
  memoryOf(pid: number, withPss: boolean): { rssKb: number; pssKb?: number } | undefined;
}

/** Linux's /proc; the process table is read once per view. */
function procView(): ProcessView {
  let table: ProcessTable | undefined;
  return {
    startOf: startTicksOf,
    descendantsOf: (pid) => descendantsOf(pid, (table ??= processTable())),
    memoryOf,
  };
}

export interface MemorySeries {
  /** At the first sample: the start of the measured load. */
  startMb: number;
  /** At the run's end; null when the process was gone by then. */
  endMb: number | null;
  /** At the last sample that found the process (the end, unless it went). */
  lastMb: number;
  maxMb: number;
  /** Least-squares slope through every sample, MB per minute (null: fewer than 3 samples). */
  growthMbPerMin: number | null;
  /** Its standard error (samples of a garbage-collected heap are not independent: a floor). */
  growthStdErrMbPerMin: number | null;
  /** The same slope through the samples of the run's second half: flat once warm means ~0. */
  secondHalfGrowthMbPerMin: number | null;
}

export interface ProcessMemory {
  /** `vanished`: no process has its pid any more; `replaced`: another process has it now. */
  status: 'running' | 'vanished' | 'replaced';
  /** The run's second when the sample found it gone. */
  lostAtSecond?: number;
  /** The pids measured (the database: FerretDB and PostgreSQL's postmaster), with descendants. */
  pids: number[];
  samples: number;
  /** The second of the last sample that found it. */
  lastSecond?: number;
  /** How many processes the samples summed (a postmaster's backends come and go). */
  processes?: { min: number; max: number };
  /** The resident set (VmRSS), summed over the processes. */
  rss?: MemorySeries;
  /** The proportional set size (the database only): its processes share PostgreSQL's buffers. */
  pss?: MemorySeries;
}

/** One sample: MB of each process still there (the ones gone are left out). */
export interface MemorySample<Name extends string = string> {
  second: number;
  rssMb: Partial<Record<Name, number>>;
  pssMb?: Partial<Record<Name, number>>;
}

export interface MemoryReport<Name extends string = string> {
  everySeconds: number;
  byProcess: Partial<Record<Name, ProcessMemory>>;
  /** Every sample, from the end of the warm-up to the end of the run. */
  timeline: MemorySample<Name>[];
}

interface Tracked {
  roots: { pid: number; start: number | undefined }[];
  /** Without descendants (the generator: its children are the processes under test). */
  ownOnly: boolean;
  withPss: boolean;
  status: ProcessMemory['status'];
  lostAtSecond?: number;
  points: { second: number; rssKb: number; pssKb?: number; processes: number }[];
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Least-squares line y = intercept + slope·x, and the slope's standard error (n ≥ 3). */
export function linearFit(
  points: readonly { x: number; y: number }[],
): { slope: number; intercept: number; slopeStdErr: number | null } | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  if (n < 3) return { slope, intercept, slopeStdErr: null };
  const residuals = points.reduce((sum, p) => sum + (p.y - intercept - slope * p.x) ** 2, 0);
  return { slope, intercept, slopeStdErr: Math.sqrt(residuals / (n - 2) / sxx) };
}

/**
 * Start, end, maximum and growth of one process's samples (seconds, MB). `endSecond` is the
 * run's last sample: the second half is the samples from half of it on; `alive` whether the
 * process was still there then.
 */
export function summariseSeries(
  points: readonly { second: number; mb: number }[],
  endSecond: number,
  alive: boolean,
): MemorySeries | undefined {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return undefined;
  // Three samples at least: two make a line through any noise.
  const slope = (of: readonly { second: number; mb: number }[]) =>
    of.length < 3 ? undefined : linearFit(of.map((p) => ({ x: p.second / 60, y: p.mb })));
  const all = slope(points);
  const secondHalf = slope(points.filter((p) => p.second >= endSecond / 2));
  return {
    startMb: round1(first.mb),
    endMb: alive ? round1(last.mb) : null,
    lastMb: round1(last.mb),
    maxMb: round1(Math.max(...points.map((p) => p.mb))),
    growthMbPerMin: all ? round2(all.slope) : null,
    growthStdErrMbPerMin: all?.slopeStdErr == null ? null : round2(all.slopeStdErr),
    secondHalfGrowthMbPerMin: secondHalf ? round2(secondHalf.slope) : null,
  };
}

export interface MemoryTarget {
  pids: number[];
  /** Measure the pids alone, not their descendants. */
  ownOnly?: boolean;
  /** Also read the PSS (processes that share memory). */
  withPss?: boolean;
}

/** Samples the resident memory of named processes (each one or more pids with descendants). */
export class MemorySampler<Name extends string> {
  private readonly tracked = new Map<Name, Tracked>();
  private readonly timeline: MemorySample<Name>[] = [];
  private readonly atWindowEnd = new Map<number, MemorySample<Name>>();

  constructor(
    targets: Partial<Record<Name, MemoryTarget>>,
    readonly everySeconds: number,
    private readonly view: () => ProcessView = procView,
  ) {
    const now = view();
    for (const [name, target] of Object.entries(targets) as [Name, MemoryTarget | undefined][]) {
      if (!target || target.pids.length === 0) continue;
      this.tracked.set(name, {
        roots: target.pids.map((pid) => ({ pid, start: now.startOf(pid) })),
        ownOnly: target.ownOnly ?? false,
        withPss: target.withPss ?? false,
        status: 'running',
        points: [],
      });
    }
  }

  /** Takes a sample at the run's `second`, the end of windows `windowsEnded` if any. */
  sample(second: number, windowsEnded: readonly number[] = []): MemorySample<Name> {
    const view = this.view();
    const sample: MemorySample<Name> = { second: round1(second), rssMb: {} };
    for (const [name, tracked] of this.tracked) {
      if (tracked.status !== 'running') continue;
      let rssKb = 0;
      let pssKb: number | undefined = tracked.withPss ? 0 : undefined;
      let processes = 0;
      for (const root of tracked.roots) {
        const start = view.startOf(root.pid);
        // Its pid now names another process: ours ended (and may have been started again).
        if (start !== undefined && start !== root.start) tracked.status = 'replaced';
        // No process, or one that has exited (a zombie has no resident set).
        const memory = start === root.start ? view.memoryOf(root.pid, tracked.withPss) : undefined;
        if (!memory && tracked.status === 'running') tracked.status = 'vanished';
        if (!memory) break;
        const pids = [root.pid, ...(tracked.ownOnly ? [] : view.descendantsOf(root.pid))];
        for (const pid of pids) {
          // The root was read above; a descendant may end between the table and its read.
          const read = pid === root.pid ? memory : view.memoryOf(pid, tracked.withPss);
          if (!read) continue;
          // Its mappings unreadable because it ended between the two reads: as if not found.
          if (tracked.withPss && read.pssKb === undefined && view.startOf(pid) === undefined)
            continue;
          rssKb += read.rssKb;
          processes++;
          // A PSS that could not be read makes the sum meaningless: leave it out.
          pssKb = pssKb === undefined || read.pssKb === undefined ? undefined : pssKb + read.pssKb;
        }
      }
      if (tracked.status !== 'running') {
        tracked.lostAtSecond = sample.second;
        continue;
      }
      tracked.points.push({ second: sample.second, rssKb, pssKb, processes });
      sample.rssMb[name] = round1(rssKb / 1024);
      if (pssKb !== undefined) {
        sample.pssMb ??= {};
        sample.pssMb[name] = round1(pssKb / 1024);
      }
    }
    this.timeline.push(sample);
    for (const window of windowsEnded) this.atWindowEnd.set(window, sample);
    return sample;
  }

  /** RSS in MB of each process at the end of window `index` (undefined: no sample there). */
  rssAtWindowEnd(index: number): Partial<Record<Name, number>> | undefined {
    return this.atWindowEnd.get(index)?.rssMb;
  }

  report(): MemoryReport<Name> {
    const endSecond = this.timeline[this.timeline.length - 1]?.second ?? 0;
    const byProcess: Partial<Record<Name, ProcessMemory>> = {};
    for (const [name, tracked] of this.tracked) {
      const { points, status } = tracked;
      const alive = status === 'running';
      const series = (pick: (p: Tracked['points'][number]) => number | undefined) => {
        const values = points.flatMap((p) => {
          const kb = pick(p);
          return kb === undefined ? [] : [{ second: p.second, mb: kb / 1024 }];
        });
        // A series with a sample missing (PSS unreadable once) would mislead: all or nothing.
        return values.length === points.length
          ? summariseSeries(values, endSecond, alive)
          : undefined;
      };
      const counts = points.map((p) => p.processes);
      const rss = series((p) => p.rssKb);
      const pss = tracked.withPss ? series((p) => p.pssKb) : undefined;
      byProcess[name] = {
        status,
        ...(tracked.lostAtSecond === undefined ? {} : { lostAtSecond: tracked.lostAtSecond }),
        pids: tracked.roots.map((root) => root.pid),
        samples: points.length,
        ...(points.length > 0
          ? {
              lastSecond: points[points.length - 1]!.second,
              processes: { min: Math.min(...counts), max: Math.max(...counts) },
            }
          : {}),
        ...(rss ? { rss } : {}),
        ...(pss ? { pss } : {}),
      };
    }
    return { everySeconds: this.everySeconds, byProcess, timeline: this.timeline };
  }
}
