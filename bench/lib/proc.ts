// Per-process CPU time and resident memory from Linux's /proc, and which process listens on a
// local TCP port (the embedded servers are started by dev/embedded.ts, which does not hand out
// their pids).

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (`getconf CLK_TCK`, 100 almost everywhere). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** The fields of /proc/<pid>/stat from field 3 (`state`) on; the name may hold spaces. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of a process, its live descendants and the children it has reaped (a PostgreSQL
 * server's backends come and go under its postmaster).
 */
export function treeCpuSeconds(root: number): number | undefined {
  const fields = statFields(root);
  if (!fields) return undefined;
  // utime, stime, then cutime, cstime: what the root's waited-for children used.
  let ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  for (const pid of descendantsOf(root)) {
    const child = statFields(pid);
    if (child) ticks += Number(child[11]) + Number(child[12]);
  }
  return ticks / ticksPerSecond();
}

/** Every live process's children, by parent pid. */
export type ProcessTable = Map<number, number[]>;

export function processTable(): ProcessTable {
  const children: ProcessTable = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(Number(entry))?.[1]);
    if (!Number.isInteger(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  return children;
}

export function descendantsOf(root: number, children: ProcessTable = processTable()): number[] {
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * When a process started (clock ticks after boot, /proc/<pid>/stat field 22): with the pid, it
 * names one process, so a pid the kernel handed to another process is not taken for ours.
 */
export function startTicksOf(pid: number): number | undefined {
  const start = Number(statFields(pid)?.[19]);
  return Number.isFinite(start) ? start : undefined;
}

/** The resident set of /proc/<pid>/status, in kB (undefined: no `VmRSS`, e.g. a kernel thread). */
export function parseStatusMemory(
  text: string,
): { rssKb: number; anonKb?: number; fileKb?: number; shmemKb?: number } | undefined {
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const rssKb = kb('VmRSS');
  if (rssKb === undefined) return undefined;
  const parts = { anonKb: kb('RssAnon'), fileKb: kb('RssFile'), shmemKb: kb('RssShmem') };
  return {
    rssKb,
    ...Object.fromEntries(Object.entries(parts).filter(([, value]) => value !== undefined)),
  };
}

/**
 * The proportional set size of /proc/<pid>/smaps_rollup, in kB: the resident set with each
 * shared page divided among the processes that map it, so the PSS of processes sharing memory
 * (PostgreSQL's shared buffers) adds up, where their RSS counts the shared pages once each.
 */
export function parseSmapsRollupPss(text: string): number | undefined {
  const match = /^Pss:\s+(\d+) kB$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Resident memory of a live process in kB, and its PSS when asked (and readable). */
export function memoryOf(
  pid: number,
  withPss: boolean,
): { rssKb: number; pssKb?: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const memory = parseStatusMemory(status);
  if (!memory) return undefined;
  if (!withPss) return { rssKb: memory.rssKb };
  let pssKb: number | undefined;
  try {
    pssKb = parseSmapsRollupPss(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    // Another user's process without the right to read its mappings, or gone meanwhile.
  }
  return pssKb === undefined ? { rssKb: memory.rssKb } : { rssKb: memory.rssKb, pssKb };
}

/** A process's command line, split into its arguments. */
export function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** CPU seconds the whole machine has been busy (all cores, every process), from /proc/stat. */
export function machineBusySeconds(): number | undefined {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number) as number[];
    return (
      ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) /
      ticksPerSecond()
    );
  } catch {
    return undefined;
  }
}

/** This process's CPU seconds (user + system). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function listeningInode(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local_address is "<hex ip>:<hex port>"; state 0A is LISTEN; column 9 is the inode.
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A') return columns[9];
    }
  }
  return undefined;
}

/** The pid of the process listening on 127.0.0.1:`port` (Linux only; undefined elsewhere). */
export function pidListeningOn(port: number): number | undefined {
  const inode = listeningInode(port);
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return undefined;
}

export function portOf(address: string): number {
  const port = Number(/:(\d+)(?:\/.*)?$/.exec(address)?.[1]);
  if (!Number.isInteger(port)) throw new Error(`no port in ${address}`);
  return port;
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryMb: number;
  platform: string;
  node: string;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
