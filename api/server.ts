// The API process: builds its dependencies, serves HTTP, and on SIGINT/SIGTERM stops taking
// connections, lets in-flight requests finish (up to a grace period), answers those still
// running `503 shutting_down` with Retry-After (a cut connection would leave a checkout's app
// guessing), then closes its connections. Requests Node's HTTP parser rejects before Express
// sees them still get the JSON error shape and an X-Request-Id.

import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../infra/config';
import { connectDatabase, type Database } from '../infra/db';
import { createLogger, type Logger } from '../infra/logger';
import { startTracing } from '../infra/telemetry/tracing';
import { connectClient } from '../infra/temporal';
import type { Directory } from '../infra/directory';
import { createApp } from './app';
import { errorBody, markAnsweredAtShutdown, shuttingDownError } from './errors';
import { newRequestId, REQUEST_ID_HEADER } from './middleware/request-context';
import { SECURITY_HEADERS } from './middleware/security-headers';

/** How long `close()` lets in-flight requests run before it cuts their connections. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** While closing, idle keep-alive connections are closed this often (they can turn idle late). */
const IDLE_SWEEP_MS = 100;
/** How long the 503s written at the end of the grace may take to reach the kernel. */
const SHUTDOWN_ANSWER_FLUSH_MS = 1_000;

export interface RunningApi {
  server: Server;
  url: string;
  /**
   * Stops taking connections; requests still arriving on open connections are answered with
   * `Connection: close`; idle connections are closed; in-flight requests may finish for
   * `graceMs`, after which those whose response has not started are answered
   * `503 shutting_down` (with `Retry-After`) and every remaining connection is cut. Resolves
   * once the server is closed, so within `graceMs` plus a little (at most a second more to
   * hand those answers to the kernel). Calling it again returns the same promise.
   */
  close(graceMs?: number): Promise<void>;
}

/** The answer to a request Node's HTTP parser rejected, by the parser's error code. */
function parserRejection(code: string | undefined): {
  status: number;
  code: string;
  message: string;
} {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'headers_too_large',
        message: 'the request line and headers are too large',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'payload_too_large',
        message: 'the chunk extensions of the request body are too large',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        code: 'request_timeout',
        message: 'the request did not arrive in time',
      };
    default:
      return { status: 400, code: 'malformed_request', message: 'the request is not valid HTTP' };
  }
}

/**
 * `clientError` handler: answers what Node's HTTP parser rejects (oversized headers, a
 * garbage request line, invalid headers, a request timeout) with the API's JSON error shape,
 * `X-Request-Id` and `Connection: close`, then closes the connection.
 * `responseStarted` says whether a response on that socket has already begun: then another
 * answer would corrupt it, and the connection is only closed.
 */
export function answerClientError(
  logger: Logger,
  responseStarted: (socket: Duplex) => boolean = () => false,
) {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
      logger.debug({ code: error.code }, 'client connection failed');
      socket.destroy();
      return;
    }
    const rejection = parserRejection(error.code);
    const requestId = newRequestId();
    logger.warn(
      {
        requestId,
        code: error.code,
        status: rejection.status,
        remoteAddress: (socket as Partial<Socket>).remoteAddress,
      },
      'request rejected by the HTTP parser',
    );
    if (responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ error: { code: rejection.code, message: rejection.message } });
    const head = [
      `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? 'Error'}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      `${REQUEST_ID_HEADER}: ${requestId}`,
      ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`),
    ].join('\r\n');
    // Destroy once the answer is handed to the kernel; a peer that never reads cannot keep
    // the socket (and so the server's shutdown) waiting.
    const cut = setTimeout(() => socket.destroy(), 1_000);
    cut.unref();
    socket.end(`${head}\r\n\r\n${body}`, () => {
      clearTimeout(cut);
      socket.destroy();
    });
  };
}

/** Headers set before the shutdown answered that still hold for its answer. */
const keptAtShutdown = (name: string) =>
  name === REQUEST_ID_HEADER.toLowerCase() || name === 'vary' || name.startsWith('access-control-');

/**
 * Answers a request whose handler is still running `503 shutting_down` (the JSON error shape,
 * Retry-After, Connection: close, its X-Request-Id); the handler's own answer, when it comes,
 * is dropped (api/errors.ts). Resolves once the answer is handed to the kernel, or after
 * SHUTDOWN_ANSWER_FLUSH_MS for a peer that does not read.
 */
