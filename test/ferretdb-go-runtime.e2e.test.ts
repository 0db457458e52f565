// The embedded FerretDB runs with its Go runtime settings (FERRETDB_GO_RUNTIME: one scheduler
// thread), and still serves reads and writes on its default backend.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { FERRETDB_GO_RUNTIME, ferretdbBinary, startFerretDb } from '../dev/embedded';
import { supervisedProcesses } from '../dev/supervisor';

/** The environment of the FerretDB process recorded in the data directory's pid list. */
function ferretdbEnvironment(dataDir: string): Record<string, string> {
  const entries = supervisedProcesses(dataDir);
  const ferretdb = entries.find((entry) => entry.command === ferretdbBinary());
  if (!ferretdb) throw new Error(`no FerretDB in ${JSON.stringify(entries)}`);
  return Object.fromEntries(
    readFileSync(`/proc/${ferretdb.pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

test('FerretDB runs on one Go scheduler thread and answers', async () => {
  expect(FERRETDB_GO_RUNTIME).toEqual({ GOMAXPROCS: '1' });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-ferretdb-runtime-'));
  const server = await startFerretDb({ dataDir });
  try {
    expect(ferretdbEnvironment(dataDir)).toMatchObject({ GOMAXPROCS: '1' });
    const connection = await mongoose
      .createConnection(`${server.uri}/runtime_test`, { serverSelectionTimeoutMS: 5_000 })
      .asPromise();
    try {
      const things = connection.collection<{ _id: string; n: number }>('things');
      await things.insertOne({ _id: 'a', n: 1 });
      expect(await things.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1 });
    } finally {
      await connection.close();
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 90_000);
