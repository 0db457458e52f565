// The system under fault: a Temporal dev server and FerretDB (dev/stack.ts) on fixed ports
// and one data dir, so each can be stopped and started again on its persisted state, and the
// order worker and the API as separate Node processes that can be killed and restarted.
// Like a process manager, the stack restarts a worker or API that exits on its own, and
// records that it did. `prepareSystem` puts the four together, configured as the fault suite
// (and bench/admission-recovery.ts) run them.

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import {
  freePort,
  startFerretDb,
  startTemporalDevServer,
  type FerretDbServer,
  type TemporalDevServer,
} from '../../dev/embedded';
import { startEmbeddedStack } from '../../dev/stack';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../infra/telemetry/temporal-tracing';
import { spawnSupervised, type SupervisedChild } from '../../dev/supervisor';
import { typescriptEntry } from '../../dev/service-entry';
import type { FaultKind } from './plan';

const ROOT = path.resolve(__dirname, '..', '..');

/** A worker or API process that ended without being told to. */
export interface UnexpectedExit {
  service: string;
  /** Milliseconds since the run started. */
  atMs: number;
  code: number | null;
  signal: string | null;
  /** Whether it had become ready before it ended (else it failed while starting). */
  wasReady: boolean;
  /** The end of its log, to see why. */
  logTail: string;
}

export interface ServiceSpec {
  name: string;
  /** The TypeScript entry point, relative to the repository root. */
  script: string;
  env: Record<string, string>;
  logDir: string;
  /** A log line containing this means the process is ready... */
  readyLine?: string;
  /** ...or this answers true. */
  readyProbe?: () => Promise<boolean>;
  /** How long one start may take before it counts as failed. */
  startTimeoutMs: number;
}

/**
 * One process kept running: `start()` spawns it and waits until it is ready, starting it
 * again when it exits while starting; an exit nobody asked for is recorded and followed by a
 * restart. `kill()` is SIGKILL; `stop()` is SIGTERM (it drains), then SIGKILL.
 */
export class SupervisedService {
  readonly unexpectedExits: UnexpectedExit[] = [];
  starts = 0;
  private child: SupervisedChild | undefined;
  private intended = false;
  private stopped = false;
  private recovering: Promise<void> | undefined;

  constructor(
    private readonly spec: ServiceSpec,
    private readonly clock: () => number,
    private readonly note: (message: string) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get logFile(): string {
    return path.join(this.spec.logDir, `${this.spec.name}.log`);
  }

  /**
   * Starts the process and resolves once it is ready (bounded: at most 20 attempts). After
   * `stop()` it starts nothing: a stopped service stays stopped.
   */
  async start(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      if (await this.spawnOnce()) return;
      if (this.stopped) return;
      if (attempt >= 20) throw new Error(`${this.spec.name} did not start in ${attempt} attempts`);
      await sleep(1000);
    }
  }

  /** Resolves when a restart after an unexpected exit (if any) has finished. */
  async settled(): Promise<void> {
    await this.recovering;
  }

  /** SIGKILL, as a crash would: no drain, no goodbye. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.running) return;
    this.intended = true;
    await child.kill();
  }

  /** SIGTERM (the process drains), then SIGKILL after `graceMs`. No restart follows. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child?.running) return;
    this.intended = true;
    await child.stop(graceMs);
  }

  /** One spawn; true once ready, false when it exited (or timed out) first. */
  private async spawnOnce(): Promise<boolean> {
    const { spec } = this;
    this.starts += 1;
    this.intended = false;
    let ready = false;
    let seen = '';
    let sawReadyLine = false;
    const child = spawnSupervised(process.execPath, typescriptEntry(spec.script), {
      logFile: this.logFile,
      banner: `\n==== ${spec.name} start #${this.starts} at +${this.clock()} ms ====\n`,
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...spec.env },
      onStdout: (chunk) => {
        if (spec.readyLine && !sawReadyLine) {
          seen = (seen + chunk.toString('utf8')).slice(-4096);
          sawReadyLine = seen.includes(spec.readyLine);
        }
      },
    });
    this.child = child;
    const exited = child.exited.then(({ code, signal }) => {
      const expected = this.intended || this.stopped;
      if (!expected) {
        this.unexpectedExits.push({
          service: spec.name,
          atMs: this.clock(),
          code,
          signal,
          wasReady: ready,
          logTail: tail(this.logFile, 1500),
        });
        this.note(`${spec.name} exited on its own (code ${code}, signal ${signal})`);
        // Once it was up, a crash is followed by a restart, as a process manager would.
        if (ready) {
          this.recovering = sleep(1000)
            .then(() => this.start())
            .catch((error: unknown) => this.note(`${spec.name} restart failed: ${String(error)}`));
        }
      }
    });
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const deadline = Date.now() + spec.startTimeoutMs;
    while (Date.now() < deadline && !gone && !this.stopped) {
      const probed = spec.readyProbe ? await spec.readyProbe().catch(() => false) : false;
      if (sawReadyLine || probed) {
        ready = true;
        return true;
      }
      await sleep(100);
    }
    if (!gone && !this.stopped) {
      this.note(`${spec.name} not ready within ${spec.startTimeoutMs} ms: killing it`);
      this.intended = true;
      await child.kill();
      await exited;
    }
    return false;
  }
}

