// What the embedded FerretDB's Go runtime settings save per command:
// `npm run bench:ferretdb-runtime -- [pairs]`. Starts FerretDB on its default backend with Go's
// own settings and with FERRETDB_GO_RUNTIME (dev/embedded.ts), alternating, two rounds each,
// and for each run sends `pairs` insert-then-find pairs of an order-publication-sized document
// from one caller and from three. Prints the wall milliseconds per pair and the CPU
// milliseconds per pair of FerretDB and of PostgreSQL (each with its child processes).
// Nothing here asserts: it measures.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { FERRETDB_GO_RUNTIME, startFerretDb } from '../dev/embedded';
import { databaseServerPids, publicationLike, serverCpuMs } from './lib/embedded-database';

const PAIRS = Number(process.argv[2] ?? 1500);
if (!Number.isSafeInteger(PAIRS) || PAIRS <= 0) {
  process.stderr.write('usage: npm run bench:ferretdb-runtime -- [pairs]\n');
  process.exit(2);
}
const CALLERS = [1, 3];
const WARM_UP_PAIRS = 200;

interface Measured {
  wallMs: number;
  ferretdbCpuMs: number;
  postgresCpuMs: number;
}

async function measure(goRuntime: Readonly<Record<string, string>>): Promise<Measured[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-ferretdb-runtime-'));
  const server = await startFerretDb({ dataDir, goRuntime });
  const connection = await mongoose.createConnection(`${server.uri}/bench`).asPromise();
  try {
    const pids = databaseServerPids(dataDir);
    const things = connection.collection<{ _id: string }>('publications');
    let sent = 0;
    const pair = async () => {
      const id = `p${sent++}`;
      await things.insertOne(publicationLike(id));
      await things.findOne({ _id: id });
    };
    for (let n = 0; n < WARM_UP_PAIRS; n++) await pair();
    const results: Measured[] = [];
    for (const callers of CALLERS) {
      const ferretdbBefore = serverCpuMs(pids.ferretdb);
      const postgresBefore = serverCpuMs(pids.postgres);
      const started = performance.now();
      let left = PAIRS;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (left-- > 0) await pair();
        }),
      );
      results.push({
        wallMs: (performance.now() - started) / PAIRS,
        ferretdbCpuMs: (serverCpuMs(pids.ferretdb) - ferretdbBefore) / PAIRS,
        postgresCpuMs: (serverCpuMs(pids.postgres) - postgresBefore) / PAIRS,
      });
    }
    return results;
  } finally {
    await connection.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const settings: [name: string, goRuntime: Readonly<Record<string, string>>][] = [
    ["Go's own", {}],
    [JSON.stringify(FERRETDB_GO_RUNTIME), FERRETDB_GO_RUNTIME],
  ];
  process.stdout.write(
    `${PAIRS} insert+find pairs per run, ms per pair (wall / FerretDB CPU / PostgreSQL CPU):\n`,
  );
  for (let round = 1; round <= 2; round++) {
    for (const [name, goRuntime] of settings) {
      const results = await measure(goRuntime);
      const cells = results.map(
        (r, n) =>
          `${CALLERS[n]} caller${CALLERS[n] === 1 ? '' : 's'}: ${r.wallMs.toFixed(2)} / ` +
          `${r.ferretdbCpuMs.toFixed(2)} / ${r.postgresCpuMs.toFixed(2)}`,
      );
      process.stdout.write(`  round ${round}, ${name.padEnd(20)} ${cells.join('   ')}\n`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
