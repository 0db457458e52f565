// `npm start`: the whole system on its embedded default. Starts (unless TEMPORAL_ADDRESS /
// MONGODB_URI point elsewhere) a Temporal dev server and FerretDB (on the backend
// EMBEDDED_DB_BACKEND names, PostgreSQL by default) with their data in .data/ (dev/stack.ts:
// one npm start per clone, and none of its servers outlive it),
// then the order worker, the API and the demo provider simulator, prints where everything
// is, and on Ctrl-C stops all of it in reverse order.

import path from 'node:path';
import { loadConfig, tokenDigest } from '../infra/config';
import { newestSecret } from '../infra/provider-secrets';
import pinoPretty from 'pino-pretty';
import { createLogger } from '../infra/logger';
import { installWorkerRuntime } from '../infra/telemetry/worker-runtime';
import { printBanner } from './banner';
import { DEV_TOKENS, devApiTokens, devPayloadKeys } from './dev-defaults';
import { embeddedDbBackendFromEnv, preferPort } from './embedded';
import { startInProcess } from './in-process';
import { DEMO_PROVIDERS, seedDemoProviders } from './seed';
import { startProviderSimulator } from './simulator';
import { startEmbeddedStack } from './stack';
import { stopInOrder } from './shutdown';

const DATA_DIR = path.resolve(__dirname, '..', '.data');

async function main(): Promise<void> {
  const env = { ...process.env };
  let temporalUi: string | undefined;
  let databaseNote = '';
  env.PORT ??= String(await preferPort(3000));
  env.PAYLOAD_ENCRYPTION_KEYS ||= devPayloadKeys(DATA_DIR);
  // The worker's Prometheus /metrics (the Temporal SDK's and orderflow's).
  env.WORKER_METRICS_PORT ??= String(await preferPort(9464));

  const uiPort = await preferPort(8233);
  const stack = await startEmbeddedStack({
    dataDir: DATA_DIR,
    temporal: !env.TEMPORAL_ADDRESS && {
      port: await preferPort(7233),
      uiPort,
      // The Web UI decrypts payloads through the API's codec endpoint (api/codec/routes.ts).
      codecEndpoint: `http://${env.HOST ?? '127.0.0.1'}:${env.PORT}/codec`,
    },
    database: !env.MONGODB_URI && {
      port: await preferPort(27017),
      backend: embeddedDbBackendFromEnv(env),
    },
  });
  if (stack.orphansStopped.length > 0)
    process.stderr.write(
      `orderflow: stopped servers an earlier npm start left running (pids ${stack.orphansStopped.join(', ')})\n`,
    );
  if (stack.temporal) {
    env.TEMPORAL_ADDRESS = stack.temporal.address;
    temporalUi = stack.temporal.uiUrl;
    env.CODEC_CORS_ORIGINS ??= `${stack.temporal.uiUrl},http://localhost:${uiPort}`;
  }
  if (stack.database) {
    const { backend, uri } = stack.database;
    databaseNote = `   (FerretDB on ${backend === 'postgresql' ? 'PostgreSQL' : 'SQLite'})`;
    env.MONGODB_URI = `${uri}/orderflow`;
  }
  // The demo provider simulator listens on 127.0.0.1: its webhooks are private ones.
  env.ALLOW_PRIVATE_WEBHOOKS ??= 'true';
  env.API_TOKENS ??= devApiTokens();

  const config = loadConfig(env);
  // A person reads this terminal: one readable line per log entry; JSON when piped.
  const logger = createLogger(
    config.logLevel,
    {},
    process.stdout.isTTY
      ? pinoPretty({
          colorize: true,
          sync: true,
          translateTime: 'SYS:HH:MM:ss',
          singleLine: true,
          ignore: 'pid,hostname,component,req,res,responseTime',
          messageFormat:
            '{if component}[{component}] {end}{msg}{if req} {req.method} {req.url}{end}{if res} → {res.statusCode} in {responseTime} ms{end}',
        })
      : undefined,
  );
  const { sdkMetricsUrl } = await installWorkerRuntime({
    logger: logger.child({ component: 'temporal' }),
    metrics: config.worker.metricsPort !== undefined,
    shutdownSignals: [],
  });

  const orderflow = await startInProcess(config, logger, { sdkMetricsUrl });
  const { database } = orderflow;

  const simulator = await startProviderSimulator({
    apiUrl: () => orderflow.apiUrl,
    logger: logger.child({ component: 'simulator' }),
    providers: async () => {
      const providers = await database.models.Provider.find({
        _id: { $in: DEMO_PROVIDERS.map((p) => p.providerId) },
      }).lean();
      const simulated = [];
      for (const provider of providers) {
        // The newest secret: webhooks carry a v1 for each valid one, callbacks need just one.
        const signingSecret = await newestSecret(database.models, provider);
        if (signingSecret)
          simulated.push({ providerId: provider._id, signingSecret, stepDelaySeconds: 2 });
      }
      return simulated;
    },
  });
  // Demo providers are onboarded like real ones, through the admin API, with the dev admin
  // token (configuration keeps only the digests of tokens).
  const devAdmin = tokenDigest(DEV_TOKENS.admin);
  if (config.apiClients.some((c) => c.role === 'admin' && c.tokenSha256 === devAdmin)) {
    await seedDemoProviders({
      apiUrl: orderflow.apiUrl,
      adminToken: DEV_TOKENS.admin,
      webhookUrl: simulator.webhookUrl,
    });
  } else {
    logger.warn(
      `API_TOKENS has no admin entry with the dev token ${DEV_TOKENS.admin}: the demo providers were not registered`,
    );
  }

  printBanner({
    apiUrl: orderflow.apiUrl,
    temporalUi,
    temporalAddress: config.temporal.address,
    mongodbUri: config.mongodbUri,
    databaseNote,
    ...(orderflow.workerMetricsUrl
      ? { moreLines: [`  Worker           metrics: ${orderflow.workerMetricsUrl}`] }
      : {}),
  });

  /** Stops everything, in order; says whether all went well. */
  const shutdown = () =>
    stopInOrder(logger, [
      ['the provider simulator', () => simulator.close()],
      ['the API and the worker', () => orderflow.close()],
      ['the servers', () => stack.stop()],
    ]);
  // The last lines reach the terminal (or the pipe) before the process ends.
  const exit = (code: number) => logger.flush(() => process.exit(code));
  // Ctrl-C reaches npm, tsx and this process at once, and tsx passes it on again: every signal
  // after the first must leave the shutdown under way alone (Node's default would end the
  // process in the middle of it).
  let stopping: Promise<boolean> | undefined;
  const stop = () => (stopping ??= shutdown());
  const onSignal = () => {
    if (stopping) return;
    void stop().then((clean) => exit(clean ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  orderflow.workerStopped().catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'worker failed');
    await stop();
    exit(1);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `orderflow failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
