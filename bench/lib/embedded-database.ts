// What the embedded-database benches share: the pids of the FerretDB and PostgreSQL servers a
// data directory's stack started, their CPU, SQL on that PostgreSQL, and a document shaped like
// an order publication.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ferretdbBinary, postgresBinDir } from '../../dev/embedded';
import { supervisedProcesses } from '../../dev/supervisor';
import { treeCpuSeconds } from './proc';

/** The pids the data directory's pid list (dev/supervisor.ts) records for the two servers. */
export function databaseServerPids(dataDir: string): { ferretdb: number; postgres?: number } {
  const entries = supervisedProcesses(dataDir);
  const ferretdb = entries.find((entry) => entry.command === ferretdbBinary())?.pid;
  if (ferretdb === undefined) throw new Error('FerretDB is not in the pid list');
  const postgres = entries.find((entry) => entry.command.endsWith('/postgres'))?.pid;
  return { ferretdb, ...(postgres !== undefined ? { postgres } : {}) };
}

/** CPU milliseconds of a server with its child processes so far (0 for none). */
export function serverCpuMs(pid: number | undefined): number {
  return pid === undefined ? 0 : treeCpuSeconds(pid)! * 1000;
}

/** Runs SQL on the embedded PostgreSQL at `postgresUrl`; the first error stops it and throws. */
export function psql(postgresUrl: string, sql: string): void {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL binaries');
  execFileSync(path.join(bin, 'psql'), [
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-d',
    postgresUrl,
    '-c',
    sql,
  ]);
}

/** An order publication's size and shape. */
export const publicationLike = (id: string) => ({
  _id: id,
  orderId: id,
  publication: 1,
  snapshot: {
    status: 'confirmed',
    vertical: 'grocery',
    items: Array.from({ length: 5 }, (_, n) => ({ sku: `sku-${n}`, quantity: n + 1 })),
    amounts: { total: 12_345, authorised: 12_345, captured: 0, refunded: 0 },
  },
  createdAt: new Date(),
});
