// What each database query of an order's path costs as the collections grow:
// `npm run bench:db-growth -- [sizes] [backend] [--no-gin]`. It starts FerretDB on throwaway data
// (PostgreSQL by default, as `npm start` does; `sqlite`, or a mongodb:// URI of any other
// server), fills each collection an order reads to every size in turn (default
// 1000,10000,50000 documents shaped like orderflow's), and at each size times every query the
// order path makes (median wall ms, and the database processes' CPU ms per query when they are
// ours), asks the server's `explain` whether the filter and the sort were pushed down and which
// plan PostgreSQL chose, then runs the sandbox gateway's own calls on fresh orders and counts
// the reads (`find` commands) each one makes. `--no-gin` leaves out the GIN siblings of
// FerretDB's indexes that the embedded PostgreSQL has by default (dev/ferretdb-gin-indexes.sql),
// to measure what they change. Nothing here asserts: it measures.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import mongoose, { type Connection } from 'mongoose';
import {
  EMBEDDED_DB_BACKENDS,
  startFerretDb,
  startPostgres,
  type EmbeddedDbBackend,
} from '../dev/embedded';
import { defineModels, type Models } from '../infra/db';
import { createSandboxGateway } from '../infra/payments/sandbox';
import { psql } from './lib/embedded-database';
import { processTable, treeCpuSeconds } from './lib/proc';

const args = process.argv.slice(2);
const GIN = !args.includes('--no-gin');
const positional = args.filter((a) => !a.startsWith('--'));
const SIZES = (positional[0] ?? '1000,10000,50000').split(',').map(Number);
const TARGET = positional[1] ?? 'postgresql';
const DB_NAME = 'growth';
/** Each query runs at least this many times and for at least MIN_MS, at most MAX_RUNS times. */
const MIN_RUNS = 10;
const MAX_RUNS = 200;
const MIN_MS = 1500;
const GATEWAY_RUNS = 10;

if (
  SIZES.some((n) => !Number.isInteger(n) || n < 1) ||
  SIZES.join() !== [...SIZES].sort((a, b) => a - b).join()
)
  throw new Error('sizes: ascending positive integers, e.g. 1000,10000,50000');

// ---------------------------------------------------------------------------------------------
// Documents shaped like orderflow's (the same fields and about the same size).

const pad = (i: number) => String(i).padStart(8, '0');
const orderId = (i: number) =>
  `ord_${createHash('sha256').update(`o${i}`).digest('hex').slice(0, 24)}`;
const authorisationId = (i: number) =>
  `auth_${createHash('sha256')
    .update(`order:${orderId(i)}:authorise`)
    .digest('hex')
    .slice(0, 32)}`;
const providerId = (i: number) => `store-${pad(Math.floor(i / 2))}`;
const at = (i: number) => new Date(Date.UTC(2030, 0, 1) + i * 1000);

function snapshot(i: number, revision = 3) {
  return {
    orderId: orderId(i),
    reference: `ref-${i}`,
    vertical: 'grocery',
    status: 'dispatching',
    customerId: `cust_${i % 500}`,
    providerId: providerId(i % 14),
    createdAt: at(i).toISOString(),
    updatedAt: at(i + revision).toISOString(),
    revision,
    currency: 'CNY',
    amounts: { authorised: 4148, captured: 4148, refunded: 0 },
    grocery: {
      items: [
        { sku: 'apple', name: 'Fuji apples 1kg', quantity: 2, unitPrice: 1299 },
        { sku: 'milk', name: 'Fresh milk 1L', quantity: 1, unitPrice: 1550 },
      ],
      deliveryAddress: '1 Bench Road, Hangzhou',
      deliveryWindow: { start: '2030-01-01T10:00:00Z', end: '2030-01-01T11:00:00Z' },
    },
    payment: { authorisationId: authorisationId(i) },
    history: Array.from({ length: revision + 2 }, (_, n) => ({
      at: at(i + n).toISOString(),
      status: 'step',
      by: 'system',
    })),
  };
}

