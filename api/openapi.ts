// The OpenAPI document, generated from the same zod schemas the routes validate with.
// A test checks every route the server mounts is described here, and vice versa.

import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CancellationResultSchema,
  CancelOrderRequestSchema,
  ConfirmationRequestSchema,
  CreateOrderRequestSchema,
  ErrorSchema,
  OrderIdParamsSchema,
  OrderListSchema,
  OrderSchema,
  ProviderEventRequestSchema,
  ProviderOrderParamsSchema,
  ProviderOrdersQuerySchema,
  ProviderParamsSchema,
} from './schemas';
import { CodecPayloadsSchema } from './codec/routes';
import { registerSupportPaths } from './support/openapi';
import { StaffSchema } from './support/order-schemas';
import { OrderHistoryResponseSchema, SupportHistoryQuerySchema } from './support/schemas';
import {
  AdminProviderListSchema,
  AdminProviderSchema,
  ListProvidersQuerySchema,
  ProviderWithSecretSchema,
  RegisterProviderRequestSchema,
  RotateSecretRequestSchema,
  UpdateProviderRequestSchema,
} from './admin/schemas';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [status, json(ErrorSchema, errorDescriptions[status] ?? 'error')]),
  );

/** The 422 of the routes that take a provider's webhook URL. */
const webhookUrl422 = {
  422: json(
    ErrorSchema,
    'validation failed (details name the field paths), or `webhook_url_not_allowed`: the webhook URL points at a cloud metadata address or, unless the server allows private webhooks, at a loopback, private or link-local one (by address or by what its name resolves to)',
  ),
};

const errorDescriptions: Record<number, string> = {
  400: 'malformed request (bad JSON, missing header)',
  401: 'missing or bad credentials or signature',
  402: 'payment declined',
  403: 'the token lacks the role',
  404: 'unknown order or provider',
  409: "not allowed in the order's current state, or an idempotency conflict",
  415: 'a body not sent as JSON (`Content-Type: application/json`, UTF-8): `unsupported_media_type`, or `unsupported_encoding` for another charset; nothing changes',
  422: 'validation failed; details name the field paths',
  503: 'a dependency is down',
};

