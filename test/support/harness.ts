// One test file's orderflow: its own database and task queue on the shared servers, a real
// order worker and the real API on a free port. `close()` undoes all of it.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import type { Vertical } from '../../domain/order';
import type { KeySpec } from '../../infra/codec';
import { loadConfig, type Config } from '../../infra/config';
import type { Database } from '../../infra/db';
import { createLogger, temporalLogger } from '../../infra/logger';
import type { LedgerEntryType } from '../../infra/models/sandbox-payment';
import { createSandboxGateway } from '../../infra/payments/sandbox';
import { verifyWebhookSignature, type SignatureCheck } from '../../infra/signing';
import { startInProcess } from '../../dev/in-process';
import { createAdminClient } from '../../dev/admin-client';
import { createProviderClient } from '../../dev/provider-client';

export const TOKENS = {
  app: 'test-app-token-0001',
  otherApp: 'test-app-token-0002',
  support: 'test-support-token-0001',
  admin: 'test-admin-token-0001',
};

/**
 * Every integration test runs with payloads encrypted (and provider secrets, which default to
 * these keys). Fixed, so that histories recorded under it replay (test/workflow-replay.test.ts).
 */
export const TEST_PAYLOAD_KEY: KeySpec = {
  id: 'test-1',
  key: 'RpOjPh76hU4nmI8UVPy6z77hiC56+8F3u24iXE2YP78=',
};

export interface Harness {
  apiUrl: string;
  config: Readonly<Config>;
  database: Database;
  temporal: Client;
  gateway: ReturnType<typeof createSandboxGateway>;
  startWorker(): Promise<void>;
  /**
   * Writes the listing copies the worker has queued now: for a test that then changes the
   * `orders` listing directly, which a copy landing late would undo.
   */
  flushListing(): Promise<void>;
  registerProvider(options: {
    vertical: Vertical;
    webhookUrl?: string;
    confirmationTimeoutSeconds?: number;
    doctorNoShowGraceSeconds?: number;
    /** Hotels default to UTC, so a test's dates are the UTC calendar's. */
    timeZone?: string;
    checkInTime?: string;
    checkOutTime?: string;
    fallbackProviderIds?: string[];
  }): Promise<{
    providerId: string;
    signingSecret: string;
    client: ReturnType<typeof createProviderClient>;
  }>;
  /** The sandbox gateway's ledger for an order, as `[type, amount]` pairs in order. */
  ledgerOf(orderId: string): Promise<[type: LedgerEntryType, amount: number][]>;
  close(): Promise<void>;
}

export type RegisteredProvider = Awaited<ReturnType<Harness['registerProvider']>>;

