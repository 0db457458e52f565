// The one way the dev tools start the embedded servers (npm start, the tests, the load
// generator, the fault suite): locks the data directory (one stack per directory), stops
// whatever an earlier stack there left running, then starts the Temporal dev server (with
// its dynamic config and search attributes) and FerretDB (on PostgreSQL or SQLite), in
// parallel, under the supervisor (dev/supervisor.ts). `stop()` stops them in reverse and
// lets go of the directory.

import {
  startFerretDb,
  startTemporalDevServer,
  type EmbeddedDbBackend,
  type FerretDbServer,
  type TemporalDevServer,
} from './embedded';
import { lockDataDir, stopOrphans } from './supervisor';

export interface EmbeddedStackOptions {
  /** The servers' data and logs; locked while the stack runs. */
  dataDir: string;
  /** The Temporal dev server's settings; `false`: none (TEMPORAL_ADDRESS points elsewhere). */
  temporal?:
    | false
    | {
        port?: number;
        uiPort?: number;
        codecEndpoint?: string;
        dynamicConfig?: Record<string, string | number | boolean>;
        sqlitePragmas?: Readonly<Record<string, string>>;
      };
  /** FerretDB's settings; `false`: none (MONGODB_URI points elsewhere). */
  database?: false | { port?: number; backend?: EmbeddedDbBackend };
  /**
   * Attempts per server: another process may take a free port between its choice and the
   * server's bind (only worth it without fixed ports). Default 1.
   */
  attempts?: number;
}

export interface EmbeddedStack {
  dataDir: string;
  temporal?: TemporalDevServer;
  database?: FerretDbServer;
  /** Processes an earlier stack on this directory had left running, stopped at start. */
  orphansStopped: number[];
  /** FerretDB (and its PostgreSQL), then Temporal; then the directory is free again. */
  stop(): Promise<void>;
}

/** Starts the servers asked for; throws DataDirLocked when another stack holds `dataDir`. */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const { dataDir } = options;
  const lock = lockDataDir(dataDir);
  const attempts = options.attempts ?? 1;
  let temporal: TemporalDevServer | undefined;
  let database: FerretDbServer | undefined;
  const stop = async () => {
    await database?.stop();
    await temporal?.stop();
    lock.release();
  };
  try {
    const orphansStopped = await stopOrphans(dataDir);
    const temporalOptions = options.temporal;
    const databaseOptions = options.database;
    const [startedTemporal, startedDatabase] = await Promise.allSettled([
      temporalOptions === false
        ? undefined
        : retried(() => startTemporalDevServer({ dataDir, ...temporalOptions }), attempts),
      databaseOptions === false
        ? undefined
        : retried(() => startFerretDb({ dataDir, ...databaseOptions }), attempts),
    ]);
    if (startedTemporal.status === 'fulfilled') temporal = startedTemporal.value;
    if (startedDatabase.status === 'fulfilled') database = startedDatabase.value;
    for (const started of [startedTemporal, startedDatabase])
      if (started.status === 'rejected') throw started.reason;
    return { dataDir, temporal, database, orphansStopped, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function retried<T>(start: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
