// The fault suite's system in cluster mode: orderflow's production topology (dev/cluster/
// topology.ts) — the Temporal server on its own PostgreSQL, per-vertical task queues with two
// grocery workers, two API processes behind nginx — and its levers: one of the two grocery
// workers killed (the other carries on) and started again, one API process killed (clients
// go on through nginx), the Temporal server restarted, its PostgreSQL restarted, and the
// database stopped when the cluster has its own. A process that exits without being killed
// is recorded; unlike the dev-server stack no process manager restarts it.

import path from 'node:path';
import type { SupervisedChild } from '../../dev/supervisor';
import { startCluster, type Cluster } from '../../dev/cluster/topology';
import type { FaultKind } from './plan';
import {
  faultSettings,
  tail,
  type Lever,
  type SystemUnderFault,
  type UnexpectedExit,
} from './stack';

export interface ClusterSystemOptions {
  /** A fresh directory: the servers' data, and every process's log under `logs/`. */
  dataDir: string;
  appClient: string;
  taskQueue: string;
  checkoutWaitSeconds: number;
  /** A database of the caller's (a MongoDB URI with its database name); none started then. */
  mongodbUri?: string;
  workflowBundlePath?: string;
  /** Milliseconds for the processes' records (e.g. since the load started). */
  clock: () => number;
  say: (line: string) => void;
}

/** The faults the cluster takes: every kind, but a database outage only on its own database. */
export function clusterFaultKinds(ownDatabase: boolean): FaultKind[] {
  return [
    'worker_kill',
    'api_kill',
    ...(ownDatabase ? (['database_outage'] as const) : []),
    'temporal_restart',
    'temporal_database_restart',
  ];
}

/** The grocery queue's two workers: a kill takes one of them, in turn. */
const GROCERY_WORKERS = ['worker-grocery-1', 'worker-grocery-2'] as const;

/**
 * Starts the cluster (it takes a while: the Temporal server's schema, then every process) and
 * answers it as a system under fault; the processes are up when this resolves.
 */
export async function prepareClusterSystem(
  options: ClusterSystemOptions,
): Promise<SystemUnderFault> {
  const { clock, say } = options;
  const { tokens, settings: shared } = faultSettings(options);
  const cluster: Cluster = await startCluster({
    dataDir: options.dataDir,
    env: { ...shared, ...(options.mongodbUri ? { MONGODB_URI: options.mongodbUri } : {}) },
    taskQueue: options.taskQueue,
    ui: false,
    prometheus: false,
    anyFreePorts: true,
    ...(options.mongodbUri ? { database: false as const } : {}),
    ...(options.workflowBundlePath ? { workflowBundlePath: options.workflowBundlePath } : {}),
  });
  say(
    `cluster up in ${(cluster.startupMs / 1000).toFixed(1)}s: nginx at ${cluster.apiUrl} → ${cluster.apiProcesses.length} APIs, ` +
      `Temporal server at ${cluster.temporal.address} on PostgreSQL, workers ${cluster.workers.map((w) => w.name).join(', ')}`,
  );

  const starts: Record<string, number> = {};
  const unexpectedExits: UnexpectedExit[] = [];
  /** Processes the suite killed or the cluster is stopping: their exit is no crash. */
  const expected = new Set<SupervisedChild>();
  let stopping = false;
  const watch = (name: string, child: SupervisedChild) => {
    starts[name] = (starts[name] ?? 0) + 1;
    void child.exited.then(({ code, signal }) => {
      if (stopping || expected.has(child)) return;
      unexpectedExits.push({
        service: name,
        atMs: clock(),
        code,
        signal,
        wasReady: true,
        logTail: tail(path.join(options.dataDir, 'logs', `${name}.log`), 1500),
      });
      say(`${name} exited on its own (code ${code}, signal ${signal}): see its log`);
    });
  };
  const kill = async (child: SupervisedChild) => {
    expected.add(child);
    await child.kill();
  };
  for (const worker of cluster.workers) watch(worker.name, worker.process);
  cluster.apiProcesses.forEach((api, i) => watch(`api-${i + 1}`, api.process));

  /** Kills one process of a pair in turn, and starts it again on `up`. */
  const oneOfTwo = (
    names: readonly string[],
    process: (name: string) => SupervisedChild,
    restart: (name: string) => Promise<SupervisedChild>,
  ): Lever => {
    let turn = 0;
    let killed: string | undefined;
    return {
      down: async () => {
        killed = names[turn++ % names.length]!;
        say(`killing ${killed} (pid ${process(killed).pid})`);
        await kill(process(killed));
      },
      up: async () => {
        if (!killed) return;
        watch(killed, await restart(killed));
        killed = undefined;
      },
    };
  };
  const workerNamed = (name: string) => cluster.workers.find((w) => w.name === name)!;
  const apiIndex = (name: string) => Number(name.replace('api-', ''));
  const { temporal, database } = cluster;
  const levers: Partial<Record<FaultKind, Lever>> = {
    worker_kill: oneOfTwo(
      GROCERY_WORKERS,
      (name) => workerNamed(name).process,
      async (name) => (await cluster.restartWorker(name)).process,
    ),
    api_kill: oneOfTwo(
      cluster.apiProcesses.map((_, i) => `api-${i + 1}`),
      (name) => cluster.apiProcesses[apiIndex(name) - 1]!.process,
      async (name) => {
        await cluster.restartApi(apiIndex(name));
        return cluster.apiProcesses[apiIndex(name) - 1]!.process;
      },
    ),
    temporal_restart: { down: () => temporal.stopServer(), up: () => temporal.startServer() },
    temporal_database_restart: {
      down: () => temporal.stopPostgres(),
      up: () => temporal.startPostgres(),
    },
    ...(database ? { database_outage: { down: database.stop, up: database.start } } : {}),
  };
  return {
    topology: 'cluster',
    apiUrl: cluster.apiUrl,
    tokens,
    settings: {
      ...shared,
      MONGODB_URI: cluster.mongodbUri,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: cluster.taskQueues.taskQueue,
      TEMPORAL_TASK_QUEUE_LAYOUT: cluster.taskQueues.queueLayout,
    },
    databaseBackend: cluster.databaseBackend ?? `a database of the caller's`,
    levers,
    // The cluster's processes are up once startCluster has answered.
    start: async () => undefined,
    settled: async () => undefined,
    processes: () => ({ starts, unexpectedExits }),
    stop: async () => {
      stopping = true;
      await cluster.stop();
    },
  };
}
