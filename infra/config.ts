// The one place that reads the environment. Every setting is validated at start-up, and a
// bad one stops the process with a message naming the variable.

import { z } from 'zod';

const ROLES = ['app', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiClient {
  /** Who is calling; idempotency keys are scoped to it. */
  name: string;
  role: Role;
  token: string;
}

/** `name:role:token` entries separated by commas, e.g. `checkout:app:s3cret`. */
const apiTokens = z.string().transform((value, ctx): ApiClient[] => {
  const clients: ApiClient[] = [];
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [name, role, token, ...rest] = entry.split(':');
    if (!name || !token || rest.length > 0 || !ROLES.includes(role as Role)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected name:role:token with role one of ${ROLES.join('|')}`,
      });
      return z.NEVER;
    }
    if (token.length < 12) {
      ctx.addIssue({
        code: 'custom',
        message: `the token of "${name}" is shorter than 12 characters`,
      });
      return z.NEVER;
    }
    clients.push({ name, role: role as Role, token });
  }
  if (clients.length === 0)
    ctx.addIssue({ code: 'custom', message: 'at least one token is required' });
  return clients;
});

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z.string().min(1).optional();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),

  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI'),

  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('orders'),
  /** Temporal Cloud: an API key, or mTLS with a client certificate and key (PEM files). */
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,

  API_TOKENS: apiTokens,

  /** Seconds a provider callback's timestamp may be off from our clock. */
  SIGNATURE_TOLERANCE_SECONDS: z.coerce.number().int().positive().default(300),
  /** How long a provider's previous secrets stay valid after a rotation (0 … 7 days). */
  SECRET_ROTATION_GRACE_SECONDS: z.coerce.number().int().min(0).max(604_800).default(86_400),
  /** How long checkout waits for the payment decision before answering 503. */
  CHECKOUT_WAIT_SECONDS: z.coerce.number().positive().default(35),
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
  /** A support refund above this many minor units waits for an admin's approval. */
  REFUND_APPROVAL_THRESHOLD: z.coerce.number().int().min(0).default(50_000),
  /** Grocery: how long past the delivery window an undelivered order needs attention. */
  DELIVERY_OVERDUE_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 60),

  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().positive().default(40),
  /** A prebuilt workflow bundle (bundleWorkflowCode); built at start when absent. */
  WORKFLOW_BUNDLE_PATH: optionalString,
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  http: { host: string; port: number };
  mongodbUri: string;
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls?: { certPath?: string; keyPath?: string; serverName?: string };
  };
  apiClients: readonly ApiClient[];
  signatureToleranceSeconds: number;
  secretRotationGraceSeconds: number;
  maxOrderAmount: number;
  checkout: { waitMs: number; paymentWindowMs: number };
  support: { refundWindowSeconds: number; refundApprovalThreshold: number };
  deliveryOverdueGraceSeconds: number;
  worker: {
    maxConcurrentActivities: number;
    maxConcurrentWorkflowTasks: number;
    workflowBundlePath?: string;
  };
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
  return deepFreeze({
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    http: { host: env.HOST, port: env.PORT },
    mongodbUri: env.MONGODB_URI,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? {
            certPath: env.TEMPORAL_TLS_CERT_PATH,
            keyPath: env.TEMPORAL_TLS_KEY_PATH,
            serverName: env.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
    },
    apiClients: env.API_TOKENS,
    signatureToleranceSeconds: env.SIGNATURE_TOLERANCE_SECONDS,
    secretRotationGraceSeconds: env.SECRET_ROTATION_GRACE_SECONDS,
    maxOrderAmount: env.MAX_ORDER_AMOUNT,
    checkout: {
      waitMs: env.CHECKOUT_WAIT_SECONDS * 1000,
      paymentWindowMs: env.CHECKOUT_PAYMENT_WINDOW_SECONDS * 1000,
    },
    support: {
      refundWindowSeconds: env.REFUND_WINDOW_SECONDS,
      refundApprovalThreshold: env.REFUND_APPROVAL_THRESHOLD,
    },
    deliveryOverdueGraceSeconds: env.DELIVERY_OVERDUE_GRACE_SECONDS,
    worker: {
      maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
      maxConcurrentWorkflowTasks: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
