// The minutes the listing's repair sweep has been through (infra/listing-repair.ts), one
// insert-only record each, so that of all the workers only the first to reach a minute reads
// it: each sweep reads every publication stored in its minute, a cost that would otherwise be
// paid once per worker process. Deleted by the sweep itself once older than it looks back.

import { Schema, type Connection } from 'mongoose';

export interface ListingSweepDocument {
  /** The Unix minute swept. */
  _id: number;
  sweptAt: Date;
}

const listingSweepSchema = new Schema<ListingSweepDocument>(
  {
    _id: { type: Number, required: true },
    sweptAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'listing_sweeps' },
);

export function defineListingSweepModel(connection: Connection) {
  return connection.model<ListingSweepDocument>('ListingSweep', listingSweepSchema);
}
