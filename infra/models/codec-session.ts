// Codec sign-in sessions: a browser signed in at /codec/session (the Temporal Web UI sends its
// cookie) has one document here, in the database so that every API process behind a proxy
// knows it. Only the SHA-256 of the session id is stored, so a copy of the collection opens no
// session. Written once, read by id, deleted (sign-out, expiry, a token taken out of
// API_TOKENS): never updated, since FerretDB does not make updates atomic. FerretDB has no TTL
// index either: expired sessions are deleted when presented and by the hourly purge.

import { Schema, type Connection, type Model } from 'mongoose';
import type { Role } from '../config';

export interface CodecSessionDocument {
  /** Hex SHA-256 of the session id, which only the browser's cookie holds. */
  _id: string;
  /** Who signed in, as API_TOKENS names them, and their role then. */
  clientName: string;
  role: Role;
  /**
   * Hex HMAC-SHA256 of the signing-in token's digest, keyed with the session id: ties the
   * session to that token (it ends when the token leaves API_TOKENS, even if another token
   * keeps the name) without storing anything derived from the token alone.
   */
  tokenBinding: string;
  createdAt: Date;
  expiresAt: Date;
}

const codecSessionSchema = new Schema<CodecSessionDocument>(
  {
    _id: { type: String, required: true },
    clientName: { type: String, required: true },
    role: { type: String, required: true },
    tokenBinding: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'codec_sessions' },
);

export function defineCodecSessionModel(connection: Connection) {
  return connection.model<CodecSessionDocument>('CodecSession', codecSessionSchema);
}

/** Deletes the sessions expired at `now`; answers how many there were. */
export async function deleteExpiredCodecSessions(
  CodecSession: Model<CodecSessionDocument>,
  now: Date,
): Promise<number> {
  return (await CodecSession.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
}