/** Per collection: its model, and its i-th document. */
const FILL: Record<string, { model: keyof Models; doc: (i: number) => Record<string, unknown> }> = {
  sandbox_payments: {
    model: 'SandboxPayment',
    doc: (i) => ({
      _id: authorisationId(i),
      authoriseKey: `order:${orderId(i)}:authorise`,
      orderId: orderId(i),
      currency: 'CNY',
      token: 'tok_ok',
      outcome: 'authorised',
      requested: 4148,
      authorised: 4148,
      createdAt: at(i),
    }),
  },
  sandbox_operations: {
    model: 'SandboxOperation',
    doc: (i) => {
      const key = `order:${orderId(i)}:capture`;
      return {
        _id: `${authorisationId(i)}#000000`,
        authorisationId: authorisationId(i),
        orderId: orderId(i),
        seq: 0,
        key,
        at: at(i + 60),
        operation: 'capture',
        entries: [
          { key, type: 'capture', amount: 4000, currency: 'CNY', at: at(i + 60) },
          { key, type: 'release', amount: 148, currency: 'CNY', at: at(i + 60) },
        ],
        result: { captured: 4000, released: 148 },
      };
    },
  },
  // Two secrets a provider (registration, one rotation): this collection grows with the
  // providers, not with the orders.
  provider_secrets: {
    model: 'ProviderSecret',
    doc: (i) => ({
      _id: `${providerId(i)}#${(i % 2) + 1}`,
      providerId: providerId(i),
      seq: (i % 2) + 1,
      secret: `enc:v1:s1:${createHash('sha256').update(`s${i}`).digest('base64')}${'A'.repeat(40)}`,
      createdAt: at(i),
      retiresPredecessorsAt: at(i + 86_400),
    }),
  },
  providers: {
    model: 'Provider',
    doc: (i) => ({
      _id: `store-${pad(i)}`,
      vertical: 'grocery',
      name: `Store ${i}`,
      webhookUrl: `http://127.0.0.1:9/hooks/${i}`,
      createdAt: at(i),
    }),
  },
  idempotency_keys: {
    model: 'IdempotencyRecord',
    doc: (i) => ({
      _id: `checkout:idem-${pad(i)}`,
      requestHash: createHash('sha256').update(`r${i}`).digest('hex'),
      orderId: orderId(i),
      createdAt: at(i),
    }),
  },
  checkout_answers: {
    model: 'CheckoutAnswer',
    doc: (i) => ({ _id: orderId(i), answer: snapshot(i, 1), createdAt: at(i) }),
  },
  orders: { model: 'Order', doc: (i) => ({ _id: orderId(i), ...snapshot(i) }) },
  order_publications: {
    model: 'OrderPublication',
    doc: (i) => ({
      _id: `${orderId(i)}/1`,
      orderId: orderId(i),
      publication: 1,
      snapshot: snapshot(i, 1),
      createdAt: at(i),
    }),
  },
  dispatch_records: {
    model: 'DispatchRecord',
    doc: (i) => ({
      _id: `courier:${orderId(i)}`,
      kind: 'courier',
      orderId: orderId(i),
      data: { courierId: `courier-${i % 40}`, trackingUrl: `https://couriers.example/t/${i}` },
      createdAt: at(i),
    }),
  },
};

// ---------------------------------------------------------------------------------------------
// The queries of an order's path, each as orderflow makes it (`run`, on the i-th document) and
// as a find command for `explain`.

interface Query {
  name: string;
  usedBy: string;
  collection: string;
  run: (m: Models, i: number) => Promise<unknown>;
  explain: (i: number) => Record<string, unknown>;
}

let revisionBump = 10;

