// Checkout latency and throughput on the embedded runtime: `npm run bench:checkout`.
// Starts throwaway servers, a worker and the API, places ORDERS grocery orders (tok_ok) with
// CONCURRENCY callers, and prints the latency percentiles of POST /v1/orders (which answers
// after the payment decision) and the orders per second. Nothing here asserts: it measures.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Runtime } from '@temporalio/worker';
import { sampleGroceryOrder } from '../dev/sample-orders';
import { startEmbeddedStack } from '../dev/stack';
import { startInProcess } from '../dev/in-process';
import { loadConfig } from '../infra/config';
import { createLogger, temporalLogger } from '../infra/logger';
import { generateSigningSecret } from '../infra/signing';

const ORDERS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 10);
const TOKEN = 'bench-app-token-0001';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-'));
  const stack = await startEmbeddedStack({ dataDir });
  const temporalServer = stack.temporal!;
  const ferret = stack.database!;
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    PORT: '0',
    MONGODB_URI: `${ferret.uri}/bench`,
    TEMPORAL_ADDRESS: temporalServer.address,
    API_TOKENS: `bench:app:${TOKEN}`,
  });
  const logger = createLogger(config.logLevel);
  Runtime.install({ logger: temporalLogger(logger), shutdownSignals: [] });
  const orderflow = await startInProcess(config, logger);
  const { database } = orderflow;
  await database.models.Provider.create({
    _id: 'bench-store',
    vertical: 'grocery',
    name: 'Bench store',
    signingSecret: generateSigningSecret(),
    confirmationTimeoutSeconds: 600,
  });

  const body = JSON.stringify(
    sampleGroceryOrder('bench-store', {
      customerId: 'cust_bench',
      items: [{ sku: 'apple', name: 'Apples', quantity: 2, unitPrice: 1299 }],
      deliveryAddress: '1 Bench Road',
    }),
  );
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ORDERS) {
        next += 1;
        const t0 = performance.now();
        const response = await fetch(`${orderflow.apiUrl}/v1/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
            'idempotency-key': randomUUID(),
          },
          body,
        });
        await response.arrayBuffer();
        if (response.status === 201) latencies.push(performance.now() - t0);
        else failures += 1;
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const report = {
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

  await orderflow.close();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
