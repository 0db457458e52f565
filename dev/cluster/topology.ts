// orderflow's production topology on one machine, every part a real server (docs/SCALING.md):
//   - the Temporal server on its own PostgreSQL cluster, with its Web UI server;
//   - FerretDB on PostgreSQL (npm start's database), unless MONGODB_URI names a MongoDB;
//   - task queues per vertical (TEMPORAL_TASK_QUEUE_LAYOUT=per-vertical): two grocery workers,
//     one hotel, one teleconsultation, and one for maintenance that also serves the old single
//     queue (orders started before the switch finish there);
//   - two API processes behind nginx;
//   - Prometheus scraping the APIs, every worker and the Temporal server (ops/prometheus/).
// Each process runs under the supervisor (dev/supervisor.ts: none outlives us) with its log in
// `<dataDir>/logs/`. `stop()` stops them in reverse: proxy, Prometheus, APIs, workers (they
// drain), servers.

import { WORKFLOW_INTERCEPTOR_MODULES } from '../../infra/telemetry/temporal-tracing';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import {
  type TaskQueueSettings,
  type WorkerLane,
  WORKER_LANES,
  workerTaskQueues,
} from '../../infra/task-queues';
import { startFerretDb, waitUntil, type EmbeddedDbBackend, type FerretDbServer } from '../embedded';
import { lockDataDir, spawnSupervised, stopOrphans, type SupervisedChild } from '../supervisor';
import { compileServices, serviceArgs, type ServiceRuntime } from '../service-entry';
import { portBook } from './ports';
import { startPrometheus, type PrometheusServer } from './prometheus';
import { startReverseProxy, type ReverseProxy } from './proxy';
import { startTemporalServer, type TemporalServer } from './temporal-server';
import { startUiServer, type UiServer } from './ui-server';

const ROOT = path.resolve(__dirname, '..', '..');

/** One worker process: its name and the lanes it polls. */
export interface WorkerSpec {
  name: string;
  lanes: readonly WorkerLane[];
}

/** The production shape: grocery carries most orders, so it gets two workers. */
const CLUSTER_WORKERS: readonly WorkerSpec[] = [
  { name: 'worker-grocery-1', lanes: ['grocery'] },
  { name: 'worker-grocery-2', lanes: ['grocery'] },
  { name: 'worker-hotel', lanes: ['hotel'] },
  { name: 'worker-teleconsultation', lanes: ['teleconsultation'] },
  { name: 'worker-maintenance', lanes: ['maintenance', 'app-events', 'legacy'] },
];

/**
 * Every lane in each of two processes: two of every lane (the per-lane layout has two for
 * grocery only) in fewer processes, for a deployment whose verticals are too small to fill a
 * process each (the load generator's `--cluster-workers shared` measures what the per-lane
 * layout costs).
 */
export const SHARED_WORKERS: readonly WorkerSpec[] = [1, 2].map((n) => ({
  name: `worker-shared-${n}`,
  lanes: WORKER_LANES,
}));

export interface ClusterOptions {
  /** Servers' data, rendered configs, logs; locked while the cluster runs. */
  dataDir: string;
  /** orderflow's settings for every API and worker process (tokens, keys, …). */
  env: Record<string, string>;
  /** The base task queue (TEMPORAL_TASK_QUEUE); default `orders`. */
  taskQueue?: string;
  workers?: readonly WorkerSpec[];
  /** API processes behind the proxy; default 2. */
  apis?: number;
  /** Temporal's Web UI server; default on. */
  ui?: boolean;
  /** FerretDB's backend; `false`: none (env.MONGODB_URI names the database). */
  database?: false | { backend?: EmbeddedDbBackend };
  /** The database name orderflow uses on the embedded FerretDB; default `orderflow`. */
  databaseName?: string;
  /** Prometheus (default on); `scrapeInterval` replaces ops/prometheus/'s 15 s. */
  prometheus?: false | { scrapeInterval?: string };
  /** Preferred ports (the next free one when taken): the proxy's, the Web UI's, Prometheus's. */
  preferredPorts?: { api?: number; ui?: number; prometheus?: number };
  /** Any free ports, none of the well-known ones (tests: an npm start may run beside them). */
  anyFreePorts?: boolean;
  /** A prebuilt workflow bundle (the tests' one); otherwise one is built in the data dir. */
  workflowBundlePath?: string;
  /**
   * How the APIs and workers run (dev/service-entry.ts): compiled, as production runs them —
   * from `compiledRoot` (the load generator compiles once per run) or compiled into
   * `compileInto` (inside the repository) while the servers start (npm run start:cluster) — or,
   * by default, through tsx (the tests).
   */
  runtime?: ServiceRuntime & { compileInto?: string };
}

