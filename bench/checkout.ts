// Checkout latency and throughput on the embedded runtime: `npm run bench:checkout`.
// Starts throwaway servers, a worker and the API, places ORDERS grocery orders (tok_ok) with
// CONCURRENCY callers, and prints the latency percentiles of POST /v1/orders (which answers
// after the payment decision) and the orders per second. Nothing here asserts: it measures.
// `--phases` also reads every order's history and prints where checkout's time went, phase by
// phase (bench/lib/checkout-phases.ts), as p50 / p95 ms. `--timeline` also prints, for the
// checkout of median latency, each step the worker took (bench/lib/worker-timeline.ts); it
// turns the SDK's logs up, which costs CPU, and leaves out the SDK's metrics. `--bare` places
// the bare workflow's orders instead (bench/bare/: the same shape with empty bodies, started by
// update-with-start straight through Temporal), so `--phases` sets orderflow's checkout beside
// the platform's own at the same concurrency.

import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sampleGroceryOrder } from '../dev/sample-orders';
import { createAdminClient } from '../dev/admin-client';
import { startEmbeddedStack, type EmbeddedStack } from '../dev/stack';
import { startInProcess } from '../dev/in-process';
import { loadConfig } from '../infra/config';
import { createLogger } from '../infra/logger';
import { installWorkerRuntime } from '../infra/telemetry/worker-runtime';
import { generateSigningSecret } from '../infra/signing';
import { orderWorkflowId } from '../workflows/messages';
import { checkoutPhases, summarisePhases, type CheckoutPhase } from './lib/checkout-phases';
import { installTimelineRuntime, workerTimeline } from './lib/worker-timeline';
import { bareWorkflowId } from './bare/messages';
import { startBareInProcess } from './lib/bare-in-process';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const ORDERS = Number(positional[0] ?? 200);
const CONCURRENCY = Number(positional[1] ?? 10);
const PHASES = process.argv.includes('--phases');
const APP_ENDPOINT = process.argv.includes('--app-endpoint');
const TIMELINE = process.argv.includes('--timeline');
const BARE = process.argv.includes('--bare');
const ADMIN_TOKEN = 'bench-admin-token-0001';
const TOKEN = 'bench-app-token-0001';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Where the callers place their orders: orderflow's API, or the bare workflow's client. */
interface CheckoutTarget {
  temporal: Client;
  workflowIdOf(orderId: string): string;
  /** Places one order; its id once its payment is decided, or undefined when it was refused. */
  place(): Promise<string | undefined>;
  /** What the run reports besides latency, once every order is placed. */
  extras(answered: Answered[]): Promise<string>;
  close(): Promise<void>;
}

interface Answered {
  orderId: string;
  sentMs: number;
  answeredMs: number;
}

