// Announcements that an admin changed something every process keeps (infra/directory.ts): a
// provider's settings or secrets, or the app's event endpoints. Insert-only; read by
// infra/directory-changes.ts, deleted by maintenance once no process asks about their period.

import { Schema, type Connection } from 'mongoose';

export interface DirectoryChangeDocument {
  _id: string;
  /** What changed: `provider:<providerId>`, or `app-endpoints`. */
  subject: string;
  /** The ten minutes the change was announced in (`changePeriod`): what processes ask by. */
  period: number;
  at: Date;
}

const directoryChangeSchema = new Schema<DirectoryChangeDocument>(
  {
    _id: { type: String, required: true },
    subject: { type: String, required: true },
    period: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'directory_changes' },
);
directoryChangeSchema.index({ period: 1 });

/** The ten-minute period `at` falls in: Unix milliseconds / 600,000, floored. */
export function changePeriod(at: Date): number {
  return Math.floor(at.getTime() / 600_000);
}

export function defineDirectoryChangeModel(connection: Connection) {
  return connection.model<DirectoryChangeDocument>('DirectoryChange', directoryChangeSchema);
}
