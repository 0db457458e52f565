// `npm run start:cluster`: orderflow's production topology on one machine (dev/cluster/
// topology.ts) with the demo providers and their simulator, the same banner as npm start plus
// the Web UI, Prometheus and each worker's metrics, and on Ctrl-C everything stopped in
// reverse order.
// Data in .data/cluster/ (its own lock: npm start and start:cluster may run side by side).

import path from 'node:path';
import pinoPretty from 'pino-pretty';
import { loadConfig, tokenDigest } from '../../infra/config';
import { connectDatabase } from '../../infra/db';
import { createLogger } from '../../infra/logger';
import { newestSecret, useSecretKeys } from '../../infra/provider-secrets';
import { printBanner } from '../banner';
import { DEV_TOKENS, devApiTokens, devPayloadKeys } from '../dev-defaults';
import { embeddedDbBackendFromEnv } from '../embedded';
import { DEMO_PROVIDERS, seedDemoProviders } from '../seed';
import { startProviderSimulator } from '../simulator';
import { startCluster } from './topology';
import { TEMPORAL_SERVER_VERSION } from './temporal-server';
import { stopInOrder } from '../shutdown';

const DATA_DIR = path.resolve(__dirname, '..', '..', '.data', 'cluster');

/** The settings orderflow's processes get from the environment, with npm start's defaults. */
function orderflowEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && name !== 'PORT' && name !== 'HOST') env[name] = value;
  env.PAYLOAD_ENCRYPTION_KEYS ||= devPayloadKeys(DATA_DIR);
  // The demo provider simulator listens on 127.0.0.1: its webhooks are private ones.
  env.ALLOW_PRIVATE_WEBHOOKS ??= 'true';
  env.API_TOKENS ??= devApiTokens();
  return env;
}

async function main(): Promise<void> {
  const env = orderflowEnv();
  const logger = createLogger(
    env.LOG_LEVEL === 'silent' ? 'silent' : 'info',
    { component: 'cluster' },
    process.stdout.isTTY
      ? pinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss', singleLine: true })
      : undefined,
  );
  logger.info('starting the cluster (logs of each process in .data/cluster/logs/)');
  const cluster = await startCluster({
    dataDir: DATA_DIR,
    env,
    ...(env.MONGODB_URI
      ? { database: false as const }
      : { database: { backend: embeddedDbBackendFromEnv(env) } }),
    preferredPorts: { api: 3000, ui: 8233, prometheus: 9090 },
    // The APIs and workers as production runs them: compiled JavaScript under node.
    runtime: { compileInto: path.join(DATA_DIR, 'dist') },
  });
  if (cluster.orphansStopped.length > 0)
    logger.warn(
      `stopped servers an earlier start:cluster left running (pids ${cluster.orphansStopped.join(', ')})`,
    );
  const config = loadConfig({
    ...env,
    MONGODB_URI: cluster.mongodbUri,
    TEMPORAL_ADDRESS: cluster.temporal.address,
  });
  const database = await connectDatabase(config.mongodbUri, logger);
  // The simulator signs its callbacks with the providers' secrets, encrypted at rest.
  useSecretKeys(database.models, config.secretEncryptionKeys);
  const simulator = await startProviderSimulator({
    apiUrl: () => cluster.apiUrl,
    logger: logger.child({ component: 'simulator' }),
    providers: async () => {
      const providers = await database.models.Provider.find({
        _id: { $in: DEMO_PROVIDERS.map((p) => p.providerId) },
      }).lean();
      const simulated = [];
      for (const provider of providers) {
        const signingSecret = await newestSecret(database.models, provider);
        if (signingSecret)
          simulated.push({ providerId: provider._id, signingSecret, stepDelaySeconds: 2 });
      }
      return simulated;
    },
  });
  const devAdmin = tokenDigest(DEV_TOKENS.admin);
  if (config.apiClients.some((c) => c.role === 'admin' && c.tokenSha256 === devAdmin))
    await seedDemoProviders({
      apiUrl: cluster.apiUrl,
      adminToken: DEV_TOKENS.admin,
      webhookUrl: simulator.webhookUrl,
    });
  else
    logger.warn(
      `API_TOKENS has no admin entry with the dev token ${DEV_TOKENS.admin}: the demo providers were not registered`,
    );

  const nameWidth = Math.max(...cluster.workers.map((w) => w.name.length));
  printBanner({
    title: ` (cluster mode, up in ${seconds(cluster.startupMs)}: servers ${seconds(cluster.serversMs)}, then APIs and workers ${seconds(cluster.startupMs - cluster.serversMs)})`,
    apiUrl: cluster.apiUrl,
    apiNote: `nginx → ${cluster.apiProcesses.map((api) => api.url.replace('http://', '')).join(', ')}; `,
    temporalAddress: cluster.temporal.address,
    temporalNote: `   (Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL; metrics: ${cluster.temporal.metricsUrl})`,
    mongodbUri: cluster.mongodbUri,
    databaseNote: cluster.databaseBackend
      ? `   (FerretDB on ${cluster.databaseBackend === 'postgresql' ? 'PostgreSQL' : 'SQLite'})`
      : '',
    moreLines: [
      ...(cluster.uiUrl
        ? [
            `  Web UI           ${cluster.uiUrl}   (decoded payloads once signed in at ${cluster.apiUrl}/codec/session)`,
          ]
        : []),
      ...(cluster.prometheusUrl
        ? [
            `  Prometheus       ${cluster.prometheusUrl}   (targets: ${cluster.prometheusUrl}/targets; rules and alerts of ops/prometheus/rules.yml)`,
          ]
        : []),
      ...cluster.workers.map(
        (worker) =>
          `  Worker           ${worker.name.padEnd(nameWidth)}  ${worker.metricsUrl}   (${worker.taskQueues.join(', ')})`,
      ),
    ],
  });

  const shutdown = () =>
    stopInOrder(logger, [
      ['the provider simulator', () => simulator.close()],
      ['the database connection', () => database.close()],
      ['the cluster', () => cluster.stop()],
    ]);
  const exit = (code: number) => logger.flush(() => process.exit(code));
  // As npm start: every signal after the first leaves the shutdown under way alone.
  let stopping: Promise<boolean> | undefined;
  const onSignal = () => {
    if (stopping) return;
    stopping = shutdown();
    void stopping.then((clean) => exit(clean ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A process of the cluster that dies is a fault to see, not to hide: say so (the others go on).
  for (const part of [
    ...cluster.workers.map((w) => ({ name: w.name, process: w.process })),
    ...cluster.apiProcesses.map((a, i) => ({ name: `api-${i + 1}`, process: a.process })),
  ])
    void part.process.exited.then(({ code, signal }) => {
      if (!stopping)
        logger.error(
          `${part.name} exited (code ${code}, signal ${signal}): see .data/cluster/logs/${part.name}.log`,
        );
    });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

main().catch((error: unknown) => {
  process.stderr.write(
    `orderflow failed to start the cluster: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
