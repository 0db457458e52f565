// The OpenAPI description of the app's endpoints (orders/routes.ts, role `app`): checkout, the
// order, its cancellation and the cancellation quote; registered into the document openapi.ts
// assembles.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { bearerAuth, errors, json, jsonBody } from '../openapi-parts';
import {
  CancellationQuoteSchema,
  CancellationResultSchema,
  CreateOrderRequestSchema,
  ErrorSchema,
  OrderIdParamsSchema,
  OrderSchema,
} from '../schemas';
import { CancelOrderRequestSchema, MAX_WAIT_SECONDS, OrderWaitQuerySchema } from './schemas';

export function registerOrdersPaths(registry: OpenAPIRegistry): void {
  const tags = ['orders'];
  const security = bearerAuth('app');
  registry.registerPath({
    method: 'post',
    path: '/v1/orders',
    operationId: 'placeOrder',
    tags,
    summary: 'Place an order; answers after the payment decision',
    description:
      "Dates outside the vertical's horizon (see the fields' descriptions) are `422 out_of_horizon`, naming the field in `details`; nothing is charged. A retry of a placed order replays its answer without checking them again.",
    security,
    request: {
      headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255) }),
      ...jsonBody(CreateOrderRequestSchema),
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
            '`dependency_unavailable`,',
            '`shutting_down` (the server shut down before the payment decision; the same key',
            'names the same order, which the retry answers for; see Retry-After)',
          ].join(' '),
        ),
        headers: {
          'Retry-After': {
            description: 'seconds to wait before retrying (with `server_busy` and `shutting_down`)',
            schema: { type: 'integer' },
          },
        },
      },
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders/{orderId}',
    operationId: 'getOrder',
    tags,
    summary: 'The order as the app shows it; with `afterRevision`, once it changes',
    description: [
      'With `afterRevision=N` (a long poll) the answer waits until the order has a revision above N,',
      `or \`wait\` seconds (default 20, at most ${MAX_WAIT_SECONDS}), then answers 200 with the order as it is,`,
      'changed or not: an order page follows the order by asking again with the `revision` it got.',
      'An order already past N answers at once. A server shutting down answers its waits at once.',
      '`wait` without `afterRevision`, or values that are not whole numbers in range, are 422.',
    ].join(' '),
    security,
    request: { params: OrderIdParamsSchema, query: OrderWaitQuerySchema },
    responses: { 200: json(OrderSchema, 'the order'), ...errors(401, 403, 404, 422) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/orders/{orderId}/cancel',
    operationId: 'cancelOrder',
    tags,
    summary: "Cancel under the vertical's policy; answers with the fee kept and the money returned",
    security,
    request: { params: OrderIdParamsSchema, ...jsonBody(CancelOrderRequestSchema) },
    responses: {
      200: json(CancellationResultSchema, 'the order is cancelled and the money settled'),
      ...errors(400, 401, 403, 404, 409, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/orders/{orderId}/cancellation-quote',
    operationId: 'getCancellationQuote',
    tags,
    summary: 'What cancelling now would keep and give back',
    security,
    request: { params: OrderIdParamsSchema },
    responses: { 200: json(CancellationQuoteSchema, 'the quote'), ...errors(401, 403, 404, 422) },
  });
}
