// The one process supervisor of the dev tools (npm start, the tests, the load generator, the
// fault suite): spawns a child with its output in a log file and stops it with its stop
// signal, then SIGKILL after a grace. No child outlives the supervisor: on Linux each one is
// started through util-linux's `setpriv --pdeathsig`, so the kernel sends it its stop signal
// the moment the supervisor dies, even by SIGKILL; and a data directory's servers are listed
// in `<dataDir>/stack.pids`, so the next start stops any that still run (where setpriv is
// missing). `lockDataDir` keeps two stacks off one data directory.

import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnOptions {
  /** The child's stdout and stderr are appended here. */
  logFile: string;
  /** Sent by stop() and, when the supervisor dies, by the kernel. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** Run as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Record the child in this data directory's pid list, for the next start to find. */
  pidsOf?: string;
  /** Called with each chunk of stdout, e.g. to spot a readiness line. */
  onStdout?: (chunk: Buffer) => void;
  /** Written to the log before the child starts. */
  banner?: string;
}

export interface SupervisedChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit once the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly running: boolean;
  /** The stop signal (the child winds down), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash would. */
  kill(): Promise<void>;
}

let setprivPath: string | null | undefined;

/** util-linux's setpriv when it is installed and can set the parent-death signal. */
function setpriv(): string | undefined {
  if (setprivPath === undefined) {
    setprivPath =
      process.platform === 'linux'
        ? (['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null)
        : null;
  }
  return setprivPath ?? undefined;
}

/**
 * `command` and `args` wrapped so the kernel sends `signal` to the child when this process dies,
 * however it dies (util-linux's setpriv execs the command: the child keeps its pid). Unwrapped
 * where setpriv is missing.
 */
export function diesWithParent(
  command: string,
  args: string[],
  signal: NodeJS.Signals,
): [string, string[]] {
  const wrapper = setpriv();
  return wrapper
    ? [wrapper, ['--pdeathsig', signal.replace(/^SIG/, ''), '--', command, ...args]]
    : [command, args];
}

/**
 * Spawns `command` in its own process group (a Ctrl-C in the terminal reaches only the
 * supervisor, which stops its children in order: the servers after the worker has drained) and
 * ties its life to ours: through setpriv the kernel signals it when we die, however we die, and
 * an exit hook does when we exit.
 */
export function spawnSupervised(
  command: string,
  args: string[],
  options: SpawnOptions,
): SupervisedChild {
  const stopSignal = options.stopSignal ?? 'SIGTERM';
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  if (options.banner) log.write(options.banner);
  const [file, argv] = diesWithParent(command, args, stopSignal);
  const child = spawn(file, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: options.env ?? process.env,
    cwd: options.cwd,
    ...options.user,
  });
  if (child.pid === undefined) {
    log.end();
    throw new Error(`${command} did not start`);
  }
  const pid = child.pid;
  const pids = options.pidsOf ? new PidList(options.pidsOf) : undefined;
  pids?.add(pid, command);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      pids?.remove(pid);
      resolve({ code, signal });
    }),
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    options.onStdout?.(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  child.once('close', () => log.end());
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid,
    exited,
    get running() {
      return running();
    },
    async stop(graceMs = 10_000) {
      if (!running()) return;
      child.kill(stopSignal);
      const done = await Promise.race([
        exited.then(() => true),
        sleep(graceMs, false, { ref: false }),
      ]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Whether a process with this id exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or undefined when it is gone (or there is no /proc). */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

interface PidEntry {
  pid: number;
  command: string;
}

/** The servers a stack started in `dataDir`, as its pid list records them. */
export function supervisedProcesses(dataDir: string): PidEntry[] {
  return new PidList(dataDir).read();
}

/** `<dataDir>/stack.pids`: the servers a stack started there, one JSON entry per line. */
class PidList {
  readonly file: string;
  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'stack.pids');
  }
  read(): PidEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as PidEntry];
        } catch {
          return [];
        }
      });
  }
  private write(entries: PidEntry[]): void {
    writeFileSync(this.file, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  add(pid: number, command: string): void {
    this.write([...this.read(), { pid, command }]);
  }
  remove(pid: number): void {
    if (existsSync(this.file)) this.write(this.read().filter((e) => e.pid !== pid));
  }
}

/**
 * Stops what an earlier stack on `dataDir` left running (it died before stopping its servers):
 * each listed process still alive that runs the listed command (a reused pid is left alone)
 * gets SIGTERM, then SIGKILL after `graceMs`. Returns the pids it stopped.
 */
export async function stopOrphans(dataDir: string, graceMs = 10_000): Promise<number[]> {
  const list = new PidList(dataDir);
  const orphans = list
    .read()
    .filter((e) => isAlive(e.pid) && commandLine(e.pid)?.includes(e.command));
  for (const { pid } of orphans) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (orphans.some((o) => isAlive(o.pid)) && Date.now() < deadline) await sleep(100);
  for (const { pid } of orphans) if (isAlive(pid)) signal(pid, 'SIGKILL');
  while (orphans.some((o) => isAlive(o.pid))) await sleep(50);
  rmSync(list.file, { force: true });
  return orphans.map((o) => o.pid);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone in between.
  }
}

/** A second stack asked for a data directory a running one holds. */
export class DataDirLocked extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `another orderflow stack (pid ${ownerPid}) is using ${dataDir}: stop it first (Ctrl-C in its terminal, or kill ${ownerPid})`,
    );
    this.name = 'DataDirLocked';
  }
}

/**
 * Holds `<dataDir>/stack.lock` (our pid) while a stack uses the directory, so two stacks never
 * share its servers' data. A lock whose owner is gone is taken over. Throws DataDirLocked when
 * a live process holds it. The lock goes when `release()` is called or the process exits.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'stack.lock');
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${mine}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner === process.pid) break;
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner))
        throw new DataDirLocked(dataDir, owner);
      // Its owner died without letting go (SIGKILL): take it over.
      rmSync(file, { force: true });
    }
  }
  const release = () => {
    process.removeListener('exit', release);
    try {
      if (readFileSync(file, 'utf8').trim() === mine) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.once('exit', release);
  return { release };
}