const QUERIES: Query[] = [
  {
    name: '`SandboxOperation.find({authorisationId}).sort({seq: 1})`',
    usedBy: 'sandbox capture / void / refund, when it must read the operations (`operationsOf`)',
    collection: 'sandbox_operations',
    run: (m, i) =>
      m.SandboxOperation.find({ authorisationId: authorisationId(i) })
        .sort({ seq: 1 })
        .lean(),
    explain: (i) => ({ filter: { authorisationId: authorisationId(i) }, sort: { seq: 1 } }),
  },
  {
    name: '`SandboxPayment.findById(authorisationId)`',
    usedBy: 'sandbox authorise, capture / void / refund',
    collection: 'sandbox_payments',
    run: (m, i) => m.SandboxPayment.findById(authorisationId(i)).lean(),
    explain: (i) => ({ filter: { _id: authorisationId(i) } }),
  },
  {
    name: '`SandboxPayment.find({orderId}).sort({createdAt: 1})`',
    usedBy: 'sandbox `ledger` (support, reconcile)',
    collection: 'sandbox_payments',
    run: (m, i) =>
      m.SandboxPayment.find({ orderId: orderId(i) })
        .sort({ createdAt: 1 })
        .lean(),
    explain: (i) => ({ filter: { orderId: orderId(i) }, sort: { createdAt: 1 } }),
  },
  {
    name: '`SandboxOperation.find({orderId}).sort({at: 1, seq: 1})`',
    usedBy: 'sandbox `ledger` (support, reconcile)',
    collection: 'sandbox_operations',
    run: (m, i) =>
      m.SandboxOperation.find({ orderId: orderId(i) })
        .sort({ at: 1, seq: 1 })
        .lean(),
    explain: (i) => ({ filter: { orderId: orderId(i) }, sort: { at: 1, seq: 1 } }),
  },
  {
    name: '`ProviderSecret.find({providerId}).sort({seq: -1})`',
    usedBy: '`validSecrets`: every signed callback',
    collection: 'provider_secrets',
    run: (m, i) =>
      m.ProviderSecret.find({ providerId: providerId(i) })
        .sort({ seq: -1 })
        .lean(),
    explain: (i) => ({ filter: { providerId: providerId(i) }, sort: { seq: -1 } }),
  },
  {
    name: '`ProviderSecret.findOne({providerId}).sort({seq: -1})`',
    usedBy: '`newestSecret`: every webhook',
    collection: 'provider_secrets',
    run: (m, i) =>
      m.ProviderSecret.findOne({ providerId: providerId(i) })
        .sort({ seq: -1 })
        .lean(),
    explain: (i) => ({ filter: { providerId: providerId(i) }, sort: { seq: -1 }, limit: 1 }),
  },
  {
    name: '`Provider.findById`',
    usedBy: 'checkout, webhooks, every signed callback',
    collection: 'providers',
    run: (m, i) => m.Provider.findById(`store-${pad(i)}`).lean(),
    explain: (i) => ({ filter: { _id: `store-${pad(i)}` } }),
  },
  {
    name: '`IdempotencyRecord.findById`',
    usedBy: 'checkout',
    collection: 'idempotency_keys',
    run: (m, i) => m.IdempotencyRecord.findById(`checkout:idem-${pad(i)}`).lean(),
    explain: (i) => ({ filter: { _id: `checkout:idem-${pad(i)}` } }),
  },
  {
    name: '`CheckoutAnswer.findById` / `.exists({_id})`',
    usedBy: 'checkout; `authorisePayment`',
    collection: 'checkout_answers',
    run: (m, i) => m.CheckoutAnswer.exists({ _id: orderId(i) }),
    explain: (i) => ({ filter: { _id: orderId(i) } }),
  },
  {
    name: '`Order.replaceOne({_id, revision: {$lt}}, …, {upsert})`',
    usedBy: 'read model: every publication',
    collection: 'orders',
    run: (m, i) => {
      const doc = { ...snapshot(i), revision: revisionBump++ };
      return m.Order.replaceOne(
        { _id: doc.orderId, revision: { $lt: doc.revision } },
        { _id: doc.orderId, ...doc },
        { upsert: true },
      );
    },
    explain: (i) => ({ filter: { _id: orderId(i), revision: { $lt: 1e9 } } }),
  },
  {
    name: '`Order.findById`',
    usedBy: 'read model: `GET /v1/orders/:id`, support',
    collection: 'orders',
    run: (m, i) => m.Order.findById(orderId(i)).lean(),
    explain: (i) => ({ filter: { _id: orderId(i) } }),
  },
  {
    name: '`OrderPublication.findById`',
    usedBy: 'read model: `GET /v1/orders/:id` (each read, at least once)',
    collection: 'order_publications',
    run: (m, i) => m.OrderPublication.findById(`${orderId(i)}/2`).lean(),
    explain: (i) => ({ filter: { _id: `${orderId(i)}/2` } }),
  },
  {
    name: '`DispatchRecord.findById`',
    usedBy: 'dispatch `recordOnce` (courier, voucher, …)',
    collection: 'dispatch_records',
    run: (m, i) => m.DispatchRecord.findById(`courier:${orderId(i)}`).lean(),
    explain: (i) => ({ filter: { _id: `courier:${orderId(i)}` } }),
  },
];

