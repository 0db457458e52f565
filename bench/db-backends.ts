// The embedded database's backends side by side: `npm run bench:db -- [documents] [concurrency]
// [backend…]`. For each backend (postgresql, sqlite, or a mongodb:// URI of any other server)
// it starts FerretDB on throwaway data, then with CONCURRENCY callers times orderflow's kinds
// of database work on DOCUMENTS order-shaped documents (each phase stops after DOCUMENTS
// operations or PHASE_SECONDS, whichever comes first), and prints one table. It also checks
// whether 50 concurrent `$inc` on one document all land. Nothing here asserts: it measures.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { EMBEDDED_DB_BACKENDS, type EmbeddedDbBackend } from '../dev/embedded';
import { startEmbeddedStack } from '../dev/stack';

const DOCUMENTS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 10);
const TARGETS = process.argv.slice(4).length ? process.argv.slice(4) : [...EMBEDDED_DB_BACKENDS];
const PHASE_SECONDS = 20;

interface Phase {
  name: string;
  ops: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Operations the server refused (SQLite answers SQLITE_BUSY when writers queue too long). */
  failed: number;
}

/** Runs `op(i)` for i = 0, 1, … with CONCURRENCY callers; throughput and latency. */
async function timed(name: string, count: number, op: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + PHASE_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        try {
          await op(i);
          latencies.push(performance.now() - t0);
        } catch {
          failed += 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    name,
    ops: latencies.length,
    perSecond: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    failed,
  };
}

/** An order as the read model keeps it (activities/orders.ts), about 700 bytes. */
function order(i: number, revision: number) {
  const id = `ord_${String(i).padStart(8, '0')}`;
  return {
    _id: id,
    orderId: id,
    reference: `ref-${i}`,
    vertical: 'grocery',
    status: revision === 1 ? 'authorised' : 'provider_confirmed',
    customerId: `cust_${i % Math.max(1, Math.floor(DOCUMENTS / 10))}`,
    providerId: `store-${i % 7}`,
    createdAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)).toISOString(),
    updatedAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i + revision)).toISOString(),
    revision,
    currency: 'CNY',
    amounts: { authorised: 3848, captured: 0, refunded: 0 },
    grocery: {
      items: [
        { sku: 'apple', name: 'Fuji apples 1kg', quantity: 2, unitPrice: 1299 },
        { sku: 'milk', name: 'Fresh milk 1L', quantity: 1, unitPrice: 1250 },
      ],
      deliveryAddress: '1 Bench Road, Hangzhou',
      deliveryWindow: { start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' },
    },
    history: Array.from({ length: revision + 2 }, (_, n) => ({
      at: n,
      status: 'step',
      by: 'system',
    })),
  };
}

async function measure(uri: string): Promise<{ phases: Phase[]; incs: number }> {
  const connection = await mongoose.createConnection(`${uri}/bench`).asPromise();
  try {
    const db = connection.db!;
    // Throwaway for the embedded backends; on a mongodb:// server, a leftover from a last run.
    await db.dropDatabase();
    const orders = db.collection<ReturnType<typeof order>>('orders');
    // The read model's own index for a customer's orders, newest first (infra/models/order.ts).
    await orders.createIndex({ customerId: 1, createdAt: -1 });
    const phases: Phase[] = [];
    const insert = await timed('insert', DOCUMENTS, (i) => orders.insertOne(order(i, 1)));
    phases.push(insert);
    // Every inserted order once, scattered (7919 is prime), then again with a higher revision.
    const pick = (i: number) => (i * 7919) % insert.ops;
    phases.push(
      await timed('update by _id ($set)', DOCUMENTS, (i) =>
        orders.updateOne(
          { _id: order(pick(i), 1)._id },
          {
            $set: { status: 'dispatching', updatedAt: new Date().toISOString() },
          },
        ),
      ),
    );
    // The read model's write: replace by _id when the revision is newer (saveSnapshot).
    phases.push(
      await timed('replace by _id if newer revision', DOCUMENTS, (i) => {
        const doc = order(pick(i), 2 + Math.floor(i / insert.ops));
        return orders.replaceOne({ _id: doc._id, revision: { $lt: doc.revision } }, doc);
      }),
    );
    phases.push(
      await timed('find by _id', DOCUMENTS, (i) => orders.findOne({ _id: order(pick(i), 1)._id })),
    );
    // A customer's last 20 orders through the compound index (support search).
    phases.push(
      await timed('indexed find', DOCUMENTS, (i) =>
        orders
          .find({ customerId: order(pick(i), 1).customerId })
          .sort({ createdAt: -1 })
          .limit(20)
          .toArray(),
      ),
    );
    phases.push(
      await timed('find by non-_id field, no index', DOCUMENTS, (i) =>
        orders.findOne({ reference: `ref-${pick(i)}` }),
      ),
    );
    // Single-document atomicity: 50 concurrent increments of one counter should leave 50.
    const counters = db.collection<{ _id: string; n: number }>('counters');
    await counters.insertOne({ _id: 'c', n: 0 });
    await Promise.all(
      Array.from({ length: 50 }, () => counters.updateOne({ _id: 'c' }, { $inc: { n: 1 } })),
    );
    const counter = await counters.findOne({ _id: 'c' });
    return { phases, incs: Number(counter?.n ?? 0) };
  } finally {
    await connection.close();
  }
}

async function onBackend(target: string) {
  if (target.startsWith('mongodb://')) return measure(target);
  if (!(EMBEDDED_DB_BACKENDS as readonly string[]).includes(target))
    throw new Error(
      `unknown backend ${target}: one of ${EMBEDDED_DB_BACKENDS.join(', ')} or a mongodb:// URI`,
    );
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-db-'));
  const stack = await startEmbeddedStack({
    dataDir,
    temporal: false,
    database: { backend: target as EmbeddedDbBackend },
  });
  try {
    return await measure(stack.database!.uri);
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const results = new Map<string, Awaited<ReturnType<typeof measure>>>();
  for (const target of TARGETS) {
    process.stderr.write(`measuring ${target}…\n`);
    results.set(target, await onBackend(target));
  }
  const first = [...results.values()][0]!;
  const lines = [
    `${DOCUMENTS} documents, ${CONCURRENCY} concurrent callers, each phase ${DOCUMENTS} operations or ${PHASE_SECONDS} s; ops/s (p50 / p99 ms)`,
    '',
    `| operation | ${[...results.keys()].join(' | ')} |`,
    `| --- | ${[...results.keys()].map(() => '---').join(' | ')} |`,
    ...first.phases.map(
      (phase, n) =>
        `| ${phase.name} | ${[...results.values()]
          .map(({ phases }) => {
            const p = phases[n]!;
            const failures = p.failed ? `, ${p.failed} failed` : '';
            return `${p.perSecond.toFixed(0)}/s (${p.p50.toFixed(1)} / ${p.p99.toFixed(1)}${failures})`;
          })
          .join(' | ')} |`,
    ),
    `| 50 concurrent $inc on one document | ${[...results.values()].map((r) => `${r.incs} of 50`).join(' | ')} |`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
