// The embedded runtime: starts a Temporal dev server and FerretDB as child processes on free
// local ports, waits until each answers, and stops them cleanly. Binaries come from
// dev/install-tools.sh (or TEMPORAL_CLI / PATH for Temporal).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import mongoose from 'mongoose';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

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

function toolsDir(): string {
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

async function waitUntil(
  what: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    if (await ready()) return;
    await sleep(200);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s`);
}

export interface EmbeddedServer {
  stop(): Promise<void>;
}

function launch(binary: string, args: string[], logFile: string): ChildProcess & EmbeddedServer {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  // Own process group: a Ctrl-C in the terminal reaches only us, and we stop the servers
  // after the worker has drained. If we die without stopping them, the exit hook does.
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.once('close', () => log.end());
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killed = await Promise.race([
      exited.then(() => true),
      sleep(10_000, undefined, { ref: false }).then(() => false),
    ]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return Object.assign(child, { stop });
}

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
      '--log-level',
      'warn',
      ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
      ...Object.entries(ORDER_SEARCH_ATTRIBUTES).flatMap(([name, type]) => [
        '--search-attribute',
        `${name}=${type}`,
      ]),
    ],
    path.join(options.dataDir, 'temporal.log'),
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

export interface FerretDbServer extends EmbeddedServer {
  /** Base URI without a database name; append `/<db>`. */
  uri: string;
}

export async function startFerretDb(options: {
  dataDir: string;
  port?: number;
}): Promise<FerretDbServer> {
  const dataDir = path.join(options.dataDir, 'ferretdb');
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const child = launch(
    ferretdbBinary(),
    ['-listen-addr', `127.0.0.1:${port}`, '-sqlite-url', `file:${dataDir}/`, '-log-level', 'warn'],
    path.join(options.dataDir, 'ferretdb.log'),
  );
  const uri = `mongodb://127.0.0.1:${port}`;
  try {
    await waitUntil('FerretDB', child, () => mongoAnswers(uri), 30_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { uri, stop: child.stop };
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