export interface RunningWorker extends WorkerSpec {
  taskQueues: string[];
  metricsUrl: string;
  process: SupervisedChild;
}

export interface Cluster {
  /** The reverse proxy: where clients go. */
  apiUrl: string;
  /** nginx's master process. */
  proxyPid: number;
  apiProcesses: { url: string; process: SupervisedChild }[];
  temporal: TemporalServer;
  uiUrl?: string;
  prometheusUrl?: string;
  mongodbUri: string;
  databaseBackend?: EmbeddedDbBackend;
  /** The embedded database (absent with `database: false`), to stop and start again. */
  database?: { stop(): Promise<void>; start(): Promise<void> };
  workers: RunningWorker[];
  taskQueues: TaskQueueSettings;
  orphansStopped: number[];
  /**
   * Starts one more worker process with `env` over the cluster's settings (a rolling deploy's
   * new code: another WORKFLOW_BUNDLE_PATH); resolves once it polls every queue of its lanes.
   */
  addWorker(spec: WorkerSpec, env: Record<string, string>): Promise<RunningWorker>;
  /**
   * Starts the worker `name` again (after it was killed or stopped), with its settings, in
   * its place in `workers`; resolves once it polls every queue of its lanes.
   */
  restartWorker(name: string): Promise<RunningWorker>;
  /** Starts API process `index` (1-based) again on its port; resolves once it is ready. */
  restartApi(index: number): Promise<void>;
  /** Milliseconds from the call until everything answered. */
  startupMs: number;
  /** Of which: until Temporal (schema, namespace) and the database answered, bundle made. */
  serversMs: number;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const started = Date.now();
  const { dataDir } = options;
  const temporalDir = path.join(dataDir, 'temporal');
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // Every supervised child and the lock hook process 'exit' (dev/supervisor.ts): a dozen here.
  process.setMaxListeners(Math.max(process.getMaxListeners(), 50));
  const lock = lockDataDir(dataDir);
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    // Reverse order; each part even when one before it failed.
    for (const stopPart of stops.reverse()) await stopPart().catch(() => undefined);
    stops.length = 0;
    lock.release();
  };
  try {
    const orphansStopped = [...(await stopOrphans(dataDir)), ...(await stopOrphans(temporalDir))];
    const ports = portBook(dataDir, { anyFree: options.anyFreePorts });
    const taskQueues: TaskQueueSettings = {
      taskQueue: options.taskQueue ?? 'orders',
      queueLayout: 'per-vertical',
    };
    const bundlePath = options.workflowBundlePath ?? path.join(dataDir, 'workflow-bundle.js');
    // The database's settings are kept: a restart comes back on the same port and data.
    const databaseSettings =
      options.database === false
        ? undefined
        : {
            dataDir,
            port: await ports.take('ferretdb', 27017),
            backend: options.database?.backend,
          };

    // The servers, the workflow bundle every worker loads and the services' code, side by side.
    const [temporal, firstDatabase, , compiledRoot] = await allSettledOrThrow([
      startTemporalServer({ dataDir: temporalDir, ports }).then((server) => {
        stops.push(() => server.stop());
        return server;
      }),
      databaseSettings === undefined
        ? Promise.resolve(undefined)
        : startFerretDb(databaseSettings).then((server: FerretDbServer) => {
            stops.push(() => database?.stop() ?? Promise.resolve());
            return server;
          }),
      options.workflowBundlePath
        ? Promise.resolve()
        : bundleWorkflowCode({
            workflowsPath: require.resolve('../../workflows'),
            workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
            logger: quietBundlerLogger,
          }).then((bundle) => writeFileSync(bundlePath, bundle.code)),
      options.runtime?.compileInto
        ? compileServices(options.runtime.compileInto)
        : Promise.resolve(options.runtime?.compiledRoot),
    ] as const);

    const serversMs = Date.now() - started;
    let database: FerretDbServer | undefined = firstDatabase;
    const mongodbUri = database
      ? `${database.uri}/${options.databaseName ?? 'orderflow'}`
      : options.env.MONGODB_URI;
    if (!mongodbUri)
      throw new Error('no database: set MONGODB_URI or let the cluster start FerretDB');
    const proxyPort = await ports.take('proxy', options.preferredPorts?.api ?? 3000);
    const uiPort =
      options.ui === false ? undefined : await ports.take('ui', options.preferredPorts?.ui ?? 8233);
    const apiUrl = `http://127.0.0.1:${proxyPort}`;
    const uiUrl = uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`;
    const common: Record<string, string> = {
      ...options.env,
      MONGODB_URI: mongodbUri,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueues.taskQueue,
      TEMPORAL_TASK_QUEUE_LAYOUT: taskQueues.queueLayout,
      WORKFLOW_BUNDLE_PATH: bundlePath,
      ...(uiUrl ? { CODEC_CORS_ORIGINS: `${uiUrl},http://localhost:${uiPort}` } : {}),
      // The proxy on loopback sets X-Forwarded-For; nobody else is believed.
      TRUST_PROXY: 'loopback',
    };

    const place: ServicePlace = {
      logDir,
      dataDir,
      runtime: { cpuProfileDir: options.runtime?.cpuProfileDir, compiledRoot },
    };
    const workers: RunningWorker[] = [];
    /** What each worker was started with, to start it again the same way. */
    const workerEnvs = new Map<string, Record<string, string>>();
    const spawnWorker = (spec: WorkerSpec, env: Record<string, string>) =>
      spawnOrderflowProcess(spec.name, 'workers/order-worker.ts', { ...common, ...env }, place);
    /** Spawns a worker as `spec`, kept in `workers`; stopping the cluster stops its process. */
    const launchWorker = async (spec: WorkerSpec, extraEnv: Record<string, string> = {}) => {
      const metricsPort = await ports.take(`${spec.name}-metrics`);
      const env = {
        WORKER_TASK_QUEUES: spec.lanes.join(','),
        WORKER_METRICS_PORT: String(metricsPort),
        ...extraEnv,
      };
      workerEnvs.set(spec.name, env);
      const worker: RunningWorker = {
        ...spec,
        taskQueues: workerTaskQueues(taskQueues, spec.lanes),
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        process: spawnWorker(spec, env),
      };
      // The worker's process of the moment: a restart replaces it.
      stops.push(() => worker.process.stop(30_000));
      workers.push(worker);
      return worker;
    };
    for (const spec of options.workers ?? CLUSTER_WORKERS) await launchWorker(spec);
    const apiProcesses: Cluster['apiProcesses'] = [];
    const apiEnvs: Record<string, string>[] = [];
    const spawnApi = (index: number) =>
      spawnOrderflowProcess(`api-${index}`, 'api/server.ts', apiEnvs[index - 1]!, place);
    for (let index = 1; index <= (options.apis ?? 2); index++) {
      const port = await ports.take(`api-${index}`);
      apiEnvs.push({ ...common, HOST: '127.0.0.1', PORT: String(port) });
      const api = { url: `http://127.0.0.1:${port}`, process: spawnApi(index) };
      stops.push(() => api.process.stop(15_000));
      apiProcesses.push(api);
    }
    const logOf = (name: string) => path.join(logDir, `${name}.log`);
    // Lazy: no wait for the server up front (that gives up after 10 s, during a Temporal
    // restart too); `polling` asks until the worker polls, within its own deadline.
    const untilPolling = async (worker: RunningWorker) => {
      const connection = Connection.lazy({ address: temporal.address });
      await waitUntil(
        worker.name,
        worker.process.child,
        () => polling(connection, worker.taskQueues, worker.process.pid),
        120_000,
        logOf(worker.name),
      ).finally(() => connection.close());
    };

    const ui = uiPort
      ? startUiServer({
          dataDir,
          port: uiPort,
          temporalAddress: temporal.address,
          codecEndpoint: `${apiUrl}/codec`,
        }).then((server: UiServer) => {
          stops.push(() => server.stop());
          return server;
        })
      : undefined;
    const prometheus =
      options.prometheus === false
        ? undefined
        : startPrometheus({
            dataDir,
            port: await ports.take('prometheus', options.preferredPorts?.prometheus ?? 9090),
            targets: {
              apis: apiProcesses.map(({ url }) => new URL(url).host),
              workers: workers.map(({ metricsUrl }) => new URL(metricsUrl).host),
              temporal: [new URL(temporal.metricsUrl).host],
            },
            scrapeInterval: options.prometheus?.scrapeInterval,
          }).then((server: PrometheusServer) => {
            stops.push(() => server.stop());
            return server;
          });
    const connection = Connection.lazy({ address: temporal.address });
    const [prometheusServer] = await allSettledOrThrow([
      prometheus,
      ...apiProcesses.map(({ url, process }, index) =>
        waitUntil(
          `the API at ${url}`,
          process.child,
          () => ready(`${url}/readyz`),
          60_000,
          logOf(`api-${index + 1}`),
        ),
      ),
      ...workers.map((worker) =>
        waitUntil(
          worker.name,
          worker.process.child,
          () => polling(connection, worker.taskQueues, worker.process.pid),
          120_000,
          logOf(worker.name),
        ),
      ),
      ui,
    ] as const).finally(() => connection.close());
    const proxy: ReverseProxy = await startReverseProxy({
      dataDir,
      port: proxyPort,
      upstreams: apiProcesses.map(({ url }) => url.replace('http://', '')),
    });
    stops.push(() => proxy.stop());
    return {
      apiUrl,
      proxyPid: proxy.pid,
      apiProcesses,
      temporal,
      uiUrl,
      prometheusUrl: prometheusServer?.url,
      mongodbUri,
      databaseBackend: database?.backend,
      ...(databaseSettings
        ? {
            database: {
              stop: async () => {
                const stopping = database;
                database = undefined;
                await stopping?.stop();
              },
              start: async () => {
                database ??= await startFerretDb(databaseSettings);
              },
            },
          }
        : {}),
      workers,
      taskQueues,
      orphansStopped,
      addWorker: async (spec, env) => {
        const worker = await launchWorker(spec, env);
        await untilPolling(worker);
        return worker;
      },
      restartWorker: async (name) => {
        const worker = workers.find((w) => w.name === name);
        const env = workerEnvs.get(name);
        if (!worker || !env) throw new Error(`no worker ${name} in the cluster`);
        if (worker.process.running) throw new Error(`${name} is still running`);
        worker.process = spawnWorker(worker, env);
        await untilPolling(worker);
        return worker;
      },
      restartApi: async (index) => {
        const api = apiProcesses[index - 1];
        if (!api) throw new Error(`no API process ${index} in the cluster`);
        if (api.process.running) throw new Error(`api-${index} is still running`);
        api.process = spawnApi(index);
        await waitUntil(
          `the API at ${api.url}`,
          api.process.child,
          () => ready(`${api.url}/readyz`),
          60_000,
          logOf(`api-${index}`),
        );
      },
      startupMs: Date.now() - started,
      serversMs,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Awaits them all; when one fails, waits for the rest to settle (to stop what did start). */
async function allSettledOrThrow<T extends readonly unknown[]>(
  promises: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/** Where and how the cluster's orderflow processes run. */
interface ServicePlace {
  logDir: string;
  /** The supervisor's pid files: a later start stops what this one left running. */
  dataDir: string;
  runtime?: ServiceRuntime;
}

/** An orderflow process (API or worker): its own Node, its own env, its log in `logDir`. */
function spawnOrderflowProcess(
  name: string,
  script: string,
  env: Record<string, string>,
  place: ServicePlace,
): SupervisedChild {
  return spawnSupervised(process.execPath, serviceArgs(name, script, place.runtime), {
    logFile: path.join(place.logDir, `${name}.log`),
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    pidsOf: place.dataDir,
  });
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Whether the process `pid` polls every one of `taskQueues`, workflow and activity side (the
 * SDK's default worker identity is `<pid>@<host>`).
 */
async function polling(
  connection: Connection,
  taskQueues: readonly string[],
  pid: number,
): Promise<boolean> {
  const { TaskQueueType } = proto.api.enums.v1;
  try {
    for (const name of taskQueues)
      for (const taskQueueType of [
        TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      ]) {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name },
          taskQueueType,
        });
        if (!(pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`))) return false;
      }
    return true;
  } catch {
    return false;
  }
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: Record<string, unknown>) =>
    process.stderr.write(`workflow bundle: ${message} ${meta ? JSON.stringify(meta) : ''}\n`),
  log: () => undefined,
};