// ---------------------------------------------------------------------------------------------
// Measuring.

/** CPU seconds of the database processes (this process's children: FerretDB, PostgreSQL). */
function databaseCpuSeconds(): number | undefined {
  const children = processTable().get(process.pid) ?? [];
  if (children.length === 0) return undefined;
  return children.reduce((sum, pid) => sum + (treeCpuSeconds(pid) ?? 0), 0);
}

interface Timing {
  /** Median wall milliseconds. */
  ms: number;
  /** Database CPU milliseconds per call (undefined: not our processes). */
  cpuMs?: number;
  runs: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

/** Runs `op` one at a time, at least MIN_RUNS times and MIN_MS long. */
async function time(op: (run: number) => Promise<unknown>, maxRuns = MAX_RUNS): Promise<Timing> {
  await op(-1); // warm-up
  const wall: number[] = [];
  const cpu0 = databaseCpuSeconds();
  const started = performance.now();
  while (
    wall.length < maxRuns &&
    (wall.length < MIN_RUNS || performance.now() - started < MIN_MS)
  ) {
    const t0 = performance.now();
    await op(wall.length);
    wall.push(performance.now() - t0);
  }
  const cpu1 = databaseCpuSeconds();
  return {
    ms: median(wall),
    ...(cpu0 !== undefined && cpu1 !== undefined
      ? { cpuMs: ((cpu1 - cpu0) * 1000) / wall.length }
      : {}),
    runs: wall.length,
  };
}

interface Plan {
  filterPushdown?: boolean;
  sortPushdown?: boolean;
  /** PostgreSQL's plan nodes, e.g. `Seq Scan`, `Bitmap Index Scan (…_gin)`. */
  nodes: string[];
}

function planNodes(plan: unknown): string[] {
  if (!plan || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const here =
    typeof node['Node Type'] === 'string'
      ? [
          `${node['Node Type']}${typeof node['Index Name'] === 'string' ? ` (${node['Index Name']})` : ''}`,
        ]
      : [];
  const children = Array.isArray(node.Plans) ? node.Plans.flatMap(planNodes) : [];
  return [...here, ...children];
}

async function explain(connection: Connection, query: Query, i: number): Promise<Plan> {
  const answer = await connection.db!.command({
    explain: { find: query.collection, ...query.explain(i) },
  });
  const planner = answer.queryPlanner as Record<string, unknown> | undefined;
  return {
    ...(typeof answer.filterPushdown === 'boolean'
      ? { filterPushdown: answer.filterPushdown }
      : {}),
    ...(typeof answer.sortPushdown === 'boolean' ? { sortPushdown: answer.sortPushdown } : {}),
    // FerretDB on PostgreSQL answers PostgreSQL's plan; MongoDB its own winning plan's stages.
    nodes: planNodes(planner?.Plan ?? planner?.winningPlan),
  };
}

/** Tops every collection up to `size` documents. */
async function fill(models: Models, from: number, size: number) {
  for (const { model, doc } of Object.values(FILL)) {
    const collection = models[model].collection;
    for (let start = from; start < size; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, size - start) }, (_, k) => doc(start + k));
      await collection.insertMany(batch as never[], { ordered: false });
    }
  }
}

