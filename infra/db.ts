// The database connection and its models. Plain mongoose on one connection, using only what
// both MongoDB and FerretDB 1.x support: single-document atomic updates and unique indexes.

import mongoose, { type Connection } from 'mongoose';
import type { Logger } from './logger';
import { defineOrderModel } from './models/order';
import { defineOrderPublicationModel } from './models/order-publication';
import { defineListingSweepModel } from './models/listing-sweep';
import { defineProviderModel, defineProviderSecretModel } from './models/provider';
import { defineDirectoryChangeModel } from './models/directory-change';
import { defineIdempotencyModels } from './models/idempotency';
import { defineSandboxPaymentModels } from './models/sandbox-payment';
import { defineDispatchRecordModel } from './models/dispatch-record';
import { defineAuditModels } from './models/audit';
import { defineCodecSessionModel } from './models/codec-session';
import { defineAppEventModels } from './models/app-event';

export function defineModels(connection: Connection) {
  return {
    Order: defineOrderModel(connection),
    OrderPublication: defineOrderPublicationModel(connection),
    ListingSweep: defineListingSweepModel(connection),
    Provider: defineProviderModel(connection),
    ProviderSecret: defineProviderSecretModel(connection),
    DirectoryChange: defineDirectoryChangeModel(connection),
    ...defineIdempotencyModels(connection),
    ...defineSandboxPaymentModels(connection),
    DispatchRecord: defineDispatchRecordModel(connection),
    ...defineAuditModels(connection),
    CodecSession: defineCodecSessionModel(connection),
    ...defineAppEventModels(connection),
  };
}

export type Models = ReturnType<typeof defineModels>;

export interface Database {
  connection: Connection;
  models: Models;
  close(): Promise<void>;
}

export async function connectDatabase(uri: string, logger: Logger): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    // A request waiting for a database that is down gives up after this long, so checkout's
    // answer stays within CHECKOUT_WAIT_SECONDS plus a few seconds (the driver's default is 30 s).
    serverSelectionTimeoutMS: 3_000,
    // Models build their indexes at start-up; a failure surfaces here, not on first use.
    autoIndex: true,
    // Command events for orderflow_db_commands_total (infra/telemetry/db-commands.ts): what
    // each order costs the database is watched, not guessed.
    monitorCommands: true,
  });
  connection.on('disconnected', () => logger.warn('database disconnected'));
  connection.on('reconnected', () => logger.info('database reconnected'));
  await connection.asPromise();
  const models = defineModels(connection);
  await Promise.all(Object.values(models).map((model) => model.init()));
  logger.info({ db: connection.name }, 'database connected');
  return { connection, models, close: () => connection.close() };
}

// Handed on to the stores built on these models; the models import ./duplicate-key themselves
// (this module imports them, so importing it back would be a cycle).
export { isDuplicateKeyError } from './duplicate-key';

/** Answers within a second whether the database is reachable (readiness checks). */
export async function pingDatabase(connection: Connection): Promise<boolean> {
  try {
    const db = connection.db;
    if (!db) return false;
    await Promise.race([
      db.admin().command({ ping: 1 }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('ping timeout')), 1000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}