/** Orderflow in this process (API and worker), with a grocery provider, placing through the API. */
async function startOrderflow(stack: EmbeddedStack): Promise<CheckoutTarget> {
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    PORT: '0',
    MONGODB_URI: `${stack.database!.uri}/bench`,
    TEMPORAL_ADDRESS: stack.temporal!.address,
    API_TOKENS: `bench:app:${TOKEN},bench-admin:admin:${ADMIN_TOKEN}`,
    ALLOW_PRIVATE_WEBHOOKS: 'true',
  });
  const logger = createLogger(config.logLevel);
  const timeline = TIMELINE ? installTimelineRuntime() : undefined;
  const { sdkMetricsUrl } = timeline
    ? { sdkMetricsUrl: undefined }
    : await installWorkerRuntime({ logger, metrics: PHASES, shutdownSignals: [] });
  const orderflow = await startInProcess(config, logger);
  await orderflow.database.models.Provider.create({
    _id: 'bench-store',
    vertical: 'grocery',
    name: 'Bench store',
    signingSecret: generateSigningSecret(),
    confirmationTimeoutSeconds: 600,
  });
  const appEvents = APP_ENDPOINT ? await registerAppEndpoint(orderflow.apiUrl) : undefined;
  const body = JSON.stringify(
    sampleGroceryOrder('bench-store', {
      customerId: 'cust_bench',
      items: [{ sku: 'apple', name: 'Apples', quantity: 2, unitPrice: 1299 }],
      deliveryAddress: '1 Bench Road',
    }),
  );
  return {
    temporal: orderflow.temporal,
    workflowIdOf: orderWorkflowId,
    async place() {
      const response = await fetch(`${orderflow.apiUrl}/v1/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body,
      });
      const answer = (await response.json()) as { orderId?: string };
      return response.status === 201 ? answer.orderId : undefined;
    },
    async extras(answered) {
      return [
        sdkMetricsUrl ? await workerTimes(sdkMetricsUrl) : '',
        timeline ? await medianTimeline(orderflow.temporal, timeline.entries, answered) : '',
        appEvents ? `app events received: ${appEvents.received()}\n` : '',
      ].join('');
    },
    async close() {
      await orderflow.close();
      appEvents?.server.close();
    },
  };
}

/** The bare workflow in this process (bench/lib/bare-in-process.ts), placing through Temporal. */
async function startBare(stack: EmbeddedStack): Promise<CheckoutTarget> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const bare = await startBareInProcess(stack.temporal!.address);
  return {
    temporal: bare.temporal,
    workflowIdOf: bareWorkflowId,
    place: () => bare.place(),
    extras: async () => '',
    close: () => bare.close(),
  };
}

async function main() {
  if (BARE && (TIMELINE || APP_ENDPOINT)) {
    process.stderr.write('--bare takes neither --timeline nor --app-endpoint\n');
    process.exit(2);
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
  const stack = await startEmbeddedStack({ dataDir, ...(BARE ? { database: false } : {}) });
  const target = BARE ? await startBare(stack) : await startOrderflow(stack);

  const latencies: number[] = [];
  const answered: Answered[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ORDERS) {
        next += 1;
        const t0 = performance.now();
        const sentMs = Date.now();
        const orderId = await target.place();
        if (orderId) {
          latencies.push(performance.now() - t0);
          answered.push({ orderId, sentMs, answeredMs: Date.now() });
        } else failures += 1;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const report = {
    system: BARE ? 'bare' : 'orderflow',
    orders: ORDERS,
    concurrency: CONCURRENCY,
    failures,
    throughputPerSecond: Number((latencies.length / elapsedSeconds).toFixed(1)),
    latencyMs: {
      p50: Math.round(percentile(latencies, 50)),
      p95: Math.round(percentile(latencies, 95)),
      p99: Math.round(percentile(latencies, 99)),
      max: Math.round(latencies[latencies.length - 1] ?? 0),
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (PHASES) process.stdout.write(await phaseReport(target, answered));
  process.stdout.write(await target.extras(answered));

  await target.close();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** A local app endpoint answering 204, registered through the admin API. */
async function registerAppEndpoint(apiUrl: string) {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await createAdminClient(apiUrl, ADMIN_TOKEN).registerAppEndpointOrThrow(
    `http://127.0.0.1:${port}/events`,
    'bench',
  );
  return { server, received: () => received };
}

/** p50 / p95 ms of each phase over the orders whose history shows them all. */
async function phaseReport(
  { temporal, workflowIdOf }: Pick<CheckoutTarget, 'temporal' | 'workflowIdOf'>,
  orders: Answered[],
): Promise<string> {
  const read: CheckoutPhase[][] = [];
  for (const { orderId, sentMs, answeredMs } of orders) {
    const history = await temporal.workflow.getHandle(workflowIdOf(orderId)).fetchHistory();
    const phases = checkoutPhases(history.events ?? [], sentMs, answeredMs);
    if (phases) read.push(phases);
  }
  const lines = [`phases of ${read.length} of ${orders.length} checkouts (p50 / p95 ms):`];
  for (const { name, p50, p95 } of summarisePhases(read))
    lines.push(`  ${name.padEnd(50)} ${p50} / ${p95}`);
  return `${lines.join('\n')}\n`;
}

/** The worker's steps for the checkout of median latency, ms after its request was sent. */
async function medianTimeline(
  temporal: Client,
  entries: Parameters<typeof workerTimeline>[0],
  orders: Answered[],
): Promise<string> {
  const byLatency = [...orders].sort((a, b) => a.answeredMs - a.sentMs - (b.answeredMs - b.sentMs));
  const median = byLatency[Math.floor(byLatency.length / 2)];
  if (!median) return '';
  const { orderId, sentMs, answeredMs } = median;
  const workflowId = orderWorkflowId(orderId);
  // Some of the SDK's lines name only the run.
  const { runId } = await temporal.workflow.getHandle(workflowId).describe();
  const steps = workerTimeline(entries, {
    workflowId,
    runId,
    sentMs,
    untilMs: answeredMs,
  });
  const lines = [`the worker's steps for ${orderId}, answered after ${answeredMs - sentMs} ms:`];
  for (const { atMs, step } of steps) lines.push(`  +${String(atMs).padStart(4)} ms  ${step}`);
  return `${lines.join('\n')}\n`;
}

/** Mean ms of the SDK's own timings over the run: workflow tasks, and local activities by type. */
async function workerTimes(sdkMetricsUrl: string): Promise<string> {
  const text = await (await fetch(sdkMetricsUrl)).text();
  const sums = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const found = /^temporal_(\w+?)_(sum|count)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (!found || !/latency/.test(found[1]!)) continue;
    const activity = /activity_type="([^"]+)"/.exec(found[3] ?? '')?.[1];
    const name = `${found[1]}${activity ? ` ${activity}` : ''}`;
    const entry = sums.get(name) ?? { sum: 0, count: 0 };
    if (found[2] === 'sum') entry.sum += Number(found[4]);
    else entry.count += Number(found[4]);
    sums.set(name, entry);
  }
  const lines = ['worker timings (mean ms, count):'];
  for (const [name, { sum, count }] of [...sums].sort()) {
    if (count > 0)
      lines.push(`  ${name.padEnd(60)} ${((sum / count) * 1000).toFixed(1)} (${count})`);
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
