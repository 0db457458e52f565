// Server-side sessions for the codec endpoint's browsers (the Temporal Web UI). Signing in
// with a support or admin token starts one: the cookie holds a random id, never the token, and
// the database (infra/models/codec-session.ts) its SHA-256, who signed in and until when. Every
// request re-checks the session against the configuration: a token taken out of API_TOKENS, or
// no longer support or admin, ends its sessions. Sign-out deletes the session, so a copied
// cookie stops working everywhere at once.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Model } from 'mongoose';
import type { ApiClient, Role } from '../../infra/config';
import type { CodecSessionDocument } from '../../infra/models/codec-session';
import { ApiError } from '../errors';

/** How long a sign-in lasts: a working day. */
export const CODEC_SESSION_SECONDS = 8 * 3600;
const ID_BYTES = 32;
/** 32 bytes in base64url, as `start` makes them; anything else is not worth a lookup. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const bindingOf = (sessionId: string, tokenSha256: string) =>
  createHmac('sha256', sessionId).update(tokenSha256).digest();

export interface CodecSessions {
  /** Starts a session for `client`; the id goes into the cookie and nowhere else. */
  start(client: ApiClient): Promise<{ id: string; expiresAt: Date }>;
  /** The client a presented session id stands for now; 401 when it stands for nobody. */
  resolve(id: string): Promise<ApiClient>;
  /** Ends the session (sign-out); ending an unknown or ended one does nothing. */
  end(id: string): Promise<void>;
}

export function codecSessions(deps: {
  model: Model<CodecSessionDocument>;
  clients: readonly ApiClient[];
  /** Roles that may hold a session. */
  roles: readonly Role[];
  now?: () => Date;
}): CodecSessions {
  const { model, clients, roles } = deps;
  const now = deps.now ?? (() => new Date());
  const signInAgain = (code: string, why: string) =>
    new ApiError(401, code, `${why}: sign in again at /codec/session`);

  /** The configured client whose token signed the session in, if it is still configured. */
  function ownerOf(id: string, session: CodecSessionDocument): ApiClient | undefined {
    const stored = Buffer.from(session.tokenBinding, 'hex');
    return clients.find((client) => {
      const binding = bindingOf(id, client.tokenSha256);
      return (
        client.name === session.clientName &&
        stored.length === binding.length &&
        timingSafeEqual(stored, binding)
      );
    });
  }

  return {
    async start(client) {
      const id = randomBytes(ID_BYTES).toString('base64url');
      const createdAt = now();
      const expiresAt = new Date(createdAt.getTime() + CODEC_SESSION_SECONDS * 1000);
      await model.create({
        _id: sha256(id),
        clientName: client.name,
        role: client.role,
        tokenBinding: bindingOf(id, client.tokenSha256).toString('hex'),
        createdAt,
        expiresAt,
      });
      return { id, expiresAt };
    },

    async resolve(id) {
      const session = SESSION_ID.test(id) ? await model.findById(sha256(id)).lean() : null;
      if (!session) throw signInAgain('unauthenticated', 'the codec session is not valid');
      if (session.expiresAt <= now()) {
        await model.deleteOne({ _id: session._id });
        throw signInAgain('session_expired', 'the codec session has expired');
      }
      const owner = ownerOf(id, session);
      if (!owner || !roles.includes(owner.role)) {
        await model.deleteOne({ _id: session._id });
        throw signInAgain(
          'unauthenticated',
          'the token this codec session was signed in with is no longer accepted',
        );
      }
      return owner;
    },

    async end(id) {
      if (SESSION_ID.test(id)) await model.deleteOne({ _id: sha256(id) });
    },
  };
}
