// The OpenAPI description of the remote codec endpoint (codec/routes.ts, roles `support`,
// `admin`): decode, encode and the browsers' sign-in, with the session cookie's security scheme.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { bearerAuth, errors, json, jsonBody, noAuth } from '../openapi-parts';
import { ErrorSchema } from '../schemas';
import { CodecPayloadsSchema } from './schemas';

const codecPaths = [
  [
    'decode',
    'Decrypt payloads for the Temporal Web UI or CLI (support, admin)',
    ' Admins get whole payloads; support gets payment tokens replaced by `[redacted]`, as in the raw history.',
  ],
  ['encode', 'Encrypt payloads under the current key (support, admin)', ''],
] as const;

export function registerCodecPaths(registry: OpenAPIRegistry): void {
  const codecSession = registry.registerComponent('securitySchemes', 'codecSession', {
    type: 'apiKey',
    in: 'cookie',
    name: 'orderflow_codec',
    description:
      'Set by `POST /codec/session` for browsers (the Temporal Web UI); /codec only. A random server-side session id, never the token: 8 hours, ended by sign-out or when its token leaves API_TOKENS (`401 unauthenticated`); expired: `401 session_expired`.',
  });
  const tags = ['codec'];
  for (const [path, summary, visibility] of codecPaths) {
    registry.registerPath({
      method: 'post',
      path: `/codec/${path}`,
      operationId: `${path}Payloads`,
      tags,
      summary,
      description: `Temporal's remote codec protocol: protobuf JSON payloads in, the same shape out.${visibility} Bearer token, or the cookie set by \`POST /codec/session\` (browsers). CORS for CODEC_CORS_ORIGINS, preflight without credentials. A payload under a key the service does not hold is \`422 payload_not_decodable\`.`,
      security: [...bearerAuth('support', 'admin'), { [codecSession.name]: [] }],
      request: {
        headers: z.object({ 'X-Namespace': z.string().optional() }),
        ...jsonBody(CodecPayloadsSchema),
      },
      responses: {
        200: json(CodecPayloadsSchema, 'the payloads, converted, in the same order'),
        ...errors(400, 401, 403, 422),
      },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/codec/session',
    operationId: 'getCodecSignInPage',
    tags,
    summary: 'The codec sign-in page for browsers (the Temporal Web UI sends its cookie)',
    security: noAuth,
    responses: {
      200: { description: 'an HTML form', content: { 'text/html': { schema: z.string() } } },
      ...errors(),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/codec/session',
    operationId: 'signInToCodec',
    tags,
    summary:
      'Sign in with a support or admin token (a server-side session, its id in an HttpOnly, SameSite=Strict cookie for /codec); `signOut=1` ends it',
    description:
      "The cookie is `Secure` when the request came over HTTPS (behind a proxy: one TRUST_PROXY trusts). Sign-out deletes the session, so its cookie stops working on every API process. A request from another site (an `Origin` other than this API's, or `Sec-Fetch-Site` other than `same-origin`/`none`) is `403 cross_site_request` and changes nothing.",
    // The token travels in the form, once; no scheme describes that.
    security: noAuth,
    request: {
      body: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: z.object({ token: z.string().optional(), signOut: z.string().optional() }),
          },
        },
      },
    },
    responses: {
      200: { description: 'signed in (or out)', content: { 'text/html': { schema: z.string() } } },
      ...errors(400, 401, 413, 422),
      403: json(
        ErrorSchema,
        'the token lacks the role, or the request comes from another site (`cross_site_request`)',
      ),
    },
  });
}
