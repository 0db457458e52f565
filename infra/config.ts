// The one place that reads the environment. Every setting is validated at start-up, and a
// bad one stops the process with a message naming the variable.

import { createHash } from 'node:crypto';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { KEY_BYTES, type KeySpec } from './codec';
import {
  TASK_QUEUE_LAYOUTS,
  WORKER_LANES,
  type TaskQueueLayout,
  type WorkerLane,
} from './task-queues';
import type { WebhookTargetPolicy } from './webhook-targets';

const ROLES = ['app', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiClient {
  /** Who is calling; idempotency keys are scoped to it. */
  name: string;
  role: Role;
  /** Lower-case hex SHA-256 of the token: the token itself is never kept. */
  tokenSha256: string;
}

/** The form `API_TOKENS` accepts instead of a token (`npm run hash-token -- <token>`). */
export const tokenDigest = (token: string): string =>
  createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * `name:role:token` or `name:role:sha256:<64 hex>` entries separated by commas, e.g.
 * `checkout:app:s3cret-s3cret`. Plain tokens are hashed here and dropped.
 */
const apiTokens = z.string().transform((value, ctx): ApiClient[] => {
  const clients: ApiClient[] = [];
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name, role, ...secret] = entry.split(':');
    const hashed = secret.length === 2 && secret[0] === 'sha256' ? secret[1]! : undefined;
    if (!name || !ROLES.includes(role as Role) || !(secret.length === 1 || hashed !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected name:role:token or name:role:sha256:<hex> with role one of ${ROLES.join('|')}`,
      });
      return z.NEVER;
    }
    if (hashed !== undefined && !/^[0-9a-fA-F]{64}$/.test(hashed)) {
      ctx.addIssue({
        code: 'custom',
        message: `the sha256 of "${name}" is not 64 hex digits`,
      });
      return z.NEVER;
    }
    const token = secret[0]!;
    if (hashed === undefined && token.length < 12) {
      ctx.addIssue({
        code: 'custom',
        message: `the token of "${name}" is shorter than 12 characters`,
      });
      return z.NEVER;
    }
    const tokenSha256 = hashed?.toLowerCase() ?? tokenDigest(token);
    if (clients.some((client) => client.tokenSha256 === tokenSha256)) {
      ctx.addIssue({ code: 'custom', message: `"${name}" has the same token as another entry` });
      return z.NEVER;
    }
    clients.push({ name, role: role as Role, tokenSha256 });
  }
  if (clients.length === 0)
    ctx.addIssue({ code: 'custom', message: 'at least one token is required' });
  return clients;
});

/** `id:base64key` entries separated by commas, 32-byte keys; the first one encrypts. */
const encryptionKeys = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .transform((value, ctx): KeySpec[] => {
      const keys: KeySpec[] = [];
      for (const entry of value
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const [id, key, ...rest] = entry.split(':');
        const bytes = key && /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : null;
        if (
          !id ||
          !key ||
          !/^[\w.-]{1,64}$/.test(id) ||
          rest.length > 0 ||
          bytes?.length !== KEY_BYTES
        ) {
          ctx.addIssue({
            code: 'custom',
            message: `expected id:key entries, the id of letters, digits, . _ - and the key ${KEY_BYTES} bytes in base64 (openssl rand -base64 ${KEY_BYTES})`,
          });
          return z.NEVER;
        }
        if (keys.some((k) => k.id === id)) {
          ctx.addIssue({ code: 'custom', message: `the key id "${id}" appears twice` });
          return z.NEVER;
        }
        keys.push({ id, key });
      }
      if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'no key in the list' });
      return keys;
    })
    .optional(),
);

const origins = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'origins are scheme://host[:port], no path')),
  );

/**
 * Express's `trust proxy`: which peers may tell the API, through `X-Forwarded-Proto`/`-Host`/
 * `-For`, that a request came over TLS (the codec cookie is `Secure` only then) and from where.
 * `false` (nobody), a hop count, or addresses, CIDR ranges and Express's named ranges
 * (`loopback`, `linklocal`, `uniquelocal`). Never `true`: that trusts any peer's headers.
 */
export type TrustProxy = false | number | readonly string[];

/**
 * Whether Express takes `entry` as a proxy address or range. Judged by proxy-addr, the
 * library Express compiles the setting with, so that a value accepted here cannot stop the
 * app from starting (Node's `isIP` accepts addresses such as `::0.0.0.0` that it refuses).
 */
function isTrustedProxyEntry(entry: string): boolean {
  try {
    proxyAddr.compile(entry);
    return true;
  } catch {
    return false;
  }
}

const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): TrustProxy => {
    const text = value?.trim() ?? '';
    if (text === '' || text === 'false') return false;
    if (/^\d+$/.test(text)) {
      const hops = Number(text);
      if (hops <= 32) return hops;
    }
    const entries = text.split(',').map((e) => e.trim());
    const bad = entries.filter((entry) => !isTrustedProxyEntry(entry));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `expected false, a hop count (0-32), or addresses/CIDRs/loopback/linklocal/uniquelocal separated by commas; not ${bad.map((e) => JSON.stringify(e)).join(', ')}`,
      });
      return z.NEVER;
    }
    return entries;
  });

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z.string().min(1).optional();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  /** Which reverse proxies' X-Forwarded-* headers the API believes (Express's `trust proxy`). */
  TRUST_PROXY: trustProxy,

  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI'),

  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('orders'),
  /** One queue for everything, or one per vertical plus maintenance (infra/task-queues.ts). */
  TEMPORAL_TASK_QUEUE_LAYOUT: z.enum(TASK_QUEUE_LAYOUTS).default('single'),
  /** Temporal Cloud: an API key, or mTLS with a client certificate and key (PEM files). */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,

  API_TOKENS: apiTokens,
  /** Temporal payload encryption (infra/codec.ts); required in production. */
  PAYLOAD_ENCRYPTION_KEYS: encryptionKeys,
  /** Provider signing secrets at rest; PAYLOAD_ENCRYPTION_KEYS's keys when unset outside production. */
  SECRET_ENCRYPTION_KEYS: encryptionKeys,
  /** Browser origins allowed to call the codec endpoint: the Temporal Web UI's. */
  CODEC_CORS_ORIGINS: origins.default(['http://127.0.0.1:8233', 'http://localhost:8233']),

  /** Seconds a provider callback's timestamp may be off from our clock. */
  SIGNATURE_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
  /**
   * Whether provider webhooks may go to loopback, private and link-local addresses (the
   * embedded development setup and the tests, whose simulators listen on 127.0.0.1). Cloud
   * metadata addresses are refused either way (infra/webhook-targets.ts).
   */
  ALLOW_PRIVATE_WEBHOOKS: z.enum(['true', 'false']).default('false'),
  /** How long a provider's previous secrets stay valid after a rotation (0 … 7 days). */
  SECRET_ROTATION_GRACE_SECONDS: z.coerce.number().int().min(0).max(604_800).default(86_400),
  /**
   * How often a process asks which providers admins changed (it keeps a provider and its
   * secrets until then, at most 10 minutes), and how long it keeps the app's event endpoints
   * (0: nothing is kept). An admin's change reaches the process that made it at once and the
   * others within this (infra/provider-directory.ts).
   */
  DIRECTORY_CACHE_SECONDS: z.coerce.number().min(0).max(60).default(5),
  /** How long checkout waits for the payment decision before answering 503. */
  CHECKOUT_WAIT_SECONDS: z.coerce.number().positive().default(35),
  /**
   * Checkouts one API process runs at once at most; beyond its adaptive limit callers get
   * `503 server_busy` at once (api/admission.ts). The limit shrinks while checkouts take
   * longer than CHECKOUT_TARGET_LATENCY_MS, down to CHECKOUT_MIN_IN_FLIGHT, and grows back.
   */
  CHECKOUT_MAX_IN_FLIGHT: z.coerce.number().int().positive().default(64),
  CHECKOUT_MIN_IN_FLIGHT: z.coerce.number().int().positive().default(4),
  CHECKOUT_TARGET_LATENCY_MS: z.coerce.number().int().positive().default(2_000),
  /** How long until the next checkout try, for callers turned away as busy. */
  CHECKOUT_BUSY_RETRY_AFTER_SECONDS: z.coerce.number().int().positive().default(1),
  /** How long after checkout an order may still start authorising; must exceed the wait. */
  CHECKOUT_PAYMENT_WINDOW_SECONDS: z.coerce.number().positive().default(60),
  /** Upper bound for one order's total, in minor units: a guard against typos and abuse. */
  MAX_ORDER_AMOUNT: z.coerce.number().int().positive().default(100_000_000),
  /** How long after an order closes support may still refund it (0: not after closing). */
  REFUND_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 86_400),
  /** How long an order's after-sales workflow waits for another request before it ends. */
  AFTER_SALES_IDLE_SECONDS: z.coerce.number().int().positive().default(300),
  /** A support refund above this many minor units waits for an admin's approval. */
  REFUND_APPROVAL_THRESHOLD: z.coerce.number().int().min(0).default(50_000),
  /** Grocery: how long past the delivery window an undelivered order needs attention. */
  DELIVERY_OVERDUE_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 60),
  /** A compensation (void, refund) still failing after this long needs attention (0: never). */
  SETTLEMENT_ATTENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10 * 60),

  /** How long a checkout's Idempotency-Key (and its recorded answers) is kept; then it is purged. */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().positive().default(24),

  /** App events: the first retry after a failed delivery, then doubling up to the maximum. */
  APP_EVENT_RETRY_INITIAL_SECONDS: z.coerce.number().positive().max(3600).default(10),
  APP_EVENT_RETRY_MAX_SECONDS: z.coerce.number().positive().max(86_400).default(3600),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(40),
  /** A prebuilt workflow bundle (bundleWorkflowCode); built at start when absent. */
  WORKFLOW_BUNDLE_PATH: optionalString,
  /** The lanes a worker process polls (`grocery,hotel,teleconsultation,maintenance,legacy`); all when unset. */
  WORKER_TASK_QUEUES: z
    .string()
    .optional()
    .transform((value, ctx): WorkerLane[] | undefined => {
      if (value === undefined || value.trim() === '') return undefined;
      const lanes = value.split(',').map((lane) => lane.trim());
      const unknown = lanes.filter((lane) => !(WORKER_LANES as readonly string[]).includes(lane));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown lane ${unknown.join(', ')}: use ${WORKER_LANES.join(', ')}`,
        });
        return z.NEVER;
      }
      return lanes as WorkerLane[];
    }),
  /** Where a worker serves Prometheus /metrics (the Temporal SDK's and its own), on HOST; unset: none. */
  WORKER_METRICS_PORT: z.preprocess((value) => (value === '' ? undefined : value), port.optional()),
  /**
   * How long a worker gathers listing copies before writing them in one command
   * (infra/listing-copies.ts): how far the order listing and support search may lag behind.
   */
  LISTING_WRITE_WINDOW_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
  /**
   * How long the sandbox payment gateway keeps a `tok_slow` call (infra/payments/sandbox.ts).
   * MISSION.md's "about two seconds"; a test that must outlast a longer checkout wait sets more.
   */
  SANDBOX_SLOW_PAYMENT_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /**
   * Whether workers write an authorised order's answer to checkout with its first publication,
   * in one insert (infra/checkout-answers.ts). `false` while any API from before this setting
   * runs (a rolling upgrade): those record checkout's "nothing was charged" in one place only.
   */
  CHECKOUT_ANSWER_WITH_PUBLICATION: z.enum(['true', 'false']).default('true'),
  /** An OTLP/HTTP collector (e.g. http://127.0.0.1:4318) that receives traces; unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
      .optional(),
  ),
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  http: { host: string; port: number; trustProxy: TrustProxy };
  mongodbUri: string;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    queueLayout: TaskQueueLayout;
    apiKey?: string;
    tls?: { certPath?: string; keyPath?: string; serverName?: string };
    /** Payload encryption keys, the first encrypts; none: payloads are stored in clear. */
    payloadEncryptionKeys?: readonly KeySpec[];
  };
  apiClients: readonly ApiClient[];
  /** Keys for provider signing secrets at rest; none: stored in clear (never in production). */
  secretEncryptionKeys?: readonly KeySpec[];
  codec: { corsOrigins: readonly string[] };
  signatureToleranceSeconds: number;
  /** Where provider webhooks may go (infra/webhook-targets.ts). */
  webhooks: WebhookTargetPolicy;
  secretRotationGraceSeconds: number;
  /** How long providers, their secrets and app endpoints are kept per process (ms). */
  directoryCacheMs: number;
  maxOrderAmount: number;
  checkout: {
    waitMs: number;
    paymentWindowMs: number;
    maxInFlight: number;
    minInFlight: number;
    targetLatencyMs: number;
    busyRetryAfterSeconds: number;
  };
  support: {
    refundWindowSeconds: number;
    refundApprovalThreshold: number;
    afterSalesIdleSeconds: number;
  };
  deliveryOverdueGraceSeconds: number;
  settlementAttentionSeconds: number;
  idempotencyRetentionHours: number;
  /** Backoff between delivery attempts of an app event (workflows/app-event-delivery.ts). */
  appEvents: { retryInitialMs: number; retryMaximumMs: number };
  worker: {
    maxConcurrentActivities: number;
    maxConcurrentWorkflowTasks: number;
    workflowBundlePath?: string;
    /** What this worker process polls; undefined: every lane. */
    lanes?: readonly WorkerLane[];
    /** The worker's Prometheus /metrics port; none: no metrics server. */
    metricsPort?: number;
    /** How long the sandbox gateway keeps a `tok_slow` call (ms). */
    sandboxSlowPaymentMs: number;
    /** Whether an authorised order's checkout answer is written with its first publication. */
    checkoutAnswerWithPublication: boolean;
    /** How long listing copies are gathered before they are written (ms). */
    listingWindowMs: number;
  };
  telemetry: { otlpEndpoint?: string };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.')}: ${issue.message}`,
    );
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  const tlsWanted =
    env.TEMPORAL_TLS === 'true' ||
    env.TEMPORAL_TLS_CERT_PATH !== undefined ||
    env.TEMPORAL_API_KEY !== undefined;
  if (env.CHECKOUT_PAYMENT_WINDOW_SECONDS <= env.CHECKOUT_WAIT_SECONDS) {
    throw new ConfigError(
      'invalid configuration:\n  CHECKOUT_PAYMENT_WINDOW_SECONDS must exceed CHECKOUT_WAIT_SECONDS',
    );
  }
  if ((env.TEMPORAL_TLS_CERT_PATH === undefined) !== (env.TEMPORAL_TLS_KEY_PATH === undefined)) {
    throw new ConfigError(
      'invalid configuration:\n  TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together',
    );
  }
  if (env.NODE_ENV === 'production') {
    const missing = (['PAYLOAD_ENCRYPTION_KEYS', 'SECRET_ENCRYPTION_KEYS'] as const).filter(
      (name) => env[name] === undefined,
    );
    if (missing.length > 0) {
      throw new ConfigError(
        `invalid configuration:\n${missing.map((name) => `  ${name}: required in production`).join('\n')}`,
      );
    }
  }
  return deepFreeze({
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT, trustProxy: env.TRUST_PROXY },
    mongodbUri: env.MONGODB_URI,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      queueLayout: env.TEMPORAL_TASK_QUEUE_LAYOUT,
      apiKey: env.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? {
            certPath: env.TEMPORAL_TLS_CERT_PATH,
            keyPath: env.TEMPORAL_TLS_KEY_PATH,
            serverName: env.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
      payloadEncryptionKeys: env.PAYLOAD_ENCRYPTION_KEYS,
    },
    apiClients: env.API_TOKENS,
    secretEncryptionKeys: env.SECRET_ENCRYPTION_KEYS ?? env.PAYLOAD_ENCRYPTION_KEYS,
    codec: { corsOrigins: env.CODEC_CORS_ORIGINS },
    signatureToleranceSeconds: env.SIGNATURE_TOLERANCE_SECONDS,
    webhooks: { allowPrivate: env.ALLOW_PRIVATE_WEBHOOKS === 'true' },
    secretRotationGraceSeconds: env.SECRET_ROTATION_GRACE_SECONDS,
    directoryCacheMs: env.DIRECTORY_CACHE_SECONDS * 1000,
    maxOrderAmount: env.MAX_ORDER_AMOUNT,
    checkout: {
      waitMs: env.CHECKOUT_WAIT_SECONDS * 1000,
      paymentWindowMs: env.CHECKOUT_PAYMENT_WINDOW_SECONDS * 1000,
      maxInFlight: env.CHECKOUT_MAX_IN_FLIGHT,
      minInFlight: env.CHECKOUT_MIN_IN_FLIGHT,
      targetLatencyMs: env.CHECKOUT_TARGET_LATENCY_MS,
      busyRetryAfterSeconds: env.CHECKOUT_BUSY_RETRY_AFTER_SECONDS,
    },
    support: {
      refundWindowSeconds: env.REFUND_WINDOW_SECONDS,
      refundApprovalThreshold: env.REFUND_APPROVAL_THRESHOLD,
      afterSalesIdleSeconds: env.AFTER_SALES_IDLE_SECONDS,
    },
    deliveryOverdueGraceSeconds: env.DELIVERY_OVERDUE_GRACE_SECONDS,
    settlementAttentionSeconds: env.SETTLEMENT_ATTENTION_SECONDS,
    idempotencyRetentionHours: env.IDEMPOTENCY_RETENTION_HOURS,
    appEvents: {
      retryInitialMs: env.APP_EVENT_RETRY_INITIAL_SECONDS * 1000,
      retryMaximumMs:
        Math.max(env.APP_EVENT_RETRY_MAX_SECONDS, env.APP_EVENT_RETRY_INITIAL_SECONDS) * 1000,
    },
    worker: {
      maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
      lanes: env.WORKER_TASK_QUEUES,
      metricsPort: env.WORKER_METRICS_PORT,
      listingWindowMs: env.LISTING_WRITE_WINDOW_MS,
      sandboxSlowPaymentMs: env.SANDBOX_SLOW_PAYMENT_MS,
      checkoutAnswerWithPublication: env.CHECKOUT_ANSWER_WITH_PUBLICATION === 'true',
    },
    telemetry: { otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
