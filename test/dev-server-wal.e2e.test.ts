// The dev server's SQLite pragmas reach its database: with WAL_SQLITE_PRAGMAS (the load
// generator's --dev-server-wal) the file is in write-ahead-log mode, which its header says.

import { mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startTemporalDevServer, WAL_SQLITE_PRAGMAS } from '../dev/embedded';

/** SQLite's file format versions (header bytes 18 and 19): 1 rollback journal, 2 WAL. */
function journalFormat(file: string): [write: number, read: number] {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  return [header[18]!, header[19]!];
}

test('the dev server started with the WAL pragmas keeps its state in a write-ahead log', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-wal-'));
  const server = await startTemporalDevServer({ dataDir, sqlitePragmas: WAL_SQLITE_PRAGMAS });
  try {
    const connection = await Connection.connect({ address: server.address });
    try {
      // A write through the server: its namespace is there and answers.
      const { namespaceInfo } = await connection.workflowService.describeNamespace({
        namespace: 'default',
      });
      expect(namespaceInfo?.name).toBe('default');
    } finally {
      await connection.close();
    }
    expect(journalFormat(path.join(dataDir, 'temporal.sqlite'))).toEqual([2, 2]);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 90_000);