function answerShuttingDown(res: ServerResponse): Promise<void> {
  const error = shuttingDownError(res.req);
  const body = JSON.stringify(errorBody(error));
  markAnsweredAtShutdown(res);
  for (const name of res.getHeaderNames()) if (!keptAtShutdown(name)) res.removeHeader(name);
  if (!res.hasHeader(REQUEST_ID_HEADER)) res.setHeader(REQUEST_ID_HEADER, newRequestId());
  res.writeHead(error.status, {
    ...SECURITY_HEADERS,
    ...error.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  return new Promise((resolve) => {
    const gaveUp = setTimeout(resolve, SHUTDOWN_ANSWER_FLUSH_MS);
    gaveUp.unref();
    res.end(body, () => {
      clearTimeout(gaveUp);
      resolve();
    });
  });
}

/** Listens on the configured host and port (port 0 picks a free one). */
export async function startApi(deps: {
  config: Readonly<Config>;
  database: Database;
  temporal: Client;
  logger: Logger;
  /** Shared with a worker in the same process (dev/in-process.ts). */
  directory?: Directory;
}): Promise<RunningApi> {
  const { app, answerWaitsNow, flushLogs } = createApp(deps);
  const { logger } = deps;
  let shuttingDown = false;
  let closed: Promise<void> | undefined;
  /** Responses not yet finished, so a shutdown can tell them to close their connection. */
  const inFlight = new Set<ServerResponse>();
  /** Every open connection, so a shutdown past its grace period can cut them all. */
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    inFlight.add(res);
    const done = () => inFlight.delete(res);
    res.once('finish', done);
    res.once('close', done);
    // Clients on a kept-alive connection learn to move off it.
    if (shuttingDown) res.setHeader('Connection', 'close');
    void app(req, res);
  });
  // Keep-alive connections idle longer than typical load balancers' timeouts.
  server.keepAliveTimeout = 65_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on(
    'clientError',
    answerClientError(logger, (socket) =>
      [...inFlight].some((res) => res.socket === socket && res.headersSent),
    ),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.config.http.port, deps.config.http.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.config.http.port;
  const url = `http://${deps.config.http.host}:${port}`;

  const closeServer = (graceMs: number) =>
    new Promise<void>((resolve, reject) => {
      shuttingDown = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      // Long polls answer now with the order as it is, rather than hold the grace period.
      answerWaitsNow();
      // A connection turns idle whenever its last response is sent; close those again and again.
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const force = setTimeout(() => {
        const unanswered = [...inFlight].filter((res) => !res.headersSent);
        logger.warn(
          {
            graceMs,
            connections: sockets.size,
            inFlight: inFlight.size,
            unanswered: unanswered.length,
          },
          'shutdown grace period over: answering 503 shutting_down, then closing the remaining connections',
        );
        // Each answered as well as it can be; none may keep the others or the cut waiting.
        void Promise.allSettled(unanswered.map(async (res) => answerShuttingDown(res))).then(() => {
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
        });
      }, graceMs);
      server.close((error) => {
        clearInterval(sweep);
        clearTimeout(force);
        if (error) reject(error);
        else resolve();
      });
      server.closeIdleConnections();
    });
  // The last callbacks answered are logged before the caller closes the database.
  const close = (graceMs: number) => closeServer(graceMs).finally(flushLogs);

  return {
    server,
    url,
    close: (graceMs = DEFAULT_SHUTDOWN_GRACE_MS) => (closed ??= close(graceMs)),
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'api' });
  // Before the Temporal client: its tracing interceptors are chosen when it is made.
  const tracing = startTracing({
    serviceName: 'orderflow-api',
    otlpEndpoint: config.telemetry.otlpEndpoint,
  });
  const database = await connectDatabase(config.mongodbUri, logger);
  const temporal = await connectClient(config.temporal);
  const api = await startApi({ config, database, temporal, logger });
  logger.info({ url: api.url }, 'api listening');

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'api shutting down');
    await api.close();
    await temporal.connection.close();
    await database.close();
    await tracing?.shutdown();
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
