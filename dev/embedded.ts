// The embedded runtime: starts a Temporal dev server and FerretDB (on SQLite, or on a private
// PostgreSQL cluster) as child processes on free local ports, waits until each answers, and
// stops them cleanly. Binaries come from dev/install-tools.sh (or TEMPORAL_CLI / PATH for
// Temporal) and, for PostgreSQL, from Debian's `postgresql` package.

import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { spawnSupervised } from './supervisor';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const FERRETDB_VERSION = 'v1.24.2';

const root = path.resolve(__dirname, '..');

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function toolsDir(): string {
  return process.env.ORDERFLOW_TOOLS_DIR ?? path.join(root, '.tools');
}

export function temporalBinary(): string {
  const candidates = [
    process.env.TEMPORAL_CLI,
    onPath('temporal'),
    path.join(toolsDir(), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal'),
  ];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found)
    throw new Error('no Temporal CLI: run `bash dev/install-tools.sh` (npm start and npm test do)');
  return found;
}

export function ferretdbBinary(): string {
  const binary = path.join(toolsDir(), `ferretdb-${FERRETDB_VERSION}`, 'ferretdb');
  if (!existsSync(binary))
    throw new Error('no FerretDB: run `bash dev/install-tools.sh` (npm start and npm test do)');
  return binary;
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The preferred port when it is free, else any free port. */
export async function preferPort(preferred: number): Promise<number> {
  const taken = await new Promise<boolean>((resolve) => {
    const socket = connect(preferred, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  return taken ? freePort() : preferred;
}

/**
 * Waits until `ready()`; throws when `child` exits first (with the end of its `logFile`, when
 * given: a run that cleans up its data leaves nothing else to say why) or after `timeoutMs`.
 */
export async function waitUntil(
  what: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  logFile?: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `${what} exited with code ${child.exitCode} while starting${logFile ? `; the end of its log:\n${tailOf(logFile)}` : ''}`,
      );
    if (await ready()) return;
    await sleep(200);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s`);
}

/** The last lines of a log file, or why there are none. */
function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(unreadable: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * Waits until `server` answers `probeUrl` with a status `accepted` takes; a server that does
 * not within `timeoutMs` (or exits first) is stopped, and the error thrown.
 */
export async function untilAnswering(
  what: string,
  server: ChildProcess & EmbeddedServer,
  probeUrl: string,
  timeoutMs: number,
  accepted: (status: number) => boolean = (status) => status >= 200 && status < 300,
): Promise<void> {
  const answers = async () => {
    try {
      const response = await fetch(probeUrl, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return accepted(response.status);
    } catch {
      return false;
    }
  };
  try {
    await waitUntil(what, server, answers, timeoutMs);
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface EmbeddedServer {
  stop(): Promise<void>;
}

interface LaunchOptions {
  /** Run as this user (PostgreSQL refuses to run as root). */
  user?: { uid: number; gid: number };
  /** Sent by stop() and when we die; SIGTERM by default (then SIGKILL). */
  stopSignal?: NodeJS.Signals;
  /** The data directory whose pid list records the server (dev/supervisor.ts). */
  dataDir: string;
  /** Variables set over this process's environment for the server. */
  env?: Readonly<Record<string, string>>;
}

/** A server under the supervisor (dev/supervisor.ts): it never outlives us. */
export function launch(
  binary: string,
  args: string[],
  logFile: string,
  options: LaunchOptions,
): ChildProcess & EmbeddedServer {
  const supervised = spawnSupervised(binary, args, {
    logFile,
    user: options.user,
    stopSignal: options.stopSignal,
    pidsOf: options.dataDir,
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  return Object.assign(supervised.child, { stop: () => supervised.stop(10_000) });
}

/**
 * The dev server's dynamic config, for checkout latency (docs/BENCHMARKS.md, "Checkout latency:
 * task handoffs"; docker-compose.yml's Temporal has the same in infra/temporal-dynamic-config.yaml).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  // The worker that completes a workflow task gets the activities it scheduled back in the
  // completion's answer (up to the SDK's 3 reserved slots), so authorisePayment starts at
  // once instead of going through the transfer queue, matching and an activity poll.
  'system.enableActivityEagerExecution': true,
  // The dev server has one history shard, whose transfer queue (which hands every new
  // workflow and activity task to matching) reads at most this many times a second: 20 by
  // default, a token bucket that one caller's back-to-back checkouts (~4 tasks each) drain,
  // after which each handoff waited for the next token, up to 50 ms. Reads only follow new
  // tasks, so a higher cap costs nothing when idle.
  'history.transferProcessorMaxPollRPS': 1000,
};

/**
 * The dev server keeps its state in one SQLite connection in SQLite's default rollback-journal
 * mode, where every write waits for its own syncs and one workflow's write holds up the next
 * workflow's dispatch. With these, a commit is an append to the write-ahead log (durable when
 * the server is killed, not when the machine loses power). Measured, not the default: the load
 * generator's `--dev-server-wal` (docs/BENCHMARKS.md, eighth round).
 */
export const WAL_SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

export interface TemporalDevServer extends EmbeddedServer {
  address: string;
  uiUrl: string;
}

export async function startTemporalDevServer(options: {
  dataDir: string;
  port?: number;
  uiPort?: number;
  /** The Web UI's codec server (`--ui-codec-endpoint`), e.g. `http://127.0.0.1:3000/codec`. */
  codecEndpoint?: string;
  /** Dynamic config values over DEV_SERVER_DYNAMIC_CONFIG's (`--dynamic-config-value`). */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Pragmas for the server's SQLite file (`--sqlite-pragma`), e.g. WAL_SQLITE_PRAGMAS. */
  sqlitePragmas?: Readonly<Record<string, string>>;
}): Promise<TemporalDevServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort ?? (await freePort());
  const child = launch(
    temporalBinary(),
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--db-filename',
      path.join(options.dataDir, 'temporal.sqlite'),
      ...Object.entries(options.sqlitePragmas ?? {}).flatMap(([pragma, value]) => [
        '--sqlite-pragma',
        `${pragma}=${value}`,
      ]),
      '--log-level',
      'warn',
      ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
      ...Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig }).flatMap(
        ([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`],
      ),
      ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([name, type]) => [
        '--search-attribute',
        `${name}=${type}`,
      ]),
    ],
    path.join(options.dataDir, 'temporal.log'),
    { dataDir: options.dataDir },
  );
  const address = `127.0.0.1:${port}`;
  try {
    await waitUntil('the Temporal dev server', child, () => temporalAnswers(address), 60_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, stop: child.stop };
}

async function temporalAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/**
 * The Go runtime's settings for the embedded FerretDB. Each of its commands is a millisecond or
 * two of Go between two sockets; with a scheduler thread per core, Go spent much of FerretDB's
 * CPU waking, spinning and parking threads between them (`perf` under the load generator:
 * sysmon, findRunnable, futex), on cores the API, the worker and Temporal share. One thread
 * took 15–50 % off its CPU per command, most at one caller; its latency moved within noise
 * (`npm run bench:ferretdb-runtime`; docs/BENCHMARKS.md, "Tenth round").
 */
export const FERRETDB_GO_RUNTIME: Readonly<Record<string, string>> = { GOMAXPROCS: '1' };

/** The storage FerretDB 1.x runs on. */
export type EmbeddedDbBackend = 'postgresql' | 'sqlite';
export const EMBEDDED_DB_BACKENDS: readonly EmbeddedDbBackend[] = ['postgresql', 'sqlite'];

/**
 * The embedded database's backend when nothing chooses one: at 10 concurrent callers PostgreSQL
 * measured 4–100× faster than SQLite for everything orderflow asks of it but inserts, since
 * FerretDB on SQLite pushes down only `{_id}` filters (docs/BENCHMARKS.md, "Database
 * backends"). Without PostgreSQL's binaries it falls back to SQLite with a warning.
 */
export const DEFAULT_EMBEDDED_DB_BACKEND: EmbeddedDbBackend = 'postgresql';

/**
 * `EMBEDDED_DB_BACKEND` (`postgresql` or `sqlite`): a setting of the dev tools (npm start, the
 * tests, the benchmarks), not of orderflow, which only sees MONGODB_URI. Undefined when unset.
 */
export function embeddedDbBackendFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): EmbeddedDbBackend | undefined {
  const value = env.EMBEDDED_DB_BACKEND?.trim();
  if (!value) return undefined;
  if (!(EMBEDDED_DB_BACKENDS as readonly string[]).includes(value))
    throw new Error(
      `EMBEDDED_DB_BACKEND must be one of ${EMBEDDED_DB_BACKENDS.join(', ')}, not ${JSON.stringify(value)}`,
    );
  return value as EmbeddedDbBackend;
}

const POSTGRES_MISSING =
  "PostgreSQL's server binaries (initdb, postgres) were not found in /usr/lib/postgresql/*/bin or on PATH: install Debian's `postgresql` package (apt-get install -y postgresql)";

/**
 * The backend to use: the one asked for, else EMBEDDED_DB_BACKEND, else SQLite when `dataDir`
 * already holds SQLite data and no PostgreSQL cluster (a `.data/` from before PostgreSQL was
 * the default keeps its orders), else the default. A PostgreSQL that was asked for but is not
 * installed is an error; a defaulted one falls back to SQLite with a warning.
 */
export function resolveEmbeddedDbBackend(options: {
  dataDir: string;
  backend?: EmbeddedDbBackend;
}): EmbeddedDbBackend {
  const chosen = options.backend ?? embeddedDbBackendFromEnv();
  if (chosen === 'postgresql' && !postgresBinDir())
    throw new Error(`${POSTGRES_MISSING}, or set EMBEDDED_DB_BACKEND=sqlite`);
  if (chosen) return chosen;
  const sqliteDir = path.join(options.dataDir, 'ferretdb');
  const hasSqliteData =
    existsSync(sqliteDir) && readdirSync(sqliteDir).some((f) => f.endsWith('.sqlite'));
  if (hasSqliteData && !existsSync(path.join(options.dataDir, 'postgres'))) return 'sqlite';
  if (DEFAULT_EMBEDDED_DB_BACKEND === 'postgresql' && !postgresBinDir()) {
    process.stderr.write(
      `orderflow: warning: ${POSTGRES_MISSING}; FerretDB runs on SQLite instead, many times slower for anything but inserts (set EMBEDDED_DB_BACKEND=sqlite to silence this)\n`,
    );
    return 'sqlite';
  }
  return DEFAULT_EMBEDDED_DB_BACKEND;
}

export interface FerretDbServer extends EmbeddedServer {
  /** Base URI without a database name; append `/<db>`. */
  uri: string;
  backend: EmbeddedDbBackend;
}

/**
 * FerretDB on `backend` (see resolveEmbeddedDbBackend). On PostgreSQL it uses `postgresUrl`,
 * or starts a private cluster in `<dataDir>/postgres` and stops it after FerretDB.
 */
export async function startFerretDb(options: {
  dataDir: string;
  port?: number;
  backend?: EmbeddedDbBackend;
  /** A PostgreSQL database for FerretDB, e.g. `postgres://postgres@127.0.0.1:5432/ferretdb`. */
  postgresUrl?: string;
  /** Go runtime variables for FerretDB (FERRETDB_GO_RUNTIME unless given; `{}` for Go's own). */
  goRuntime?: Readonly<Record<string, string>>;
}): Promise<FerretDbServer> {
  const backend = options.postgresUrl
    ? (options.backend ?? 'postgresql')
    : resolveEmbeddedDbBackend(options);
  mkdirSync(options.dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  let postgres: PostgresServer | undefined;
  let backendArgs: string[];
  if (backend === 'postgresql') {
    let postgresUrl = options.postgresUrl;
    if (!postgresUrl) {
      postgres = await startPostgres({ dataDir: options.dataDir });
      postgresUrl = postgres.url;
    }
    backendArgs = ['-handler', 'postgresql', '-postgresql-url', postgresUrl];
  } else {
    const dataDir = path.join(options.dataDir, 'ferretdb');
    mkdirSync(dataDir, { recursive: true });
    backendArgs = ['-handler', 'sqlite', '-sqlite-url', `file:${dataDir}/`];
  }
  const child = launch(
    ferretdbBinary(),
    ['-listen-addr', `127.0.0.1:${port}`, ...backendArgs, '-log-level', 'warn'],
    path.join(options.dataDir, 'ferretdb.log'),
    { dataDir: options.dataDir, env: options.goRuntime ?? FERRETDB_GO_RUNTIME },
  );
  const stop = async () => {
    await child.stop();
    await postgres?.stop();
  };
  const uri = `mongodb://127.0.0.1:${port}`;
  try {
    await waitUntil('FerretDB', child, () => mongoAnswers(uri), 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { uri, backend, stop };
}

/** Debian's PostgreSQL server binaries (the newest installed), else those on PATH. */
export function postgresBinDir(): string | undefined {
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => existsSync(path.join(debian, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(debian, versions[0], 'bin');
  const initdb = onPath('initdb');
  return initdb && existsSync(path.join(path.dirname(initdb), 'postgres'))
    ? path.dirname(initdb)
    : undefined;
}

export interface PostgresServer extends EmbeddedServer {
  /** URL of the `ferretdb` database (or the one asked for), superuser `postgres`, no password. */
  url: string;
  port: number;
}

const run = promisify(execFile);

/**
 * A private PostgreSQL cluster in `<dataDir>/postgres` (or where postgresClusterDir puts it
 * when the `postgres` user cannot reach that), made once (initdb), listening on
 * 127.0.0.1 only (trust auth: nothing else on the machine is let in by address, and the socket
 * is inside the data directory), with a `ferretdb` database. As root it runs as the
 * `postgres` user, which owns the cluster. Stopped with a fast shutdown (SIGINT).
 *
 * The `ferretdb` database gets, at every start, GIN siblings of FerretDB's indexes
 * (dev/ferretdb-gin-indexes.sql): without them every FerretDB query scans its table.
 * `ginIndexes: false` leaves them out, only for measuring what they change (bench/db-growth.ts).
 */
export async function startPostgres(options: {
  dataDir: string;
  port?: number;
  ginIndexes?: boolean;
  /** The database made at start (default `ferretdb`); the GIN indexes are FerretDB's only. */
  database?: string;
}): Promise<PostgresServer> {
  const database = options.database ?? 'ferretdb';
  const bin = postgresBinDir();
  if (!bin) throw new Error(POSTGRES_MISSING);
  mkdirSync(options.dataDir, { recursive: true });
  const user = postgresUser();
  const cluster = postgresClusterDir(options.dataDir, user);
  if (!existsSync(path.join(cluster, 'PG_VERSION'))) {
    mkdirSync(cluster, { recursive: true, mode: 0o700 });
    if (user) chownSync(cluster, user.uid, user.gid);
    await run(
      path.join(bin, 'initdb'),
      [
        '-D',
        cluster,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { cwd: cluster, ...user },
    ).catch((error: unknown) => {
      throw new Error(
        `initdb failed in ${cluster}: ${(error as { stderr?: string }).stderr ?? error}`,
      );
    });
    const hba = path.join(cluster, 'pg_hba.conf');
    writeFileSync(
      hba,
      "# orderflow's private cluster: the socket in this directory and 127.0.0.1 only.\n" +
        'local all all trust\nhost all all 127.0.0.1/32 trust\n',
    );
    if (user) chownSync(hba, user.uid, user.gid);
  }
  if (existsSync(path.join(cluster, 'postmaster.pid'))) {
    // Left running by a run that was killed outright (SIGKILL skips our exit hook): stop it,
    // or the new postmaster refuses the data directory. A stale pid file alone is harmless.
    await run(path.join(bin, 'pg_ctl'), ['stop', '-D', cluster, '-m', 'fast', '-w', '-t', '30'], {
      cwd: cluster,
      ...user,
    }).catch(() => undefined);
  }
  const port = options.port ?? (await freePort());
  const socketDir = path.join(cluster, '.s.PGSQL.65535').length < 104 ? cluster : '';
  const child = launch(
    path.join(bin, 'postgres'),
    // The socket goes inside the cluster, unless that path is too long for a socket (then TCP only).
    ['-D', cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', socketDir],
    path.join(options.dataDir, 'postgres.log'),
    { ...(user ? { user } : {}), stopSignal: 'SIGINT', dataDir: options.dataDir },
  );
  const psql = (database: string, ...args: string[]) =>
    run(path.join(bin, 'psql'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-tA',
      ...args,
    ]);
  try {
    const ready = () =>
      run(path.join(bin, 'pg_isready'), [
        '-q',
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
      ]).then(
        () => true,
        () => false,
      );
    await waitUntil('PostgreSQL', child, ready, 60_000);
    const { stdout } = await psql(
      'postgres',
      '-c',
      `SELECT 1 FROM pg_database WHERE datname = '${database}'`,
    );
    if (stdout.trim() !== '1') await psql('postgres', '-c', `CREATE DATABASE "${database}"`);
    if (database === 'ferretdb' && options.ginIndexes !== false)
      await psql('ferretdb', '-q', '-f', path.join(root, 'dev', 'ferretdb-gin-indexes.sql'));
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, port, stop: child.stop };
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      "running as root, PostgreSQL needs the `postgres` user to own its cluster, and there is none: install Debian's `postgresql` package (apt-get install -y postgresql)",
    );
  }
}

/** Where clusters live whose data directory the `postgres` user cannot reach. */
const OUTSIDE_CLUSTERS_DIR = '/var/lib/orderflow/postgres';

/**
 * The cluster's directory for `dataDir`: `<dataDir>/postgres`, unless we run as root and the
 * `postgres` user cannot reach it (a clone in root's home, mode 0700, or under any parent
 * others cannot enter). Then the cluster lives in OUTSIDE_CLUSTERS_DIR, in a directory named
 * by a hash of `dataDir`'s real path (`<hash>.source` beside it names that path), owned by
 * `postgres`, and `<dataDir>/postgres` is a symlink to it: .data stays where users look, and
 * nobody is asked to open their home to others.
 */
export function postgresClusterDir(
  dataDir: string,
  user: { uid: number; gid: number } | undefined = postgresUser(),
): string {
  mkdirSync(dataDir, { recursive: true });
  const real = realpathSync(dataDir);
  const local = path.join(real, 'postgres');
  const linked = lstatIfAny(local);
  if (linked?.isSymbolicLink()) return path.resolve(real, readlinkSync(local));
  if (!user || linked) return local;
  if (othersCanEnterParentsOf(real)) {
    // Our own data dir (a 0700 temp dir, say) only needs to let others through: o+x, no listing.
    const mode = statSync(real).mode;
    if (!(mode & 0o001)) chmodSync(real, (mode & 0o7777) | 0o001);
    return local;
  }
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 16);
  const outside = path.join(OUTSIDE_CLUSTERS_DIR, hash);
  mkdirSync(OUTSIDE_CLUSTERS_DIR, { recursive: true, mode: 0o755 });
  writeFileSync(`${outside}.source`, `${real}\n`);
  symlinkSync(outside, local);
  return outside;
}

function lstatIfAny(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

/** Whether every directory above `dir` is searchable by others (the `postgres` user). */
function othersCanEnterParentsOf(dir: string): boolean {
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    if (!(statSync(parent).mode & 0o001)) return false;
    if (parent === path.dirname(parent)) return true;
  }
}

async function mongoAnswers(uri: string): Promise<boolean> {
  const connection = mongoose.createConnection(`${uri}/admin`, { serverSelectionTimeoutMS: 500 });
  try {
    await connection.asPromise();
    await connection.db?.admin().command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
