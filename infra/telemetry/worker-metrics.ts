// orderflow's own Prometheus metrics of a worker process, on a registry of its own: the
// process's (CPU, memory, event loop) and the provider webhooks' deliveries. The Temporal SDK's
// metrics are served beside them (infra/telemetry/metrics-server.ts).

import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { DELIVERY_ATTEMPT_HEADER, type WebhookClient } from '../webhook-client';

export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const webhookDeliveries = new Counter({
    name: 'orderflow_webhook_deliveries_total',
    help:
      'Provider webhook deliveries by outcome (delivered: 2xx; rejected: another status; ' +
      'failed: no answer) and whether the delivery was a retry',
    labelNames: ['outcome', 'retry'] as const,
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: 'orderflow_webhook_delivery_duration_seconds',
    help: 'How long a provider took to answer a webhook, failures included',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, webhookDeliveries, webhookDuration };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** `client`, with each delivery counted and timed. */
export function observeWebhooks(client: WebhookClient, metrics: WorkerMetrics): WebhookClient {
  return {
    async post(url, options) {
      const retry = Number(options.headers[DELIVERY_ATTEMPT_HEADER] ?? '1') > 1 ? 'true' : 'false';
      const stop = metrics.webhookDuration.startTimer();
      try {
        const answer = await client.post(url, options);
        const ok = answer.status >= 200 && answer.status <= 299;
        metrics.webhookDeliveries.inc({ outcome: ok ? 'delivered' : 'rejected', retry });
        return answer;
      } catch (error) {
        metrics.webhookDeliveries.inc({ outcome: 'failed', retry });
        throw error;
      } finally {
        stop();
      }
    },
    close: () => client.close(),
  };
}
