// The OpenAPI description of support staff's order endpoints (api/routes/support.ts) and of
// the app's cancellation quote, registered into the document api/openapi.ts builds.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { OrderIdParamsSchema } from '../schemas';
import {
  CancellationQuoteSchema,
  RedeliveryResultSchema,
  RefundDecisionBodySchema,
  RefundParamsSchema,
  RefundRequestBodySchema,
  RefundResultSchema,
  SupportCancelBodySchema,
  SupportOrderDetailSchema,
  SupportOrderListSchema,
  SupportOrdersQuerySchema,
} from './order-schemas';
import { CancellationResultSchema } from '../schemas';

type Json = (schema: z.ZodType, description: string) => object;
type Errors = (...statuses: number[]) => Record<number, object>;

export function registerSupportPaths(
  registry: OpenAPIRegistry,
  { bearer, json, errors }: { bearer: string; json: Json; errors: Errors },
): void {
  const security = [{ [bearer]: [] }];
  const body = (schema: z.ZodType) => ({
    body: { content: { 'application/json': { schema } } },
  });
  const orderPath = '/v1/support/orders/{orderId}';

  registry.registerPath({
    method: 'get',
    path: '/v1/support/orders',
    summary: 'Find orders: filters, newest first, cursor pagination, the attention list',
    description:
      '`needsAttention=true` lists orders stuck past where they should be (delivery overdue, provider never notified, payment undecided), each with `attention.reason`.',
    security,
    request: { query: SupportOrdersQuerySchema },
    responses: { 200: json(SupportOrderListSchema, 'a page of orders'), ...errors(401, 403, 422) },
  });
  registry.registerPath({
    method: 'get',
    path: orderPath,
    summary: 'The order with its payment ledger, provider callbacks and audit trail',
    security,
    request: { params: OrderIdParamsSchema },
    responses: { 200: json(SupportOrderDetailSchema, 'the order'), ...errors(401, 403, 404) },
  });
  for (const [path, summary] of [
    [`${orderPath}/cancellation-quote`, 'What cancelling now would keep and give back (support)'],
    ['/v1/orders/{orderId}/cancellation-quote', 'What cancelling now would keep and give back'],
  ] as const) {
    registry.registerPath({
      method: 'get',
      path,
      summary,
      security,
      request: { params: OrderIdParamsSchema },
      responses: { 200: json(CancellationQuoteSchema, 'the quote'), ...errors(401, 403, 404) },
    });
  }
  registry.registerPath({
    method: 'post',
    path: `${orderPath}/refunds`,
    summary: 'Refund part or all of what was captured, through the order workflow',
    description:
      'Never above captured − refunded − refunds in progress, however many arrive at once. A support refund above REFUND_APPROVAL_THRESHOLD answers 202 and waits for an admin. The same Idempotency-Key answers the same; with another body it is 409 idempotency_key_reused.',
    security,
    request: {
      params: OrderIdParamsSchema,
      headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255) }),
      ...body(RefundRequestBodySchema),
    },
    responses: {
      201: json(RefundResultSchema, 'refunded'),
      202: json(RefundResultSchema, 'held for an admin’s approval'),
      ...errors(400, 401, 403, 404, 409, 422, 503),
    },
  });
  for (const verdict of ['approve', 'decline'] as const) {
    registry.registerPath({
      method: 'post',
      path: `${orderPath}/refunds/{refundId}/${verdict}`,
      summary: `An admin ${verdict}s a refund held for approval`,
      security,
      request: { params: RefundParamsSchema, ...body(RefundDecisionBodySchema) },
      responses: {
        200: json(RefundResultSchema, `${verdict}d`),
        ...errors(401, 403, 404, 409, 422),
      },
    });
  }
  registry.registerPath({
    method: 'post',
    path: `${orderPath}/cancel`,
    summary: 'Cancel under the vertical’s policy, optionally waiving the fee',
    security,
    request: { params: OrderIdParamsSchema, ...body(SupportCancelBodySchema) },
    responses: {
      200: json(CancellationResultSchema, 'cancelled: fee kept, amount refunded or released'),
      ...errors(401, 403, 404, 409, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${orderPath}/notifications/redeliver`,
    summary: 'Send the provider’s last notification again (same event id)',
    security,
    request: { params: OrderIdParamsSchema },
    responses: {
      200: json(RedeliveryResultSchema, 'whether the provider took it'),
      ...errors(401, 403, 404, 409),
    },
  });
}