/** The last `bytes` of a log file ('' when there is none). */
export function tail(file: string, bytes: number): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, start);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8');
  } catch {
    return '';
  }
}

/** An embedded server that can be stopped and started again on the same port and data. */
export interface RestartableServer {
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function restartable<S extends { stop(): Promise<void> }>(
  launch: () => Promise<S>,
  first: S,
): RestartableServer {
  let current: S | undefined = first;
  return {
    get running() {
      return current !== undefined;
    },
    async stop() {
      const server = current;
      current = undefined;
      await server?.stop();
    },
    async start() {
      if (current) return;
      // The port was just released; a bind can fail while the kernel lets go of it.
      for (let attempt = 1; ; attempt++) {
        try {
          current = await launch();
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(1000 * attempt);
        }
      }
    },
  };
}

export interface Servers {
  temporalAddress: string;
  /** Base URI without a database name. */
  mongodbUri: string;
  /** FerretDB's storage (EMBEDDED_DB_BACKEND chooses it; dev/embedded.ts). */
  databaseBackend: string;
  temporal: RestartableServer;
  database: RestartableServer;
  stop(): Promise<void>;
}

/** Starts both servers in `dataDir` on ports chosen once and kept across restarts. */
async function startServers(dataDir: string): Promise<Servers> {
  const [temporalPort, uiPort, databasePort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const launchTemporal = (): Promise<TemporalDevServer> =>
    startTemporalDevServer({ dataDir, port: temporalPort, uiPort });
  const launchDatabase = (): Promise<FerretDbServer> =>
    startFerretDb({ dataDir, port: databasePort });
  // The first start locks the data dir and stops what a killed run left there (dev/stack.ts).
  const stack = await startEmbeddedStack({
    dataDir,
    temporal: { port: temporalPort, uiPort },
    database: { port: databasePort },
  });
  const temporal = stack.temporal!;
  const database = stack.database!;
  const servers = {
    temporalAddress: temporal.address,
    mongodbUri: database.uri,
    databaseBackend: (database as { backend?: string }).backend ?? 'sqlite',
    temporal: restartable(launchTemporal, temporal),
    database: restartable(launchDatabase, database),
    async stop() {
      await servers.temporal.stop();
      await servers.database.stop();
      await stack.stop();
    },
  };
  return servers;
}

/** The workflow code bundled once, so every worker (re)start skips the bundling. */
async function bundleWorkflows(file: string): Promise<string> {
  const silent = () => undefined;
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: {
      log: silent,
      trace: silent,
      debug: silent,
      info: silent,
      warn: silent,
      error: silent,
    },
  });
  writeFileSync(file, bundle.code);
  return file;
}

export interface SystemOptions {
  /** A fresh directory: the servers' data, and every process's log under `logs/`. */
  dataDir: string;
  /** The name the app's token is known by (the orders it places carry it). */
  appClient: string;
  taskQueue: string;
  /** CHECKOUT_WAIT_SECONDS of the system under test. */
  checkoutWaitSeconds: number;
  /** A prebuilt workflow bundle; otherwise one is built in the data dir. */
  workflowBundlePath?: string;
  /** Milliseconds for the processes' records (e.g. since the load started). */
  clock: () => number;
  say: (line: string) => void;
}

/** A part the fault suite takes down (a process killed, a server stopped) and brings back. */
export interface Lever {
  down(): Promise<void>;
  up(): Promise<void>;
}

/**
 * What the fault suite (ops/faults/suite.ts) needs of a system under fault: where its API is,
 * its settings (to reconcile against its database and Temporal), a lever per kind of fault it
 * can take, and what its processes did. The dev-server stack below is one; the cluster
 * (ops/faults/cluster.ts) is the other.
 */
