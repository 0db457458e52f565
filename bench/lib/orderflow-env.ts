// The settings every orderflow process of a load run gets, wherever it runs (the API and
// worker the generator spawns beside the dev server, or the cluster's APIs and workers): the
// run's own tokens and keys, production mode, orders that close when they end.

import { randomBytes } from 'node:crypto';
import type { LoadOptions } from './plan';

export interface OrderflowSettings {
  /** Without the addresses (MONGODB_URI, TEMPORAL_ADDRESS, HOST, PORT, the task queue). */
  env: Record<string, string>;
  appToken: string;
  adminToken: string;
}

export function orderflowSettings(options: LoadOptions): OrderflowSettings {
  const appToken = `load-app-${randomBytes(12).toString('hex')}`;
  const adminToken = `load-admin-${randomBytes(12).toString('hex')}`;
  const key = () => randomBytes(32).toString('base64');
  return {
    appToken,
    adminToken,
    env: {
      // As in production: payloads and provider secrets encrypted, the worker's defaults.
      NODE_ENV: 'production',
      LOG_LEVEL: options.logLevel,
      API_TOKENS: `load-app:app:${appToken},load-admin:admin:${adminToken}`,
      PAYLOAD_ENCRYPTION_KEYS: `load-p1:${key()}`,
      SECRET_ENCRYPTION_KEYS: `load-s1:${key()}`,
      // Orders close when they end, as the recorded histories (and the bare shape) do; with the
      // 30-day default each workflow would stay open on a timer for support refunds.
      REFUND_WINDOW_SECONDS: '0',
      // The generator's webhook receiver listens on 127.0.0.1.
      ALLOW_PRIVATE_WEBHOOKS: 'true',
      ...workerSizing(),
      // For before/after runs of how the worker writes checkout's answer
      // (infra/checkout-answers.ts): the generator's own setting, when it has one.
      ...passedOn(['CHECKOUT_ANSWER_WITH_PUBLICATION']),
    },
  };
}

/** The worker settings the order workers and the bare worker share (infra/config.ts). */
export function workerSizing(): Record<string, string> {
  return passedOn(['WORKER_MAX_CONCURRENT_ACTIVITIES', 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS']);
}

/** The generator's own settings of these names, those it has. */
function passedOn(names: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value) settings[name] = value;
  }
  return settings;
}
