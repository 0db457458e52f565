import { memoryOf, parseSmapsRollupPss, parseStatusMemory, startTicksOf } from './proc';

// Excerpts of Linux 6.x files, as read from a Node process and a PostgreSQL checkpointer.
const NODE_STATUS = `Name:\tnode
Umask:\t0022
State:\tS (sleeping)
Tgid:\t4753
Pid:\t4753
PPid:\t32445
VmPeak:\t 1232004 kB
VmSize:\t 1165252 kB
VmLck:\t       0 kB
VmHWM:\t  190412 kB
VmRSS:\t  182780 kB
RssAnon:\t  131240 kB
RssFile:\t   51540 kB
RssShmem:\t       0 kB
VmData:\t  214604 kB
Threads:\t11
`;

const KERNEL_THREAD_STATUS = `Name:\tkthreadd
Umask:\t0000
State:\tS (sleeping)
Tgid:\t2
Pid:\t2
PPid:\t0
Threads:\t1
`;

const SMAPS_ROLLUP = `559792450000-7fffee31a000 ---p 00000000 00:00 0                          [rollup]
Rss:               30432 kB
Pss:               12960 kB
Pss_Dirty:          8224 kB
Pss_Anon:            685 kB
Pss_File:           4735 kB
Pss_Shmem:          7539 kB
Shared_Clean:      16652 kB
`;

describe('reading memory from /proc', () => {
  it('takes the resident set and its parts from /proc/<pid>/status, in kB', () => {
    expect(parseStatusMemory(NODE_STATUS)).toEqual({
      rssKb: 182780,
      anonKb: 131240,
      fileKb: 51540,
      shmemKb: 0,
    });
  });

  it('finds no resident set for a kernel thread or a zombie (no VmRSS line)', () => {
    expect(parseStatusMemory(KERNEL_THREAD_STATUS)).toBeUndefined();
    // VmHWM, the peak, is not the current figure.
    expect(parseStatusMemory('VmHWM:\t  190412 kB\n')).toBeUndefined();
  });

  it('takes the PSS line of smaps_rollup, not Pss_Anon or the others', () => {
    expect(parseSmapsRollupPss(SMAPS_ROLLUP)).toBe(12960);
    expect(parseSmapsRollupPss('Rss:  30432 kB\nPss_Anon:  685 kB\n')).toBeUndefined();
  });

  it("reads this process's memory like Node does, and nothing for a pid no process has", () => {
    const own = memoryOf(process.pid, true)!;
    const nodeRssKb = process.memoryUsage().rss / 1024;
    expect(own.rssKb).toBeGreaterThan(nodeRssKb * 0.8);
    expect(own.rssKb).toBeLessThan(nodeRssKb * 1.25);
    expect(own.pssKb).toBeGreaterThan(0);
    expect(own.pssKb).toBeLessThanOrEqual(own.rssKb);
    expect(memoryOf(process.pid, false)).toEqual({ rssKb: expect.any(Number) });
    expect(startTicksOf(process.pid)).toBeGreaterThan(0);
    // Above the kernel's largest pid_max (2^22): never a process.
    expect(memoryOf(2 ** 22 + 1, true)).toBeUndefined();
    expect(startTicksOf(2 ** 22 + 1)).toBeUndefined();
  });
});
