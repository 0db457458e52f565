// The API process: builds its dependencies, serves HTTP, and on SIGINT/SIGTERM stops taking
// connections, lets in-flight requests finish, then closes its connections.

import { createServer, type Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger, type Logger } from '../infra/logger';
import { connectClient } from '../infra/temporal';
import { createApp } from './app';

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Listens on the configured host and port (port 0 picks a free one). */
export async function startApi(deps: {
  config: Readonly<Config>;
  database: Database;
  temporal: Client;
  logger: Logger;
}): Promise<RunningApi> {
  const { app } = createApp(deps);
  const server = createServer(app);
  // Keep-alive connections idle longer than typical load balancers' timeouts.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.http.port, deps.config.http.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.config.http.port;
  const url = `http://${deps.config.http.host}:${port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'api' });
  const database = await connectDatabase(config.mongodbUri, logger);
  const temporal = await connectClient(config.temporal);
  const api = await startApi({ config, database, temporal, logger });
  logger.info({ url: api.url }, 'api listening');

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'api shutting down');
    await api.close();
    await temporal.connection.close();
    await database.close();
    logger.info('api stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'api shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`api failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
