// What custom plans would save the embedded PostgreSQL per FerretDB command:
// `npm run bench:ferretdb-plans -- [pairs]`. FerretDB sends its filters as prepared statements
// with the field as a parameter (`_jsonb->$1 @> $2`); past a statement's fifth run PostgreSQL
// may keep a generic plan, which cannot use the GIN siblings of dev/ferretdb-gin-indexes.sql
// and scans the table (docs/BENCHMARKS.md, "Eleventh round"). This starts FerretDB on a private
// PostgreSQL cluster two ways, alternating, two rounds each: as npm start runs it, and with
// `plan_cache_mode = force_custom_plan` on its database (not the default: the load generator
// showed no saving). Each run sends `pairs` insert-then-find pairs of an
// order-publication-sized document from one caller to a collection that starts empty (every
// collection of a fresh stack, read while it grows), then as many to one that already holds
// PREFILLED documents, analysed. Prints the wall milliseconds per pair and the CPU milliseconds
// per pair of FerretDB and of PostgreSQL (each with its child processes). Nothing here
// asserts: it measures.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startFerretDb, startPostgres } from '../dev/embedded';
import { databaseServerPids, psql, publicationLike, serverCpuMs } from './lib/embedded-database';

const PAIRS = Number(process.argv[2] ?? 2000);
if (!Number.isSafeInteger(PAIRS) || PAIRS <= 0) {
  process.stderr.write('usage: npm run bench:ferretdb-plans -- [pairs]\n');
  process.exit(2);
}
const PREFILLED = 20_000;

interface Measured {
  wallMs: number;
  ferretdbCpuMs: number;
  postgresCpuMs: number;
}

async function measure(customPlansOnly: boolean): Promise<Measured[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-ferretdb-plans-'));
  const postgres = await startPostgres({ dataDir });
  // Before FerretDB opens its sessions: the setting is read when a session starts.
  if (customPlansOnly)
    psql(postgres.url, 'ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan');
  const server = await startFerretDb({ dataDir, postgresUrl: postgres.url });
  const connection = await mongoose.createConnection(`${server.uri}/bench`).asPromise();
  try {
    const pids = databaseServerPids(dataDir);
    const collection = async (name: string) => {
      await connection.createCollection(name);
      return connection.collection<{ _id: string }>(name);
    };
    const pairs = async (things: mongoose.mongo.Collection<{ _id: string }>) => {
      const ferretdbBefore = serverCpuMs(pids.ferretdb);
      const postgresBefore = serverCpuMs(pids.postgres);
      const started = performance.now();
      for (let n = 0; n < PAIRS; n++) {
        await things.insertOne(publicationLike(`p${n}`));
        await things.findOne({ _id: `p${n}` });
      }
      return {
        wallMs: (performance.now() - started) / PAIRS,
        ferretdbCpuMs: (serverCpuMs(pids.ferretdb) - ferretdbBefore) / PAIRS,
        postgresCpuMs: (serverCpuMs(pids.postgres) - postgresBefore) / PAIRS,
      };
    };
    const fresh = await pairs(await collection('fresh'));
    const filled = await collection('filled');
    for (let n = 0; n < PREFILLED; n += 500)
      await filled.insertMany(
        Array.from({ length: 500 }, (_, i) => publicationLike(`bulk${n + i}`)),
      );
    psql(postgres.url, 'ANALYZE');
    return [fresh, await pairs(filled)];
  } finally {
    await connection.close();
    await server.stop();
    await postgres.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const settings: [name: string, customPlansOnly: boolean][] = [
    ['as npm start runs it', false],
    ['custom plans only', true],
  ];
  process.stdout.write(
    `${PAIRS} insert+find pairs per collection, ms per pair (wall / FerretDB CPU / PostgreSQL CPU):\n`,
  );
  for (let round = 1; round <= 2; round++) {
    for (const [name, customPlansOnly] of settings) {
      const [fresh, filled] = await measure(customPlansOnly);
      const cell = (r: Measured) =>
        `${r.wallMs.toFixed(2)} / ${r.ferretdbCpuMs.toFixed(2)} / ${r.postgresCpuMs.toFixed(2)}`;
      process.stdout.write(
        `  round ${round}, ${name.padEnd(22)} empty at first: ${cell(fresh!)}   ` +
          `${PREFILLED.toLocaleString('en')} already: ${cell(filled!)}\n`,
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