export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
  });
  const signature = registry.registerComponent('securitySchemes', 'providerSignature', {
    type: 'apiKey',
    in: 'header',
    name: 'Orderflow-Signature',
    description: [
      '`t=<unix seconds>,v1=<hex>`, where v1 is the lower-case hex HMAC-SHA256, keyed with the',
      'provider signing secret, of the string `"<t>.<METHOD>.<path and query>.<raw body>"`:',
      'METHOD in upper case; path and query exactly the request target as sent (not decoded',
      'or normalised, query string included); the raw body bytes as sent, empty for a GET.',
      'Example: `1764000000.POST./v1/providers/p1/orders/o1/confirmation.{"decision":"accept"}`,',
      'or `1764000000.GET./v1/providers/p1/orders?status=awaiting_confirmation.` for a poll.',
      'While rotating secrets, send one `v1=` per secret (`t=…,v1=…,v1=…`); one match is enough.',
      'A missing or malformed header, a `t` more than 5 minutes (SIGNATURE_TOLERANCE_SECONDS)',
      'from the server clock, or no matching v1 is `401 invalid_signature` and changes nothing.',
      'Outbound webhooks to the provider\'s URL carry the same header over `"<t>.<raw body>"`.',
    ].join(' '),
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/orders',
    summary: 'Place an order; answers after the payment decision',
    description:
      "Dates outside the vertical's horizon (see the fields' descriptions) are `422 out_of_horizon`, naming the field in `details`; nothing is charged. A retry of a placed order replays its answer without checking them again.",
    security: [{ [bearer.name]: [] }],
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255) }),
      body: { content: { 'application/json': { schema: CreateOrderRequestSchema } } },
    },
    responses: {
      201: json(OrderSchema, 'the payment was authorised; the order awaits the provider'),
      ...errors(400, 401, 402, 403, 404, 409, 422),
      503: {
        ...json(
          ErrorSchema,
          [
            'nothing was decided for sure; retry with the same Idempotency-Key:',
            '`checkout_timeout`, `payment_unavailable`, `checkout_expired` (nothing was charged),',
            '`checkout_outcome_unknown` (the retry learns the outcome),',
            '`server_busy` (too many checkouts in progress, nothing was started; see Retry-After),',
            '`dependency_unavailable`',
          ].join(' '),
        ),
        headers: {
          'Retry-After': {
            description: 'seconds to wait before retrying (with `server_busy`)',
            schema: { type: 'integer' },
          },
        },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders/{orderId}',
    summary: 'The order as the app shows it',
    security: [{ [bearer.name]: [] }],
    request: { params: OrderIdParamsSchema },
    responses: { 200: json(OrderSchema, 'the order'), ...errors(401, 403, 404, 422) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/orders/{orderId}/cancel',
    summary: "Cancel under the vertical's policy; answers with the fee kept and the money returned",
    security: [{ [bearer.name]: [] }],
    request: {
      params: OrderIdParamsSchema,
      body: { content: { 'application/json': { schema: CancelOrderRequestSchema } } },
    },
    responses: {
      200: json(CancellationResultSchema, 'the order is cancelled and the money settled'),
      ...errors(400, 401, 403, 404, 409, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/providers/{providerId}/orders/{orderId}/confirmation',
    summary: 'The provider accepts or rejects an order (signed)',
    security: [{ [signature.name]: [] }],
    request: {
      params: ProviderOrderParamsSchema,
      body: { content: { 'application/json': { schema: ConfirmationRequestSchema } } },
    },
    responses: {
      200: json(OrderSchema, 'the order after the decision'),
      ...errors(400, 401, 404, 409, 415, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/providers/{providerId}/orders/{orderId}/events',
    summary: 'The provider reports dispatch progress (signed)',
    description:
      "Events are facts: one that arrives before the order reaches its step (even before the provider's acceptance has reached us) is kept and applied once it does; one reported after the order completed but dated before the completion is recorded and changes nothing. An event dated outside the order's schedule (a check-in before the check-in day, a check-out before the check-in, a consultation started more than 15 minutes before its slot, completed before it started) is `422 event_out_of_schedule` and changes nothing; `409` when the order was rejected, cancelled or ended otherwise.",
    security: [{ [signature.name]: [] }],
    request: {
      params: ProviderOrderParamsSchema,
      body: { content: { 'application/json': { schema: ProviderEventRequestSchema } } },
    },
    responses: {
      200: json(OrderSchema, 'the order after the event'),
      ...errors(400, 401, 404, 409, 415, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/providers/{providerId}/orders',
    summary: 'Orders for providers that poll (signed GET, empty body)',
    security: [{ [signature.name]: [] }],
    request: { params: ProviderParamsSchema, query: ProviderOrdersQuerySchema },
    responses: {
      200: json(OrderListSchema, "the provider's orders, newest first"),
      ...errors(401, 404, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers',
    summary: 'Register a provider; answers with its signing secret, shown this once (admin)',
    security: [{ [bearer.name]: [] }],
    request: {
      body: { content: { 'application/json': { schema: RegisterProviderRequestSchema } } },
    },
    responses: {
      201: json(ProviderWithSecretSchema, 'registered; `Location` names the provider'),
      ...errors(400, 401, 403, 409),
      ...webhookUrl422,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/providers',
    summary: 'Providers, newest first, without their secrets (admin)',
    security: [{ [bearer.name]: [] }],
    request: { query: ListProvidersQuerySchema },
    responses: {
      200: json(AdminProviderListSchema, 'one page of providers'),
      ...errors(401, 403, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/admin/providers/{providerId}',
    summary:
      "A provider's settings and its valid secrets' ids and expiries, never a secret (admin)",
    security: [{ [bearer.name]: [] }],
    request: { params: ProviderParamsSchema },
    responses: { 200: json(AdminProviderSchema, 'the provider'), ...errors(401, 403, 404, 422) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/admin/providers/{providerId}',
    summary:
      "Change a provider's settings; new orders follow them, existing ones keep theirs (admin)",
    security: [{ [bearer.name]: [] }],
    request: {
      params: ProviderParamsSchema,
      body: { content: { 'application/json': { schema: UpdateProviderRequestSchema } } },
    },
    responses: {
      200: json(AdminProviderSchema, 'the provider as changed'),
      ...errors(400, 401, 403, 404),
      ...webhookUrl422,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/admin/providers/{providerId}/secrets',
    summary:
      'Rotate the signing secret: a new one, shown this once; the previous ones stay valid for the grace (admin)',
    security: [{ [bearer.name]: [] }],
    request: {
      params: ProviderParamsSchema,
      body: {
        required: false,
        content: { 'application/json': { schema: RotateSecretRequestSchema } },
      },
    },
    responses: {
      201: json(ProviderWithSecretSchema, 'the new secret, and every valid secret with its expiry'),
      ...errors(400, 401, 403, 404, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    summary: 'The process is up',
    responses: { 200: json(z.object({ status: z.literal('ok') }), 'up') },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Temporal and the database are reachable',
    responses: {
      200: json(
        z.object({ status: z.string(), checks: z.record(z.string(), z.string()) }),
        'ready',
      ),
      503: json(
        z.object({ status: z.string(), checks: z.record(z.string(), z.string()) }),
        'a dependency is down',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    responses: {
      200: {
        description: 'Prometheus text format',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: {
      200: {
        description: 'OpenAPI 3.1 document',
        content: { 'application/json': { schema: z.object({}) } },
      },
    },
  });

  registerSupportPaths(registry, { bearer: bearer.name, json, errors });
  registry.registerPath({
    method: 'get',
    path: '/v1/support/me',
    summary: 'Who this token belongs to (support, admin)',
    description:
      "The token's name and role, so that a console shows admin-only actions (approving or declining a refund) to admins alone.",
    security: [{ [bearer.name]: [] }],
    responses: { 200: json(StaffSchema, 'the name and role'), ...errors(401, 403) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/support/orders/{orderId}/history',
    summary: "What happened to the order and why, from its workflow's history (support, admin)",
    description:
      'One entry per step (payment, provider, money, dispatch, timers, retries with their error), each with time, actor and details; `?format=raw` gives the Temporal events, their payloads decrypted and payment tokens replaced by `[redacted]`. `404 history_not_found` when Temporal no longer keeps the history.',
    security: [{ [bearer.name]: [] }],
    request: { params: OrderIdParamsSchema, query: SupportHistoryQuerySchema },
    responses: {
      200: json(OrderHistoryResponseSchema, 'the timeline, or `{events}` with `?format=raw`'),
      ...errors(401, 403, 404, 422, 503),
    },
  });

  const codecSession = registry.registerComponent('securitySchemes', 'codecSession', {
    type: 'apiKey',
    in: 'cookie',
    name: 'orderflow_codec',
    description:
      'Set by `POST /codec/session` for browsers (the Temporal Web UI); /codec only. A random server-side session id, never the token: 8 hours, ended by sign-out or when its token leaves API_TOKENS (`401 unauthenticated`); expired: `401 session_expired`.',
  });
  const codecPaths = [
    [
      'decode',
      'Decrypt payloads for the Temporal Web UI or CLI (support, admin)',
      ' Admins get whole payloads; support gets payment tokens replaced by `[redacted]`, as in the raw history.',
    ],
    ['encode', 'Encrypt payloads under the current key (support, admin)', ''],
  ] as const;
  for (const [path, summary, visibility] of codecPaths) {
    registry.registerPath({
      method: 'post',
      path: `/codec/${path}`,
      summary,
      description: `Temporal's remote codec protocol: protobuf JSON payloads in, the same shape out.${visibility} Bearer token, or the cookie set by \`POST /codec/session\` (browsers). CORS for CODEC_CORS_ORIGINS, preflight without credentials. A payload under a key the service does not hold is \`422 payload_not_decodable\`.`,
      security: [{ [bearer.name]: [] }, { [codecSession.name]: [] }],
      request: {
        headers: z.object({ 'X-Namespace': z.string().optional() }),
        body: { content: { 'application/json': { schema: CodecPayloadsSchema } } },
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
    summary: 'The codec sign-in page for browsers (the Temporal Web UI sends its cookie)',
    responses: {
      200: { description: 'an HTML form', content: { 'text/html': { schema: z.string() } } },
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/codec/session',
    summary:
      'Sign in with a support or admin token (a server-side session, its id in an HttpOnly, SameSite=Strict cookie for /codec); `signOut=1` ends it',
    description:
      "The cookie is `Secure` when the request came over HTTPS (behind a proxy: one TRUST_PROXY trusts). Sign-out deletes the session, so its cookie stops working on every API process. A request from another site (an `Origin` other than this API's, or `Sec-Fetch-Site` other than `same-origin`/`none`) is `403 cross_site_request` and changes nothing.",
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

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'orderflow',
      version: '0.1.0',
      description:
        'Order fulfilment for lifestyle super-apps: checkout, provider callbacks, support and operations.',
    },
  });
}