interface GatewayTiming extends Timing {
  /** `find` commands per call. */
  finds: number;
  inserts: number;
}

/** The sandbox gateway's calls on fresh orders, each timed and its commands counted. */
async function measureGateway(connection: Connection, models: Models, size: number) {
  const counts = new Map<string, number>();
  const client = connection.getClient();
  const count = (event: { commandName: string }) =>
    counts.set(event.commandName, (counts.get(event.commandName) ?? 0) + 1);
  const gateway = createSandboxGateway(models);
  const fresh = (step: string, run: number) => `ord_growth_${size}_${step}_${run + 1}`;
  const key = (id: string, step: string) => `order:${id}:${step}`;
  const authorise = (id: string) =>
    gateway.authorise({
      idempotencyKey: key(id, 'authorise'),
      orderId: id,
      amount: 4148,
      currency: 'CNY',
      token: 'tok_ok',
    });
  // The orders each call works on, prepared beforehand (not counted).
  const prepared = new Map<string, string>();
  const prepare = async (step: string, captured: boolean) => {
    for (let run = -1; run < GATEWAY_RUNS; run++) {
      const id = fresh(step, run);
      const { authorisationId } = await authorise(id);
      if (captured)
        await gateway.capture({
          idempotencyKey: key(id, 'capture'),
          authorisationId,
          amount: 4148,
        });
      prepared.set(id, authorisationId);
    }
  };
  const calls: [string, (run: number) => Promise<unknown>][] = [
    ['authorise (`tok_ok`)', (run) => authorise(fresh('authorise', run))],
    [
      'capture',
      (run) => {
        const id = fresh('capture', run);
        return gateway.capture({
          idempotencyKey: key(id, 'capture'),
          authorisationId: prepared.get(id)!,
          amount: 4000,
        });
      },
    ],
    [
      'refund (after the capture)',
      (run) => {
        const id = fresh('refund', run);
        return gateway.refund({
          idempotencyKey: key(id, 'refund:r1'),
          authorisationId: prepared.get(id)!,
          amount: 1000,
        });
      },
    ],
    [
      'void (a fresh authorisation)',
      (run) => {
        const id = fresh('void', run);
        return gateway.void({
          idempotencyKey: key(id, 'void'),
          authorisationId: prepared.get(id)!,
        });
      },
    ],
    ['ledger', (run) => gateway.ledger(fresh('refund', run))],
  ];
  await prepare('capture', false);
  await prepare('void', false);
  await prepare('refund', true);
  const results: [string, GatewayTiming][] = [];
  for (const [name, call] of calls) {
    counts.clear();
    client.on('commandStarted', count);
    const timing = await time(call, GATEWAY_RUNS);
    client.off('commandStarted', count);
    const perCall = (command: string) => (counts.get(command) ?? 0) / (timing.runs + 1);
    results.push([name, { ...timing, finds: perCall('find'), inserts: perCall('insert') }]);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

interface Server {
  uri: string;
  /** The embedded PostgreSQL's URL, when FerretDB runs on it here. */
  postgresUrl?: string;
  stop(): Promise<void>;
}

async function start(): Promise<Server> {
  if (TARGET.startsWith('mongodb://')) return { uri: TARGET, stop: async () => undefined };
  if (!(EMBEDDED_DB_BACKENDS as readonly string[]).includes(TARGET))
    throw new Error(
      `unknown backend ${TARGET}: ${EMBEDDED_DB_BACKENDS.join(', ')} or a mongodb:// URI`,
    );
  const backend = TARGET as EmbeddedDbBackend;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-growth-'));
  // PostgreSQL started here (as startFerretDb would) so that its URL is known (VACUUM, CHECKPOINT).
  const postgres =
    backend === 'postgresql' ? await startPostgres({ dataDir, ginIndexes: GIN }) : undefined;
  const ferret = await startFerretDb({ dataDir, backend, postgresUrl: postgres?.url });
  return {
    uri: ferret.uri,
    ...(postgres ? { postgresUrl: postgres.url } : {}),
    stop: async () => {
      await ferret.stop();
      await postgres?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const fmt = (t: Timing) =>
  `${t.ms.toFixed(2)}${t.cpuMs !== undefined ? ` (${t.cpuMs.toFixed(2)})` : ''}`;

async function main() {
  const server = await start();
  const connection = await mongoose
    .createConnection(`${server.uri}/${DB_NAME}`, { monitorCommands: true, autoIndex: true })
    .asPromise();
  try {
    await connection.db!.dropDatabase();
    const models = defineModels(connection);
    await Promise.all(Object.values(models).map((model) => model.init()));
    const queryRows = new Map<Query, { timings: Timing[]; plan?: Plan }>(
      QUERIES.map((q) => [q, { timings: [] }]),
    );
    const gatewayRows = new Map<string, GatewayTiming[]>();
    let filled = 0;
    for (const size of SIZES) {
      process.stderr.write(`filling to ${size} documents a collection…\n`);
      await fill(models, filled, size);
      filled = size;
      // Settled tables and a checkpoint, so that autovacuum's and the checkpointer's work after
      // the fill is not counted as the queries'.
      if (server.postgresUrl) {
        psql(server.postgresUrl, 'VACUUM ANALYZE');
        psql(server.postgresUrl, 'CHECKPOINT');
      }
      process.stderr.write(`measuring at ${size}…\n`);
      for (const query of QUERIES) {
        // Documents spread over the collection (7919 is prime).
        const pick = (run: number) => ((run + 2) * 7919) % size;
        const row = queryRows.get(query)!;
        row.timings.push(await time((run) => query.run(models, pick(run))));
        row.plan = await explain(connection, query, pick(0));
      }
      for (const [name, timing] of await measureGateway(connection, models, size)) {
        gatewayRows.set(name, [...(gatewayRows.get(name) ?? []), timing]);
      }
    }
    const sizes = SIZES.map((s) => s.toLocaleString('en-US'));
    const yesNo = (v: boolean | undefined) => (v === undefined ? 'n/a' : v ? 'yes' : 'no');
    const lines = [
      `${TARGET}${TARGET === 'postgresql' && !GIN ? ' without GIN indexes (--no-gin)' : ''}; documents per collection: ${sizes.join(', ')}.`,
      'ms per query: median wall time, one caller (in brackets: CPU ms of FerretDB and PostgreSQL per query).',
      '',
      `| query | used by | ${sizes.join(' | ')} | filter / sort pushed down | plan at ${sizes.at(-1)} |`,
      `| --- | --- | ${sizes.map(() => '---').join(' | ')} | --- | --- |`,
      ...QUERIES.map((query) => {
        const row = queryRows.get(query)!;
        const plan = row.plan;
        return `| ${query.name} | ${query.usedBy} | ${row.timings.map(fmt).join(' | ')} | ${yesNo(plan?.filterPushdown)} / ${query.explain(0).sort ? yesNo(plan?.sortPushdown) : '–'} | ${plan?.nodes.join(', ') || '?'} |`;
      }),
      '',
      'The sandbox gateway on fresh orders: ms per call as above; reads (`find` commands) and inserts per call.',
      '',
      `| call | ${sizes.join(' | ')} | finds / inserts per call |`,
      `| --- | ${sizes.map(() => '---').join(' | ')} | --- |`,
      ...[...gatewayRows].map(
        ([name, timings]) =>
          `| ${name} | ${timings.map(fmt).join(' | ')} | ${timings.at(-1)!.finds.toFixed(1)} / ${timings.at(-1)!.inserts.toFixed(1)} |`,
      ),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await connection.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
