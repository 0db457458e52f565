// The system under load in cluster mode (`npm run bench -- --cluster`): orderflow's production
// topology of dev/cluster/topology.ts in a throwaway data dir — the Temporal server on its own
// PostgreSQL, FerretDB on PostgreSQL (or a given database), per-vertical task queues with two
// grocery workers and one per other lane, two APIs behind nginx — with the run's settings (the
// services compiled or through tsx, profiled or not). No Web UI and no Prometheus: they serve no
// order. Each role's processes are measured together.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_WORKERS, startCluster, type Cluster } from '../../dev/cluster/topology';
import { VERTICALS } from '../../domain/order';
import type { WorkerLane } from '../../infra/task-queues';
import type { OrderflowProcesses, Pids, ProcessName } from './driver';
import { orderflowSettings } from './orderflow-env';
import type { LoadOptions } from './plan';
import { pidListeningOn } from './proc';
import { connectServers, type Servers } from './runtime';

export async function startClusterServers(
  options: LoadOptions,
  runId: string,
  given: { mongodbUri?: string } = {},
): Promise<Servers> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-load-cluster-'));
  const databaseName = `load_${runId}`;
  const { env, appToken, adminToken } = orderflowSettings(options);
  let cluster: Cluster | undefined;
  const stop = async () => {
    await cluster?.stop();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    cluster = await startCluster({
      dataDir,
      env: given.mongodbUri ? { ...env, MONGODB_URI: `${given.mongodbUri}/${databaseName}` } : env,
      taskQueue: `orders-load-${runId}`,
      database: given.mongodbUri ? false : {},
      databaseName,
      ui: false,
      prometheus: false,
      anyFreePorts: true,
      ...(options.cluster?.workers === 'shared' ? { workers: SHARED_WORKERS } : {}),
      runtime: { compiledRoot: options.compiledRoot, cpuProfileDir: options.cpuProfileDir },
    });
    const orderflow: OrderflowProcesses = {
      apiUrl: cluster.apiUrl,
      appToken,
      adminToken,
      pids: orderflowPids(cluster),
      workerMetricsUrls: cluster.workers.map((worker) => worker.metricsUrl),
      stop: stopOrderflowProcesses(cluster),
    };
    const temporalPostgres = pidListeningOn(cluster.temporal.postgresPort);
    return await connectServers({
      temporalAddress: cluster.temporal.address,
      mongodbUri: given.mongodbUri ?? cluster.mongodbUri.slice(0, -`/${databaseName}`.length),
      dataDir,
      pids: temporalPostgres === undefined ? {} : { 'temporal-postgres': temporalPostgres },
      orderflow,
      stop,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Which group a worker process is measured in: by its first lane (`worker-grocery`: both
 * grocery workers), or `worker` when it serves more than one vertical (as the dev server's).
 */
export function workerGroup(lanes: readonly WorkerLane[]): ProcessName {
  const verticals = lanes.filter((lane) => (VERTICALS as readonly string[]).includes(lane));
  return verticals.length > 1 ? 'worker' : `worker-${lanes[0]!}`;
}

/** The APIs, nginx, and the workers in their groups (workerGroup). */
function orderflowPids(cluster: Cluster): Pids {
  const pids: Pids = {
    api: cluster.apiProcesses.map(({ process }) => process.pid),
    nginx: cluster.proxyPid,
  };
  for (const worker of cluster.workers) {
    const group = workerGroup(worker.lanes);
    const known = pids[group];
    pids[group] = [...(known === undefined ? [] : [known].flat()), worker.process.pid];
  }
  return pids;
}

/**
 * Stops the APIs, then the workers (they drain), as a dev server's run stops its API and
 * worker before the bare run: the bare workflow then has the servers to itself. The cluster's
 * stop() leaves the stopped ones alone.
 */
function stopOrderflowProcesses(cluster: Cluster): () => Promise<void> {
  return async () => {
    await Promise.all(cluster.apiProcesses.map(({ process }) => process.stop(15_000)));
    await Promise.all(cluster.workers.map(({ process }) => process.stop(30_000)));
  };
}