export interface SystemUnderFault {
  topology: 'stack' | 'cluster';
  apiUrl: string;
  tokens: FaultTokens;
  /** orderflow's settings as its processes have them (infra/config.ts reads them). */
  settings: Record<string, string>;
  /** FerretDB's storage, or what the database is. */
  databaseBackend: string;
  levers: Partial<Record<FaultKind, Lever>>;
  /** Starts the processes; resolves once all are ready. */
  start(): Promise<void>;
  /** Resolves when restarts under way (after an unexpected exit) have finished. */
  settled(): Promise<void>;
  processes(): { starts: Record<string, number>; unexpectedExits: UnexpectedExit[] };
  stop(): Promise<void>;
}

export interface FaultTokens {
  app: string;
  admin: string;
  support: string;
}

/** Fresh tokens and the settings every orderflow process of a fault run shares. */
export function faultSettings(options: { appClient: string; checkoutWaitSeconds: number }): {
  tokens: FaultTokens;
  settings: Record<string, string>;
} {
  const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
  const tokens = {
    app: secret('faults-app'),
    admin: secret('faults-admin'),
    support: secret('faults-support'),
  };
  const waitSeconds = options.checkoutWaitSeconds;
  const settings: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    API_TOKENS: [
      `${options.appClient}:app:${tokens.app}`,
      `faults-support:support:${tokens.support}`,
      `faults-admin:admin:${tokens.admin}`,
    ].join(','),
    PAYLOAD_ENCRYPTION_KEYS: `faults-1:${randomBytes(32).toString('base64')}`,
    CHECKOUT_WAIT_SECONDS: String(waitSeconds),
    CHECKOUT_PAYMENT_WINDOW_SECONDS: String(waitSeconds * 6),
    REFUND_WINDOW_SECONDS: '0',
    DELIVERY_OVERDUE_GRACE_SECONDS: '600',
    // The simulated providers' webhook server listens on 127.0.0.1.
    ALLOW_PRIVATE_WEBHOOKS: 'true',
  };
  return { tokens, settings };
}

/** orderflow as it runs in production: its servers, and the worker and API as processes. */
export interface OrderflowSystem extends SystemUnderFault {
  servers: Servers;
  worker: SupervisedService;
  api: SupervisedService;
  /** Stops the API (it drains), then the worker, then the servers. */
  stop(): Promise<void>;
}

/**
 * Starts the servers in `dataDir` (bundling the workflows meanwhile) and prepares the worker
 * and API processes; `start()` runs them.
 */
export async function prepareSystem(options: SystemOptions): Promise<OrderflowSystem> {
  const { dataDir, clock, say } = options;
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const [servers, bundlePath] = await Promise.all([
    startServers(dataDir),
    options.workflowBundlePath ?? bundleWorkflows(path.join(dataDir, 'workflow-bundle.js')),
  ]);
  say(
    `Temporal at ${servers.temporalAddress}, FerretDB (${servers.databaseBackend}) at ${servers.mongodbUri}`,
  );
  const { tokens, settings: shared } = faultSettings(options);
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const settings: Record<string, string> = {
    ...shared,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    MONGODB_URI: `${servers.mongodbUri}/orderflow`,
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    WORKFLOW_BUNDLE_PATH: bundlePath,
  };
  const worker = new SupervisedService(
    {
      name: 'worker',
      script: 'workers/order-worker.ts',
      env: settings,
      logDir,
      readyLine: '"msg":"order worker started"',
      startTimeoutMs: 60_000,
    },
    clock,
    say,
  );
  const api = new SupervisedService(
    {
      name: 'api',
      script: 'api/server.ts',
      env: settings,
      logDir,
      readyProbe: async () =>
        (await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(1000) })).ok,
      startTimeoutMs: 60_000,
    },
    clock,
    say,
  );
  const restartAfterKill = (service: SupervisedService): Lever => ({
    down: () => service.kill(),
    up: () => service.start(),
  });
  const serverLever = (server: RestartableServer): Lever => ({
    down: () => server.stop(),
    up: () => server.start(),
  });
  return {
    topology: 'stack',
    servers,
    apiUrl,
    tokens,
    settings,
    databaseBackend: servers.databaseBackend,
    worker,
    api,
    levers: {
      worker_kill: restartAfterKill(worker),
      api_kill: restartAfterKill(api),
      database_outage: serverLever(servers.database),
      temporal_restart: serverLever(servers.temporal),
    },
    async start() {
      await Promise.all([worker.start(), api.start()]);
    },
    async settled() {
      await Promise.all([worker.settled(), api.settled()]);
    },
    processes: () => ({
      starts: { worker: worker.starts, api: api.starts },
      unexpectedExits: [...worker.unexpectedExits, ...api.unexpectedExits],
    }),
    async stop() {
      await api.stop(15_000);
      await worker.stop(25_000);
      await servers.stop();
    },
  };
}
