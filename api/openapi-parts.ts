// What every feature's OpenAPI registrations share: JSON answers, the error answers by status
// (with the catch-all every path can answer), a JSON request body, and the security
// requirements (openapi.ts registers the bearer scheme; a scheme only one feature uses is
// registered by that feature). api/openapi.test.ts holds every operation to them.

import type { z } from 'zod';
import type { Role } from '../infra/config';
import { ErrorSchema } from './schemas';

export const BEARER_AUTH = 'bearerAuth';

/**
 * The operation takes an API token (`Authorization: Bearer …`) of one of `roles`: one
 * requirement per role, any of which will do (OpenAPI 3.1 lets a requirement of a scheme
 * other than OAuth name the roles it needs).
 */
export const bearerAuth = (...roles: Role[]) => roles.map((role) => ({ [BEARER_AUTH]: [role] }));

/** The operation takes no credentials (stated, not left out: every operation says). */
export const noAuth = [];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = (schema: z.ZodType) => ({
  body: { content: { 'application/json': { schema } } },
});

const errorDescriptions: Record<number, string> = {
  400: 'malformed request (bad JSON, missing header)',
  401: 'missing or bad credentials or signature',
  402: 'payment declined',
  403: 'the token lacks the role',
  404: 'unknown order or provider',
  409: "not allowed in the order's current state, or an idempotency conflict",
  413: 'the request body is too large (`payload_too_large`)',
  415: 'a body not sent as JSON (`Content-Type: application/json`, UTF-8): `unsupported_media_type`, or `unsupported_encoding` for another charset; nothing changes',
  422: 'validation failed; details name the field paths',
  503: 'a dependency is down (`dependency_unavailable`), or the server shut down before answering (`shutting_down`, see Retry-After)',
};

/** What any path may answer before its operation runs (server.ts, middleware/body.ts). */
const refusedBeforeTheOperation = [
  'refused before the operation ran, nothing changed:',
  'not valid HTTP (400 `malformed_request`), a malformed percent-encoding in the path',
  '(400 `malformed_path`), a body that is not JSON where JSON is read (400 `malformed_json`)',
  'or not as long as it says (400 `malformed_body`), a body over the limit',
  '(413 `payload_too_large`), a request too slow to arrive (408 `request_timeout`),',
  'headers too large (431 `headers_too_large`)',
].join(' ');

/**
 * The error shape as the answer for each of `statuses`, with the usual description, as the
 * `4XX` every path may answer before its operation runs, and as the 503 any request may get
 * (a dependency down, or the server shutting down while it runs). Spread it first: an
 * operation's own description of a status replaces it.
 */
export const errors = (...statuses: number[]) => ({
  ...Object.fromEntries(
    [...statuses, 503].map((status) => [
      status,
      json(ErrorSchema, errorDescriptions[status] ?? 'error'),
    ]),
  ),
  '4XX': json(ErrorSchema, refusedBeforeTheOperation),
});
