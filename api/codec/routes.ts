// The remote codec endpoint (roles `support`, `admin`): the Temporal Web UI and the `temporal`
// CLI (`--codec-endpoint …/codec --codec-auth 'Bearer <token>'`) send the payloads they show to
// POST /codec/decode (and /codec/encode when an operator sends input) and get them back
// decrypted with the service's payload keys: whole for admins, for support with payment tokens
// redacted as in the raw history (api/redact.ts). Temporal's codec server protocol:
// payloads as protobuf JSON `{payloads: [{metadata: {key: base64}, data: base64}]}` both ways.
//
// Browsers: the Web UI calls from its own origin, allowed by CODEC_CORS_ORIGINS. It cannot send
// one of our bearer tokens (its "pass access token" sends its own OIDC login, over HTTPS
// only), but with "include cross-origin credentials" it sends cookies: an operator signs in
// once at /codec/session with a support or admin token, which starts a server-side session
// (api/codec/sessions.ts) and sets an HttpOnly, SameSite=Strict cookie for the /codec paths
// holding its random id (`Secure` over HTTPS, behind a proxy TRUST_PROXY trusts). Sign-in and
// sign-out are refused to other sites' pages (api/middleware/same-origin.ts).

import express, {
  Router,
  type CookieOptions,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Model } from 'mongoose';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { DecryptionError, decodePayloads, encodePayloads } from '../../infra/codec';
import type { ApiClient, Role } from '../../infra/config';
import type { CodecSessionDocument } from '../../infra/models/codec-session';
import { CodecPayloadsSchema, type JsonPayload } from './schemas';
import { CODEC_SESSION_SECONDS, codecSessions } from './sessions';
import { ApiError } from '../errors';
import { apiClientOf, authorise, bearerToken, tokenOwner } from '../middleware/auth';
import { jsonBody } from '../middleware/body';
import { sameOriginOnly } from '../middleware/same-origin';
import { redactSecretsWithin } from '../redact';

const ROLES: readonly Role[] = ['support', 'admin'];
const COOKIE = 'orderflow_codec';

const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(data ?? '', 'base64'),
});

const toJson = ({ metadata, data }: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  ),
  data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
});

