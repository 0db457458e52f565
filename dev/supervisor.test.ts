import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLocked, isAlive, lockDataDir, spawnSupervised, stopOrphans } from './supervisor';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-supervisor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A process of another owner, alive until killed. */
function otherProcess() {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  return { pid: child.pid!, end: () => child.kill('SIGKILL') };
}

describe('lockDataDir', () => {
  test('holds the directory with our pid and lets go on release', () => {
    const lock = lockDataDir(dir);
    expect(readFileSync(path.join(dir, 'stack.lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(existsSync(path.join(dir, 'stack.lock'))).toBe(false);
  });

  test('refuses a directory a live process holds, naming it', () => {
    const owner = otherProcess();
    try {
      writeFileSync(path.join(dir, 'stack.lock'), `${owner.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(DataDirLocked);
      expect(() => lockDataDir(dir)).toThrow(
        `another orderflow stack (pid ${owner.pid}) is using ${dir}`,
      );
    } finally {
      owner.end();
    }
  });

  test('takes over a lock whose owner died', async () => {
    const owner = otherProcess();
    owner.end();
    while (isAlive(owner.pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(path.join(dir, 'stack.lock'), `${owner.pid}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(path.join(dir, 'stack.lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});

describe('stopOrphans', () => {
  test('stops the listed servers still running and forgets the list', async () => {
    const server = spawnSupervised('sleep', ['60'], {
      logFile: path.join(dir, 'sleep.log'),
      pidsOf: dir,
    });
    expect(readFileSync(path.join(dir, 'stack.pids'), 'utf8')).toContain(`"pid":${server.pid}`);
    expect(await stopOrphans(dir, 2000)).toEqual([server.pid]);
    await server.exited;
    expect(isAlive(server.pid)).toBe(false);
    expect(existsSync(path.join(dir, 'stack.pids'))).toBe(false);
  });

  test('leaves alone a listed pid that now runs something else', async () => {
    const other = otherProcess();
    try {
      writeFileSync(
        path.join(dir, 'stack.pids'),
        `${JSON.stringify({ pid: other.pid, command: '/opt/temporal' })}\n`,
      );
      expect(await stopOrphans(dir, 500)).toEqual([]);
      expect(isAlive(other.pid)).toBe(true);
    } finally {
      other.end();
    }
  });
});

test('a supervised child stops on its stop signal, then SIGKILL after the grace', async () => {
  // `sh` ignoring SIGTERM: only the SIGKILL after the grace ends it.
  let trapped: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (trapped = resolve));
  const stubborn = spawnSupervised(
    'sh',
    ['-c', 'trap "" TERM; echo trapped; while :; do sleep 0.1; done'],
    {
      logFile: path.join(dir, 'sh.log'),
      onStdout: () => trapped(),
    },
  );
  await ready;
  const began = Date.now();
  await stubborn.stop(300);
  expect(Date.now() - began).toBeGreaterThanOrEqual(300);
  expect((await stubborn.exited).signal).toBe('SIGKILL');
});
