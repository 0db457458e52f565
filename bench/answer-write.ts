// What writing the payment decision costs the worker, the two ways it can:
// `npm run bench:answer-write -- [orders]`. Apart: checkout's answer in `checkout_answers`, then
// the order's first publication (CHECKOUT_ANSWER_WITH_PUBLICATION=false, and every release
// before it); together: both in one ordered insert into `order_publications` (the default;
// infra/checkout-answers.ts). Each way runs on a fresh embedded stack (PostgreSQL and FerretDB
// as npm start runs them), alternating, two rounds, from 1 and from 4 callers at once (the
// worker writes several orders' decisions at a time under load). Prints the wall milliseconds
// per order (mean and p50 of one caller's writes), and the CPU milliseconds per order of
// FerretDB and of PostgreSQL (each with its child processes). The listing's copy is queued the
// same way by both and left out. Nothing here asserts: it measures.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFerretDb, startPostgres } from '../dev/embedded';
import type { OrderSnapshot } from '../domain/order';
import { recordAuthorisedAnswer } from '../infra/checkout-answers';
import { connectDatabase, type Models } from '../infra/db';
import { createLogger } from '../infra/logger';
import { publicationRecord, publishSnapshot } from '../infra/read-model';
import { databaseServerPids, publicationLike, serverCpuMs } from './lib/embedded-database';
import { percentile } from './lib/stats';

const ORDERS = Number(process.argv[2] ?? 2000);
if (!Number.isSafeInteger(ORDERS) || ORDERS <= 0) {
  process.stderr.write('usage: npm run bench:answer-write -- [orders]\n');
  process.exit(2);
}

type Way = 'apart' | 'together';

/** The authorised order as the workflow records it: a publication-sized snapshot. */
const decided = (orderId: string) =>
  ({
    ...publicationLike(orderId).snapshot,
    orderId,
    status: 'awaiting_confirmation',
    revision: 3,
  }) as unknown as OrderSnapshot;

const notListed = { queue: () => undefined };

/** The worker's write of one order's payment decision, as activities/checkout.ts makes it. */
async function writeDecision(models: Models, way: Way, orderId: string): Promise<void> {
  const order = decided(orderId);
  if (way === 'together') {
    await recordAuthorisedAnswer(models, order, publicationRecord(order, 1));
    return;
  }
  await recordAuthorisedAnswer(models, order);
  await publishSnapshot(models, notListed, order, 1);
}

interface Measured {
  meanMs: number;
  p50Ms: number;
  ferretdbCpuMs: number;
  postgresCpuMs: number;
}

async function measure(way: Way, callers: number): Promise<Measured> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-answer-write-'));
  const postgres = await startPostgres({ dataDir });
  const server = await startFerretDb({ dataDir, postgresUrl: postgres.url });
  const database = await connectDatabase(`${server.uri}/bench`, createLogger('silent'));
  try {
    const pids = databaseServerPids(dataDir);
    // A few writes first: the collections exist and the connections are open.
    for (let n = 0; n < 20; n++) await writeDecision(database.models, way, `warm${n}`);
    const ferretdbBefore = serverCpuMs(pids.ferretdb);
    const postgresBefore = serverCpuMs(pids.postgres);
    const times: number[] = [];
    const perCaller = Math.ceil(ORDERS / callers);
    await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        for (let n = 0; n < perCaller; n++) {
          const started = performance.now();
          await writeDecision(database.models, way, `ord_${caller}_${n}`);
          times.push(performance.now() - started);
        }
      }),
    );
    const orders = perCaller * callers;
    return {
      meanMs: times.reduce((sum, ms) => sum + ms, 0) / times.length,
      p50Ms: percentile(
        [...times].sort((a, b) => a - b),
        50,
      )!,
      ferretdbCpuMs: (serverCpuMs(pids.ferretdb) - ferretdbBefore) / orders,
      postgresCpuMs: (serverCpuMs(pids.postgres) - postgresBefore) / orders,
    };
  } finally {
    await database.close();
    await server.stop();
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  process.stdout.write(
    `${ORDERS} payment decisions per run, ms per order ` +
      `(one write's mean / p50, FerretDB CPU, PostgreSQL CPU):\n`,
  );
  const cell = (m: Measured) =>
    `${m.meanMs.toFixed(2)} / ${m.p50Ms.toFixed(2)}, ${m.ferretdbCpuMs.toFixed(2)}, ` +
    `${m.postgresCpuMs.toFixed(2)}`;
  for (const callers of [1, 4]) {
    for (let round = 1; round <= 2; round++) {
      for (const way of ['apart', 'together'] as const) {
        const measured = await measure(way, callers);
        process.stdout.write(
          `  ${callers} caller${callers > 1 ? 's' : ' '}, round ${round}, ${way.padEnd(8)} ${cell(measured)}\n`,
        );
      }
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