export function codecRouter(deps: {
  /** The client's payload codecs (temporal.options.loadedDataConverter.payloadCodecs). */
  codecs: readonly PayloadCodec[];
  clients: readonly ApiClient[];
  corsOrigins: readonly string[];
  /** Where browsers' sign-in sessions are kept, shared by every API process. */
  sessionModel: Model<CodecSessionDocument>;
}): Router {
  const router = Router();
  const ownerOf = tokenOwner(deps.clients);
  const sessions = codecSessions({
    model: deps.sessionModel,
    clients: deps.clients,
    roles: ROLES,
  });

  router.use('/codec', cors(deps.corsOrigins));

  /**
   * A valid bearer token (the CLI) or a session cookie (browsers). The Web UI may send a bearer
   * token of its own (its OIDC login) alongside the cookie, so a token that is not ours does
   * not hide a valid session.
   */
  const operator: RequestHandler = async (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    const sessionId = cookieOf(req);
    if (token !== undefined && (ownerOf(token) || sessionId === undefined))
      res.locals.apiClient = authorise(ownerOf, token, ROLES);
    else if (sessionId !== undefined) res.locals.apiClient = await sessions.resolve(sessionId);
    else
      throw new ApiError(
        401,
        'unauthenticated',
        'send Authorization: Bearer <token>, or sign in at /codec/session (browsers)',
      );
    next();
  };
  const json = jsonBody();
  const convert =
    (
      run: (codecs: readonly PayloadCodec[], payloads: Payload[]) => Promise<Payload[]>,
      reveal: (client: ApiClient, payloads: Payload[]) => Payload[] = (_client, p) => p,
    ) =>
    async (req: Request, res: Response) => {
      const { payloads } = CodecPayloadsSchema.parse(req.body);
      let converted: Payload[];
      try {
        converted = await run(deps.codecs, payloads.map(fromJson));
      } catch (error) {
        if (error instanceof DecryptionError)
          throw new ApiError(422, 'payload_not_decodable', error.message);
        throw error;
      }
      res.json({ payloads: reveal(apiClientOf(res), converted).map(toJson) });
    };
  router.post('/codec/decode', operator, json, convert(decodePayloads, asSeenBy));
  // Encoding reveals nothing (operators send input through it): both roles, unchanged.
  router.post('/codec/encode', operator, json, convert(encodePayloads));

  router.get('/codec/session', (_req, res) => {
    page(res, 200, 'Codec sign-in', [
      '<p>Sign in with a support or admin token so that the Temporal Web UI can show decrypted',
      'payloads. In the Web UI, set the codec server endpoint to this server&#39;s',
      '<code>/codec</code> and turn on &ldquo;Include cross-origin credentials&rdquo;.</p>',
      '<form method="post" action="/codec/session">',
      '<label>Token <input type="password" name="token" autocomplete="off" required></label>',
      '<button type="submit">Sign in</button></form>',
      '<form method="post" action="/codec/session"><input type="hidden" name="signOut" value="1">',
      '<button type="submit">Sign out</button></form>',
    ]);
  });
  router.post(
    '/codec/session',
    sameOriginOnly,
    express.urlencoded({ extended: false, limit: '4kb' }),
    async (req: Request, res) => {
      if (
        req.body === undefined &&
        (req.headers['transfer-encoding'] !== undefined ||
          Number(req.headers['content-length']) > 0)
      ) {
        throw new ApiError(
          400,
          'malformed_body',
          'send the form as application/x-www-form-urlencoded',
        );
      }
      const form = z
        .object({ token: z.string().max(512).optional(), signOut: z.string().optional() })
        .parse(req.body ?? {});
      const cookie: CookieOptions = {
        path: '/codec',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
      };
      const previous = cookieOf(req);
      if (form.signOut || !form.token) {
        if (previous !== undefined) await sessions.end(previous);
        res.clearCookie(COOKIE, cookie);
        page(res, 200, 'Signed out', ['<p>The codec no longer answers this browser.</p>']);
        return;
      }
      const client = authorise(ownerOf, form.token, ROLES);
      if (previous !== undefined) await sessions.end(previous);
      const session = await sessions.start(client);
      req.log.info({ client: client.name, role: client.role }, 'codec session started');
      res.cookie(COOKIE, session.id, { ...cookie, maxAge: CODEC_SESSION_SECONDS * 1000 });
      page(res, 200, 'Signed in', [
        `<p>Signed in as ${escapeHtml(client.name)} (${client.role}) for ${CODEC_SESSION_SECONDS / 3600} hours.`,
        'The Temporal Web UI can now decode payloads through this codec endpoint.</p>',
      ]);
    },
  );
  return router;
}

/**
 * Decoded payloads as `client` may see them: whole for admins; for support with payment tokens
 * replaced by `[redacted]`, as in the raw history (API.md).
 */
function asSeenBy(client: ApiClient, payloads: Payload[]): Payload[] {
  if (client.role !== 'admin') redactSecretsWithin(payloads);
  return payloads;
}

/** CORS for the Web UI's origins: credentials allowed, preflight answered without auth. */
function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS';
    if (origin === undefined) {
      if (preflight) res.status(204).end();
      else next();
      return;
    }
    res.vary('Origin');
    if (!allowed.has(origin)) {
      if (preflight) throw new ApiError(403, 'origin_not_allowed', 'see CODEC_CORS_ORIGINS');
      next(); // No CORS headers: the browser withholds the answer from that page.
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (!preflight) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
    if (req.headers['access-control-request-private-network'] === 'true')
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}

function cookieOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE && value.length > 0) {
      try {
        return decodeURIComponent(value.join('=')) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function page(res: Response, status: number, title: string, body: string[]): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
      'Cache-Control': 'no-store',
      // `no-referrer` (the API's default) makes browsers send `Origin: null` with the form's
      // POST, which the same-origin check must refuse; the page links nowhere else.
      'Referrer-Policy': 'same-origin',
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>orderflow · ${title}</title></head><body><h1>${title}</h1>${body.join('\n')}</body></html>`,
    );
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
