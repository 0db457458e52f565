// A worker process started with WORKER_METRICS_PORT serves one /metrics with the Temporal
// SDK's metrics (schedule-to-start and workflow task latencies, sticky cache, slots) and
// orderflow's own, after it ran an order against the real Temporal server and database; and
// Debian's Prometheus, on ops/prometheus/'s config, scrapes it and the API (both targets up),
// finds the series its rules select, and loads the rules.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { prometheusArgs, writePrometheusConfig } from '../ops/prometheus/setup';
import {
  eventually,
  startWebhookReceiver,
  useHarness,
  type WebhookReceiver,
} from './support/harness';
import { groceryOrder, placeOrder } from './support/orders';
import { startWorkerProcess } from './support/worker-process';

let webhooks: WebhookReceiver;
beforeAll(async () => {
  webhooks = await startWebhookReceiver();
});
// No in-process worker: the worker under test is a process of its own.
const harness = useHarness(() => ({
  withWorker: false,
  providers: [{ vertical: 'grocery', webhookUrl: webhooks.url }],
}));
afterAll(() => webhooks.close());

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** The samples of `name` (exact, or with a histogram's suffix) whose labels include `labels`. */
function samples(text: string, name: string, labels: Record<string, string> = {}): string[] {
  return text
    .split('\n')
    .filter((line) => /^[a-zA-Z_:]/.test(line))
    .filter((line) => {
      const metric = line.split(/[{ ]/, 1)[0];
      return metric === name || metric === `${name}_bucket` || metric === `${name}_count`;
    })
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
}

test("one /metrics: the SDK's schedule-to-start, task latency, sticky cache and slots beside orderflow's webhook and process metrics", async () => {
  const port = await freePort();
  const worker = startWorkerProcess(harness, 'workers/order-worker.ts', {
    WORKER_METRICS_PORT: String(port),
  });
  try {
    await eventually(() => worker.output().includes('order worker started'), 30_000, 'the worker');
    const url = `http://127.0.0.1:${port}/metrics`;
    expect(worker.output()).toContain(url);

    const answer = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId));
    expect(answer.status).toBe(201);
    await webhooks.waitForEvent('order.created', answer.body.orderId as string);

    const queue = { task_queue: harness.config.temporal.taskQueue };
    const text = await eventually(
      async () => {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        const body = await response.text();
        const delivered = samples(body, 'orderflow_webhook_deliveries_total', {
          outcome: 'delivered',
        });
        return delivered.length > 0 ? body : undefined;
      },
      10_000,
      'the delivered webhook in /metrics',
    );

    // The Temporal SDK's, for this worker's task queue.
    for (const name of [
      'temporal_workflow_task_schedule_to_start_latency',
      'temporal_workflow_task_execution_latency',
      'temporal_activity_schedule_to_start_latency',
      'temporal_worker_task_slots_available',
      'temporal_worker_task_slots_used',
    ])
      expect({ name, found: samples(text, name, queue).length > 0 }).toEqual({ name, found: true });
    expect(samples(text, 'temporal_sticky_cache_size').length).toBeGreaterThan(0);
    // orderflow's: the one webhook, a first try, delivered; the SDK's text was read; the process.
    expect(samples(text, 'orderflow_webhook_deliveries_total')).toEqual([
      'orderflow_webhook_deliveries_total{outcome="delivered",retry="false"} 1',
    ]);
    expect(samples(text, 'orderflow_worker_sdk_metrics_up')).toEqual([
      'orderflow_worker_sdk_metrics_up 1',
    ]);
    expect(samples(text, 'process_cpu_user_seconds_total').length).toBe(1);
    // Two expositions concatenated: still one TYPE line per metric.
    const types = text.split('\n').filter((line) => line.startsWith('# TYPE '));
    expect(new Set(types.map((line) => line.split(' ')[2])).size).toBe(types.length);

    await expectPrometheusScrapes({
      api: new URL(harness.apiUrl).host,
      worker: `127.0.0.1:${port}`,
      taskQueue: harness.config.temporal.taskQueue,
    });
  } finally {
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  }
});

interface PrometheusAnswer<T> {
  status: string;
  data: T;
}

/**
 * Runs Prometheus on ops/prometheus/'s config against the API and the worker until it has
 * scraped both; the series its rules read are there under the labels they select.
 */
async function expectPrometheusScrapes(where: { api: string; worker: string; taskQueue: string }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-prometheus-'));
  const listen = `127.0.0.1:${await freePort()}`;
  writePrometheusConfig(
    dir,
    { apis: [where.api], workers: [where.worker] },
    { scrapeInterval: '1s' },
  );
  const prometheus = spawn('prometheus', prometheusArgs(dir, listen), { stdio: 'ignore' });
  const exited = new Promise((resolve) => prometheus.once('exit', resolve));
  const api = async <T>(query: string): Promise<T | undefined> => {
    try {
      const response = await fetch(`http://${listen}/api/v1/${query}`);
      return ((await response.json()) as PrometheusAnswer<T>).data;
    } catch {
      return undefined; // not listening yet
    }
  };
  try {
    type Targets = { activeTargets: { labels: { job: string }; health: string }[] };
    const targets = await eventually(
      async () => {
        const data = await api<Targets>('targets');
        const scraped = data?.activeTargets.filter((t) => t.health !== 'unknown');
        return scraped?.length === 2 ? data : undefined;
      },
      30_000,
      'Prometheus to scrape the API and the worker',
    );
    expect(targets.activeTargets.map((t) => [t.labels.job, t.health]).sort()).toEqual([
      ['orderflow-api', 'up'],
      ['orderflow-worker', 'up'],
    ]);
    type Vector = { result: { metric: Record<string, string> }[] };
    const query = (expr: string) => api<Vector>(`query?query=${encodeURIComponent(expr)}`);
    const scheduleToStart = await query('temporal_workflow_task_schedule_to_start_latency_count');
    expect(scheduleToStart?.result.map((r) => [r.metric.job, r.metric.task_queue])).toEqual([
      ['orderflow-worker', where.taskQueue],
    ]);
    // The checkout's series, as the checkout p99 rule selects it.
    const checkouts = await query(
      'orderflow_http_request_duration_seconds_count{method="POST", route="/v1/orders"}',
    );
    expect(checkouts?.result.map((r) => [r.metric.job, r.metric.status])).toEqual([
      ['orderflow-api', '201'],
    ]);
    type Rules = { groups: { name: string }[] };
    const rules = await api<Rules>('rules');
    expect(rules?.groups.map((g) => g.name).sort()).toEqual([
      'orderflow-alerts',
      'orderflow-recording',
    ]);
  } finally {
    prometheus.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
