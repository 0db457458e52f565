// The OpenAPI description of provider callbacks (providers/routes.ts): the confirmation,
// dispatch events and the poll for orders, all signed; with the signature's security scheme.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errors, json, jsonBody } from '../openapi-parts';
import { OrderSchema, ProviderParamsSchema } from '../schemas';
import {
  ConfirmationRequestSchema,
  OrderListSchema,
  ProviderEventRequestSchema,
  ProviderOrderParamsSchema,
  ProviderOrdersQuerySchema,
} from './schemas';

export function registerProvidersPaths(registry: OpenAPIRegistry): void {
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
  const security = [{ [signature.name]: [] }];
  const tags = ['providers'];

  registry.registerPath({
    method: 'post',
    path: '/v1/providers/{providerId}/orders/{orderId}/confirmation',
    operationId: 'confirmOrder',
    tags,
    summary: 'The provider accepts or rejects an order (signed)',
    security,
    request: { params: ProviderOrderParamsSchema, ...jsonBody(ConfirmationRequestSchema) },
    responses: {
      200: json(OrderSchema, 'the order after the decision'),
      ...errors(400, 401, 404, 409, 415, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/providers/{providerId}/orders/{orderId}/events',
    operationId: 'reportProviderEvent',
    tags,
    summary: 'The provider reports dispatch progress (signed)',
    description:
      "Events are facts: one that arrives before the order reaches its step (even before the provider's acceptance has reached us) is kept and applied once it does; one reported after the order completed but dated before the completion is recorded and changes nothing. An event dated outside the order's schedule (a check-in before the check-in day, a check-out before the check-in, a consultation started more than 15 minutes before its slot, completed before it started) is `422 event_out_of_schedule` and changes nothing; `409` when the order was rejected, cancelled or ended otherwise.",
    security,
    request: { params: ProviderOrderParamsSchema, ...jsonBody(ProviderEventRequestSchema) },
    responses: {
      200: json(OrderSchema, 'the order after the event'),
      ...errors(400, 401, 404, 409, 415, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/providers/{providerId}/orders',
    operationId: 'listProviderOrders',
    tags,
    summary: 'Orders for providers that poll (signed GET, empty body)',
    description:
      'The list follows each change of an order within about a second; reading the order by id is always current.',
    security,
    request: { params: ProviderParamsSchema, query: ProviderOrdersQuerySchema },
    responses: {
      200: json(OrderListSchema, "the provider's orders, newest first"),
      ...errors(401, 404, 422),
    },
  });
}
