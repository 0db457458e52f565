// The system under load: the embedded Temporal dev server and FerretDB (started here in a
// throwaway data dir, or given), and orderflow's API and worker — or the bare worker — as
// child processes of their own, so each one's CPU time can be read from /proc.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import mongoose from 'mongoose';
import { WAL_SQLITE_PRAGMAS, type EmbeddedServer } from '../../dev/embedded';
import { startEmbeddedStack } from '../../dev/stack';
import { spawnSupervised } from '../../dev/supervisor';
import { serviceArgs, type ServiceRuntime } from '../../dev/service-entry';
import type { OrderflowProcesses } from './driver';
import { commandLineOf, pidListeningOn, portOf } from './proc';

const ROOT = path.resolve(__dirname, '..', '..');

export interface Servers {
  temporalAddress: string;
  /** Base URI without a database name. */
  mongodbUri: string;
  /** Where logs of the processes started here go. */
  dataDir: string;
  /**
   * The servers' processes; the database's are FerretDB and, under it, its PostgreSQL (the
   * cluster's Temporal server keeps its own PostgreSQL: `temporal-postgres`).
   */
  pids: { temporal?: number; 'temporal-postgres'?: number; database?: number[] };
  /** FerretDB's storage: `sqlite` or `postgresql` (undefined: not FerretDB, or not found). */
  databaseBackend?: string;
  /** The cluster's own APIs and workers (a dev server's run spawns its own). */
  orderflow?: OrderflowProcesses;
  /** A plain client (no payload codec): starts bare workflows and reads histories. */
  client: Client;
  /** A connection to the database server, for its command counters. */
  admin: mongoose.Connection;
  stop(): Promise<void>;
}

/** Given servers are used as they are; otherwise embedded ones start in a temp data dir. */
export async function startServers(
  given: { temporalAddress: string; mongodbUri: string } | undefined,
  options: { keepData?: boolean; devServerWal?: boolean } = {},
): Promise<Servers> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-load-'));
  const started: EmbeddedServer[] = [];
  const stopStarted = async () => {
    for (const server of started.reverse()) await server.stop();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    let temporalAddress: string;
    let mongodbUri: string;
    if (given) {
      ({ temporalAddress, mongodbUri } = given);
    } else {
      const stack = await startEmbeddedStack({
        dataDir,
        attempts: 3,
        ...(options.devServerWal ? { temporal: { sqlitePragmas: WAL_SQLITE_PRAGMAS } } : {}),
      });
      started.push(stack);
      temporalAddress = stack.temporal!.address;
      mongodbUri = stack.database!.uri;
    }
    return await connectServers({ temporalAddress, mongodbUri, dataDir, stop: stopStarted });
  } catch (error) {
    await stopStarted();
    throw error;
  }
}

/**
 * Servers that run: a client for Temporal, a connection to the database's admin commands, and
 * the pids of the Temporal server (listening on its address), FerretDB and its PostgreSQL, with
 * `pids` added. `stop` closes the connections, then stops what `at.stop` stops.
 */
export async function connectServers(at: {
  temporalAddress: string;
  mongodbUri: string;
  dataDir: string;
  pids?: { 'temporal-postgres'?: number };
  orderflow?: OrderflowProcesses;
  stop(): Promise<void>;
}): Promise<Servers> {
  const connection = await Connection.connect({ address: at.temporalAddress });
  const admin = mongoose.createConnection(`${at.mongodbUri}/admin`);
  try {
    await admin.asPromise();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  const client = new Client({ connection, namespace: 'default' });
  const database = databaseProcesses(portOf(at.mongodbUri));
  return {
    temporalAddress: at.temporalAddress,
    mongodbUri: at.mongodbUri,
    dataDir: at.dataDir,
    pids: {
      temporal: pidListeningOn(portOf(at.temporalAddress)),
      database: database.pids,
      ...at.pids,
    },
    databaseBackend: database.backend,
    orderflow: at.orderflow,
    client,
    admin,
    async stop() {
      await admin.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await at.stop();
    },
  };
}

/** FerretDB's process and, when it stores in PostgreSQL, that server's postmaster. */
function databaseProcesses(port: number): { pids?: number[]; backend?: string } {
  const ferret = pidListeningOn(port);
  if (ferret === undefined) return {};
  const args = commandLineOf(ferret);
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const backend = option('-handler');
  const postgresUrl = option('-postgresql-url');
  const postgres = postgresUrl ? pidListeningOn(portOf(new URL(postgresUrl).host)) : undefined;
  return { pids: postgres === undefined ? [ferret] : [ferret, postgres], backend };
}

/** Commands the database server has run, by name, since it started (FerretDB and MongoDB). */
export async function databaseCommandCounts(
  admin: mongoose.Connection,
): Promise<Record<string, number> | undefined> {
  try {
    const status = (await admin.db!.admin().command({ serverStatus: 1 })) as {
      metrics?: { commands?: Record<string, { total?: number | { toNumber(): number } }> };
    };
    const commands = status.metrics?.commands;
    if (!commands) return undefined;
    const counts: Record<string, number> = {};
    for (const [name, entry] of Object.entries(commands)) {
      const total = entry?.total;
      if (total !== undefined) counts[name] = typeof total === 'number' ? total : total.toNumber();
    }
    return counts;
  } catch {
    return undefined;
  }
}

export interface ChildService {
  name: string;
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** SIGTERM (the process drains), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs an entry point of this repository (its .ts path) in its own Node process, as `runtime`
 * says (dev/service-entry.ts: compiled or through tsx, profiled or not).
 */
export function spawnService(
  name: string,
  script: string,
  env: Record<string, string>,
  logDir: string,
  runtime: ServiceRuntime = {},
): ChildService {
  const service = spawnSupervised(process.execPath, serviceArgs(name, script, runtime), {
    logFile: path.join(logDir, `${name}.log`),
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
  });
  return {
    name,
    pid: service.pid,
    exited: service.exited.then(() => undefined),
    stop: (graceMs = 25_000) => service.stop(graceMs),
  };
}

/** Waits until `probe` holds, failing early when the service exits, or after `timeoutMs`. */
export async function waitUntilReady(
  service: ChildService,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  logDir: string,
): Promise<void> {
  let gone = false;
  void service.exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone)
      throw new Error(
        `${service.name} exited while starting; see ${path.join(logDir, `${service.name}.log`)}`,
      );
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs / 1000}s`);
}

/** Whether workers poll both the workflow and the activity side of `taskQueue`. */
export async function workersPolling(client: Client, taskQueue: string): Promise<boolean> {
  const { TaskQueueType } = proto.api.enums.v1;
  for (const taskQueueType of [
    TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  ]) {
    const described = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType,
    });
    if ((described.pollers ?? []).length === 0) return false;
  }
  return true;
}