/** Routes the SDK's own logs (worker state changes...) into the test logger, once per process. */
function installTestRuntime(logger: ReturnType<typeof createLogger>): void {
  try {
    Runtime.install({ logger: temporalLogger(logger), shutdownSignals: [] });
  } catch {
    // Already installed by an earlier test file in this jest worker.
  }
}

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the integration tests through jest (test/global-setup.ts)`,
    );
  return value;
}

export interface HarnessOptions {
  /** Extra environment for the configuration, e.g. shorter checkout timeouts. */
  env?: Record<string, string>;
  /** Start without a worker (as if all workers were down); `startWorker()` brings one up. */
  withWorker?: boolean;
}

type ProviderOptions = Parameters<Harness['registerProvider']>[0];

export interface UseHarnessOptions extends HarnessOptions {
  /** Providers registered once the harness is up, by vertical or with their options. */
  providers?: (Vertical | ProviderOptions)[];
}

/** A test file's harness: usable inside tests and hooks declared after `useHarness`. */
export interface UsedHarness extends Harness {
  /** The providers `useHarness` registered, in the order asked for. */
  readonly providers: readonly RegisteredProvider[];
  /** The first of them (most files order from one store). */
  readonly store: RegisteredProvider;
}

/**
 * The one line of harness set-up per e2e file: starts a harness (and registers `providers`)
 * before the file's tests and closes it after them. Call at the top level, before hooks that
 * use it; what it returns reads the running harness, so it can be held in a `const`. Options
 * that depend on an earlier hook's work (a port, say) are given as a function, called then.
 */
export function useHarness(
  options: UseHarnessOptions | (() => UseHarnessOptions) = {},
): UsedHarness {
  let current: Harness | undefined;
  const providers: RegisteredProvider[] = [];
  const running = (): Harness => {
    if (!current) throw new Error('the harness is not running: use it inside tests and hooks');
    return current;
  };
  beforeAll(async () => {
    const chosen = typeof options === 'function' ? options() : options;
    current = await startHarness(chosen);
    for (const spec of chosen.providers ?? [])
      providers.push(
        await current.registerProvider(typeof spec === 'string' ? { vertical: spec } : spec),
      );
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get apiUrl() {
      return running().apiUrl;
    },
    get config() {
      return running().config;
    },
    get database() {
      return running().database;
    },
    get temporal() {
      return running().temporal;
    },
    get gateway() {
      return running().gateway;
    },
    startWorker: () => running().startWorker(),
    flushListing: () => running().flushListing(),
    registerProvider: (provider) => running().registerProvider(provider),
    ledgerOf: (orderId) => running().ledgerOf(orderId),
    close: () => running().close(),
    providers,
    get store() {
      const first = providers[0];
      if (!first) throw new Error('useHarness registered no provider');
      return first;
    },
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const suffix = randomBytes(6).toString('hex');
  const config = loadConfig({
    // Orders close as soon as they end (tests wait for workflow results) unless a test opens
    // a refund window itself.
    REFUND_WINDOW_SECONDS: '0',
    PAYLOAD_ENCRYPTION_KEYS: `${TEST_PAYLOAD_KEY.id}:${TEST_PAYLOAD_KEY.key}`,
    // Webhook receivers in tests listen on 127.0.0.1; a test can turn this off.
    ALLOW_PRIVATE_WEBHOOKS: 'true',
    ...options.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    MONGODB_URI: `${required('TEST_MONGODB_URI')}/test_${suffix}`,
    TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'),
    TEMPORAL_TASK_QUEUE: `orders-${suffix}`,
    WORKFLOW_BUNDLE_PATH: required('TEST_WORKFLOW_BUNDLE_PATH'),
    API_TOKENS: [
      `checkout:app:${TOKENS.app}`,
      `other-checkout:app:${TOKENS.otherApp}`,
      `support:support:${TOKENS.support}`,
      `admin:admin:${TOKENS.admin}`,
    ].join(','),
  });
  const logger = createLogger(config.logLevel, { test: suffix });
  installTestRuntime(logger);
  const orderflow = await startInProcess(config, logger, { withWorker: options.withWorker });
  const { database } = orderflow;

  let providerCount = 0;
  const admin = createAdminClient(orderflow.apiUrl, TOKENS.admin);
  const gateway = createSandboxGateway(database.models);
  return {
    apiUrl: orderflow.apiUrl,
    config,
    database,
    temporal: orderflow.temporal,
    gateway,
    startWorker: orderflow.startWorker,
    flushListing: orderflow.flushListing,
    async registerProvider({
      vertical,
      webhookUrl,
      confirmationTimeoutSeconds = 60,
      doctorNoShowGraceSeconds,
      timeZone = vertical === 'hotel' ? 'UTC' : undefined,
      checkInTime,
      checkOutTime,
      fallbackProviderIds,
    }) {
      providerCount += 1;
      const providerId = `prov-${vertical}-${providerCount}`;
      // Onboarded as an admin would: through the API, which answers the secret once.
      const { signingSecret } = await admin.registerOrThrow({
        providerId,
        vertical,
        name: `Test ${vertical} provider ${providerCount}`,
        webhookUrl,
        confirmationTimeoutSeconds,
        doctorNoShowGraceSeconds,
        timeZone,
        checkInTime,
        checkOutTime,
        fallbackProviderIds,
      });
      return {
        providerId,
        signingSecret,
        client: createProviderClient(orderflow.apiUrl, { providerId, signingSecret }),
      };
    },
    async ledgerOf(orderId) {
      return (await gateway.ledger(orderId)).map((e) => [e.type, e.amount]);
    },
    close: () => orderflow.close({ dropDatabase: true }),
  };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { id: string; type: string; order: { orderId: string; status: string } };
}

/** A provider's webhook endpoint: records what arrives and answers with a chosen status. */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  let answerStatus = 204;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      received.push({
        headers: req.headers,
        rawBody,
        body: JSON.parse(rawBody) as ReceivedWebhook['body'],
      });
      res.writeHead(answerStatus).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhook`;
  return {
    url,
    received,
    answerWith(status: number) {
      answerStatus = status;
    },
    async waitFor(
      predicate: (webhook: ReceivedWebhook) => boolean,
      timeoutMs = 15_000,
    ): Promise<ReceivedWebhook> {
      return eventually(() => received.find(predicate), timeoutMs, 'webhook');
    },
    /** The first `type` webhook (e.g. `order.created`) about `orderId`. */
    async waitForEvent(
      type: string,
      orderId: string,
      timeoutMs = 15_000,
    ): Promise<ReceivedWebhook> {
      return eventually(
        () => received.find((w) => w.body.type === type && w.body.order.orderId === orderId),
        timeoutMs,
        `webhook ${type} for order ${orderId}`,
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

/**
 * Checks a received webhook's signature header (over "<t>.<raw body>") against a provider's
 * secret (5 minutes' leeway).
 */
export function signatureCheck(webhook: ReceivedWebhook, secret: string): SignatureCheck {
  return verifyWebhookSignature(
    webhook.headers['orderflow-signature'] as string,
    secret,
    webhook.rawBody,
    300,
  );
}

/** Polls until `probe` returns something truthy; fails with what it was waiting for. */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
