// The Temporal server (not the CLI's dev server) on a private PostgreSQL cluster, for cluster
// mode: the schema set up and brought up to date by Temporal's schema tool at every start
// (idempotent), the config rendered from the template in the server's module, the dynamic
// config of infra/temporal-dynamic-config.yaml, then the namespace and orderflow's search
// attributes registered. Binaries and schema files: dev/install-cluster-tools.sh.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { parse, stringify } from 'yaml';
import { ORDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { launch, startPostgres, toolsDir, waitUntil, type EmbeddedServer } from '../embedded';
import type { PortBook } from './ports';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

const root = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

function serverTools() {
  const dir = path.join(toolsDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  if (!existsSync(path.join(dir, '.complete')))
    throw new Error(
      'no Temporal server: run `bash dev/install-cluster-tools.sh` (npm run start:cluster and npm test do)',
    );
  return {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schema: path.join(dir, 'schema', 'postgresql', 'v12'),
    template: path.join(dir, 'config', 'development-postgres12.yaml'),
  };
}

export interface TemporalServer extends EmbeddedServer {
  address: string;
  /** The server's own Prometheus metrics. */
  metricsUrl: string;
  /** Its PostgreSQL's port (the load generator measures that server's CPU apart). */
  postgresPort: number;
  /** Stops the server only (its PostgreSQL keeps running), for restarts. */
  stopServer(): Promise<void>;
  /** Starts the stopped server again; resolves once its frontend answers. */
  startServer(): Promise<void>;
  /** Stops its PostgreSQL only (the server keeps running, and retries), for restarts. */
  stopPostgres(): Promise<void>;
  /** Starts the stopped PostgreSQL again, on its port and data. */
  startPostgres(): Promise<void>;
}

/** Starts PostgreSQL, brings the schema up to date, then the server; ready to take workflows. */
export async function startTemporalServer(options: {
  /** Holds `postgres/` (or its symlink), the rendered config and the logs. */
  dataDir: string;
  ports: PortBook;
  namespace?: string;
}): Promise<TemporalServer> {
  const tools = serverTools();
  const namespace = options.namespace ?? 'default';
  mkdirSync(options.dataDir, { recursive: true });
  let postgres = await startPostgres({ dataDir: options.dataDir, database: 'postgres' });
  try {
    await setUpSchema(tools, postgres.port);
    // `<dataDir>/config/cluster.yaml`: the server reads `--config` relative to `--root`.
    const { frontendPort, metricsPort } = await renderConfig(
      tools.template,
      options.dataDir,
      postgres.port,
      options.ports,
    );
    const serverLog = path.join(options.dataDir, 'temporal-server.log');
    const launchServer = () =>
      launch(
        tools.server,
        [
          '--root',
          options.dataDir,
          '--config',
          'config',
          '--env',
          'cluster',
          '--allow-no-auth',
          'start',
        ],
        serverLog,
        { dataDir: options.dataDir },
      );
    let server = launchServer();
    const address = `127.0.0.1:${frontendPort}`;
    /** Resolves once the current server's frontend answers; its log's tail if it exits. */
    const frontendUp = () =>
      waitUntil('the Temporal server', server, () => frontendAnswers(address), 90_000, serverLog);
    try {
      await frontendUp();
      await registerNamespace(address, namespace);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return {
      address,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      postgresPort: postgres.port,
      stopServer: () => server.stop(),
      startServer: async () => {
        server = launchServer();
        await frontendUp();
      },
      stopPostgres: () => postgres.stop(),
      startPostgres: async () => {
        const port = postgres.port;
        postgres = await startPostgres({ dataDir: options.dataDir, database: 'postgres', port });
      },
      stop: async () => {
        await server.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}

/**
 * Creates the two databases when missing, then lets the schema tool set up the version table
 * and apply every versioned change not applied yet: the same on the first start and the
 * hundredth, and after an upgrade of the server it brings the schema along.
 */
async function setUpSchema(tools: ReturnType<typeof serverTools>, port: number): Promise<void> {
  for (const [database, dir] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const sqlTool = (...args: string[]) =>
      run(tools.sqlTool, [
        '--plugin',
        'postgres12',
        '--ep',
        '127.0.0.1',
        '--port',
        String(port),
        '--user',
        'postgres',
        '--db',
        database,
        ...args,
      ]).catch((error: unknown) => {
        const { stderr, stdout } = error as { stderr?: string; stdout?: string };
        throw new Error(
          `temporal-sql-tool ${args[0]} on ${database} failed: ${stderr || stdout || String(error)}`,
        );
      });
    await sqlTool('create-database').catch((error: Error) => {
      if (!/already exists/.test(error.message)) throw error;
    });
    await sqlTool('setup-schema', '-v', '0.0');
    await sqlTool('update-schema', '-d', path.join(tools.schema, dir, 'versioned'));
  }
}

/** The parts of the server's config template (config/development-postgres12.yaml) we change. */
interface ServerConfigTemplate {
  log: unknown;
  persistence: {
    datastores: Record<string, { sql: { connectAddr: string; user: string; password: string } }>;
  };
  global: { pprof: unknown; metrics: { prometheus: { listenAddress: string } } };
  services: Record<
    string,
    { rpc: { grpcPort: number; membershipPort: number; httpPort?: number } }
  >;
  clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
  archival: unknown;
  namespaceDefaults?: unknown;
  dynamicConfigClient: unknown;
}

/** The server's config: the module's PostgreSQL template with our ports, database and files. */
async function renderConfig(
  templateFile: string,
  dataDir: string,
  postgresPort: number,
  ports: PortBook,
): Promise<{ frontendPort: number; metricsPort: number }> {
  const config = parse(readFileSync(templateFile, 'utf8')) as ServerConfigTemplate;
  const frontendPort = await ports.take('temporal-frontend', 7233);
  const metricsPort = await ports.take('temporal-metrics', 8000);
  config.log = { stdout: true, level: 'warn' };
  for (const store of Object.values(config.persistence.datastores)) {
    store.sql.connectAddr = `127.0.0.1:${postgresPort}`;
    store.sql.user = 'postgres';
    store.sql.password = '';
  }
  config.global.pprof = { port: 0 };
  config.global.metrics.prometheus.listenAddress = `127.0.0.1:${metricsPort}`;
  for (const [name, { rpc }] of Object.entries(config.services)) {
    if (name !== 'frontend') rpc.grpcPort = await ports.take(`temporal-${name}-grpc`, rpc.grpcPort);
    else rpc.grpcPort = frontendPort;
    // Membership ports are kept in a PostgreSQL smallint: below 32768 (the ephemeral range
    // where the OS picks free ports starts there).
    rpc.membershipPort = await ports.take(`temporal-${name}-membership`, rpc.membershipPort, {
      below: 32_768,
    });
    if (rpc.httpPort !== undefined)
      rpc.httpPort = await ports.take(`temporal-${name}-http`, rpc.httpPort);
  }
  config.clusterMetadata.clusterInformation.active.rpcAddress = `127.0.0.1:${frontendPort}`;
  // No archival: nothing here reads it, and its template writes to /tmp.
  config.archival = { history: { state: 'disabled' }, visibility: { state: 'disabled' } };
  delete config.namespaceDefaults;
  config.dynamicConfigClient = {
    filepath: path.join(root, 'infra', 'temporal-dynamic-config.yaml'),
    pollInterval: '10s',
  };
  const configDir = path.join(dataDir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'cluster.yaml'), stringify(config));
  return { frontendPort, metricsPort };
}

async function frontendAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

const ALREADY_EXISTS = 6;

/**
 * The namespace (3 days' retention, as the dev server's) and orderflow's search attributes
 * (workflows/search-attributes.ts), each only when missing; then waits until the frontend
 * serves both (its namespace cache refreshes every few seconds).
 */
async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
      .catch((error: { code?: number }) => {
        if (error.code !== ALREADY_EXISTS) throw error;
      });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace,
    });
    const missing = Object.keys(ORDER_SEARCH_ATTRIBUTES).filter(
      (name) => !(name in (customAttributes ?? {})),
    );
    if (missing.length > 0)
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((name) => [
            name,
            proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          ]),
        ),
      });
    const query = Object.keys(ORDER_SEARCH_ATTRIBUTES)
      .map((name) => `${name} = "ready"`)
      .join(' AND ');
    for (const deadline = Date.now() + 60_000; ;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
  } finally {
    await connection.close();
  }
}
