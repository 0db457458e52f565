// `npm start` as a new user runs it: from a fresh copy of the repository inside a directory
// others cannot enter (root's home is mode 0700), with the embedded PostgreSQL (which runs as
// the `postgres` user when we are root); killed outright, it leaves no server behind; and a
// second `npm start` on the same clone is refused while one runs.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../dev/supervisor';
import { eventually } from './support/harness';

const ROOT = path.resolve(__dirname, '..');

interface NpmStart {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `npm start` in `clone`, in its own process group as in a terminal; Ctrl-C is SIGINT to it. */
function npmStart(clone: string): NpmStart {
  const env = { ...process.env };
  for (const name of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'PORT', 'API_TOKENS', 'NODE_ENV'])
    delete env[name];
  const child = spawn('npm', ['start'], {
    cwd: clone,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, output: () => output, exited };
}

async function running(start: NpmStart): Promise<string> {
  await eventually(
    () => start.output().includes('orderflow is running') || start.child.exitCode !== null,
    90_000,
    'orderflow is running',
  );
  if (!start.output().includes('orderflow is running'))
    throw new Error(`npm start ended:\n${start.output()}`);
  return /API\s+(http:\/\/\S+)/.exec(start.output())![1]!;
}

/** Ctrl-C in its terminal; true when it stopped everything in order (npm itself ends by the signal). */
/** Ctrl-C as a terminal sends it (to the whole process group); resolves with all it printed. */
async function ctrlC(start: NpmStart): Promise<string> {
  process.kill(-start.child.pid!, 'SIGINT');
  await start.exited;
  return start.output();
}

/** The pids the stack in `dataDir` recorded for its servers. */
function serverPids(dataDir: string): number[] {
  const file = path.join(dataDir, 'stack.pids');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { pid: number }).pid);
}

/** Processes whose command line names this file (a Temporal dev server on its sqlite). */
function processesUsing(file: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(file);
      } catch {
        return false;
      }
    })
    .map(Number);
}

let home: string;
let clone: string;
let dataDir: string;
const started: NpmStart[] = [];

beforeAll(() => {
  // A home as root's is: mode 0700 (mkdtemp makes it so), the clone inside it.
  home = mkdtempSync(path.join(os.tmpdir(), 'orderflow-home-'));
  clone = path.join(home, 'orderflow');
  mkdirSync(clone);
  // What a clone of this working tree holds (its uncommitted files too), with its packages.
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .split('\0')
    .filter((file) => file && existsSync(path.join(ROOT, file)));
  execFileSync('cp', ['--parents', '-t', clone, ...files], { cwd: ROOT });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  dataDir = path.join(clone, '.data');
});

afterEach(async () => {
  for (const start of started.splice(0))
    if (start.child.exitCode === null) await ctrlC(start).catch(() => undefined);
});

afterAll(() => {
  // A cluster kept outside the 0700 tree (dev/embedded.ts, postgresClusterDir) goes too.
  const cluster = path.join(dataDir, 'postgres');
  if (existsSync(cluster) && lstatSync(cluster).isSymbolicLink()) {
    const outside = readlinkSync(cluster);
    rmSync(outside, { recursive: true, force: true });
    rmSync(`${outside}.source`, { force: true });
  }
  rmSync(home, { recursive: true, force: true });
});

test('npm start comes up from a clone inside a 0700 directory, and Ctrl-C stops all of it', async () => {
  const start = npmStart(clone);
  started.push(start);
  const apiUrl = await running(start);
  expect((await fetch(`${apiUrl}/readyz`)).status).toBe(200);
  const servers = serverPids(dataDir);
  expect(servers.length).toBeGreaterThanOrEqual(2);

  expect(await ctrlC(start)).toContain('"msg":"stopped"');
  expect(servers.filter(isAlive)).toEqual([]);
  expect(existsSync(path.join(dataDir, 'stack.lock'))).toBe(false);
}, 150_000);

test('a killed npm start leaves no server behind, and a second npm start on the clone is refused', async () => {
  const first = npmStart(clone);
  started.push(first);
  await running(first);
  const supervisor = Number(readFileSync(path.join(dataDir, 'stack.lock'), 'utf8'));
  const firstServers = serverPids(dataDir);
  expect(firstServers.length).toBeGreaterThanOrEqual(2);

  // The terminal closes, the OOM killer strikes: no goodbye.
  process.kill(supervisor, 'SIGKILL');
  await first.exited;

  const second = npmStart(clone);
  started.push(second);
  await running(second);
  expect(firstServers.filter(isAlive)).toEqual([]);
  // One Temporal dev server on the clone's history store: the second one's.
  expect(processesUsing(path.join(dataDir, 'temporal.sqlite'))).toHaveLength(1);

  const third = npmStart(clone);
  started.push(third);
  expect(await third.exited).not.toBe(0);
  const owner = Number(readFileSync(path.join(dataDir, 'stack.lock'), 'utf8'));
  expect(third.output()).toContain(`another orderflow stack (pid ${owner}) is using ${dataDir}`);

  expect(await ctrlC(second)).toContain('"msg":"stopped"');
}, 240_000);
