// Reproduces docs/RELIABILITY.md finding G on the embedded FerretDB: a client that goes away
// in the middle of a multi-statement `update` (a bulk of updateOne: what a killed worker's
// last write can be) leaves FerretDB holding a pooled PostgreSQL connection for good; after a
// dozen, every command waits for a connection and FerretDB answers nothing more. The same
// updates as one `updateMany`, or as separate commands, or a bulk insert, leak nothing.
//
//   npx tsx dev/ferretdb-bulk-update-leak.ts     # prints, for each kind of write, when it hung

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose, { type mongo } from 'mongoose';
import { startFerretDb } from './embedded';

const ROUNDS = 40;
const IDS = Array.from({ length: 30 }, (_, i) => `doc-${i}`);

type Write = (collection: mongo.Collection, round: number) => Promise<unknown>;

const WRITES: Record<string, Write> = {
  'bulk of updateOne': (collection, round) =>
    collection.bulkWrite(
      IDS.map((id) => ({
        updateOne: { filter: { _id: id as never }, update: { $set: { round } } },
      })),
      { ordered: false },
    ),
  updateMany: (collection, round) =>
    collection.updateMany({ _id: { $in: IDS as never[] } }, { $set: { round } }),
  'separate updateOne': (collection, round) =>
    Promise.all(IDS.map((id) => collection.updateOne({ _id: id as never }, { $set: { round } }))),
  'bulk insert': (collection, round) =>
    collection.insertMany(
      IDS.map((id) => ({ _id: `${id}-${round}` as never, body: 'x'.repeat(2000) })),
      { ordered: false },
    ),
};

/** Runs `write` ROUNDS times from a client that disconnects 3 ms in; the round FerretDB hung. */
async function roundsUntilHung(uri: string, write: Write): Promise<number | undefined> {
  const observer = await mongoose.createConnection(uri).asPromise();
  const probe = observer.db!.collection('docs');
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const doomed = await mongoose.createConnection(uri).asPromise();
      const writing = write(doomed.db!.collection('docs'), round).catch(() => undefined);
      setTimeout(() => void doomed.destroy(true), 3);
      await writing;
      const answered = await Promise.race([
        probe.findOne({ _id: IDS[0] as never }).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000)),
      ]);
      if (!answered) return round + 1;
    }
    return undefined;
  } finally {
    await observer.destroy(true);
  }
}

async function main() {
  for (const [kind, write] of Object.entries(WRITES)) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ferretdb-leak-'));
    const ferretdb = await startFerretDb({ dataDir, backend: 'postgresql' });
    try {
      const uri = `${ferretdb.uri}/leak`;
      const seed = await mongoose.createConnection(uri).asPromise();
      await seed.db!.collection('docs').insertMany(IDS.map((id) => ({ _id: id as never })));
      await seed.close();
      const hung = await roundsUntilHung(uri, write);
      const result =
        hung === undefined
          ? `answered after all ${ROUNDS} disconnects`
          : `stopped answering after ${hung} disconnects`;
      process.stdout.write(`${kind}: ${result}\n`);
    } finally {
      await ferretdb.stop();
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
