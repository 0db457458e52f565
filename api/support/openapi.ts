// The OpenAPI description of support staff's endpoints (support/routes.ts,
// support/history-routes.ts; roles `support`, `admin`): find orders, read one, refund, cancel,
// redeliver, who the token belongs to, and the order's timeline.

import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { bearerAuth, errors, json, jsonBody } from '../openapi-parts';
import { CancellationQuoteSchema, CancellationResultSchema, OrderIdParamsSchema } from '../schemas';
import { OrderHistoryResponseSchema, SupportHistoryQuerySchema } from './schemas';
import {
  RedeliveryResultSchema,
  RefundDecisionBodySchema,
  RefundParamsSchema,
  RefundRequestBodySchema,
  RefundResultSchema,
  SupportCancelBodySchema,
  SupportOrderDetailSchema,
  SupportOrderListSchema,
  StaffSchema,
  SupportOrdersQuerySchema,
} from './order-schemas';

export function registerSupportPaths(registry: OpenAPIRegistry): void {
  const tags = ['support'];
  const security = bearerAuth('support', 'admin');
  const orderPath = '/v1/support/orders/{orderId}';

  registry.registerPath({
    method: 'get',
    path: '/v1/support/orders',
    operationId: 'searchOrders',
    tags,
    summary: 'Find orders: filters, newest first, cursor pagination, the attention list',
    description:
      '`needsAttention=true` lists orders stuck past where they should be (delivery overdue, provider never notified, payment undecided), each with `attention.reason`. The search follows each change of an order within about a second; the order by id is always current.',
    security,
    request: { query: SupportOrdersQuerySchema },
    responses: { 200: json(SupportOrderListSchema, 'a page of orders'), ...errors(401, 403, 422) },
  });
  registry.registerPath({
    method: 'get',
    path: orderPath,
    operationId: 'getSupportOrder',
    tags,
    summary: 'The order with its payment ledger, provider callbacks and audit trail',
    security,
    request: { params: OrderIdParamsSchema },
    responses: {
      200: json(SupportOrderDetailSchema, 'the order'),
      ...errors(401, 403, 404, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: `${orderPath}/cancellation-quote`,
    operationId: 'getSupportCancellationQuote',
    tags,
    summary: 'What cancelling now would keep and give back (support)',
    security,
    request: { params: OrderIdParamsSchema },
    responses: { 200: json(CancellationQuoteSchema, 'the quote'), ...errors(401, 403, 404, 422) },
  });
  registry.registerPath({
    method: 'post',
    path: `${orderPath}/refunds`,
    operationId: 'requestRefund',
    tags,
    summary: 'Refund part or all of what was captured, through the order workflow',
    description:
      'Never above captured − refunded − refunds in progress, however many arrive at once. A support refund above REFUND_APPROVAL_THRESHOLD answers 202 and waits for an admin. The same Idempotency-Key answers the same; with another body it is 409 idempotency_key_reused.',
    security,
    request: {
      params: OrderIdParamsSchema,
      headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255) }),
      ...jsonBody(RefundRequestBodySchema),
    },
    responses: {
      201: json(RefundResultSchema, 'refunded'),
      202: json(RefundResultSchema, 'held for an admin’s approval'),
      ...errors(400, 401, 403, 404, 409, 422),
    },
  });
  for (const verdict of ['approve', 'decline'] as const) {
    registry.registerPath({
      method: 'post',
      path: `${orderPath}/refunds/{refundId}/${verdict}`,
      operationId: `${verdict}Refund`,
      tags,
      summary: `An admin ${verdict}s a refund held for approval`,
      // Support may call it and is refused (403): admins only.
      security: bearerAuth('admin'),
      request: { params: RefundParamsSchema, ...jsonBody(RefundDecisionBodySchema) },
      responses: {
        200: json(RefundResultSchema, `${verdict}d`),
        ...errors(401, 403, 404, 409, 422),
      },
    });
  }
  registry.registerPath({
    method: 'post',
    path: `${orderPath}/cancel`,
    operationId: 'supportCancelOrder',
    tags,
    summary: 'Cancel under the vertical’s policy, optionally waiving the fee',
    security,
    request: { params: OrderIdParamsSchema, ...jsonBody(SupportCancelBodySchema) },
    responses: {
      200: json(CancellationResultSchema, 'cancelled: fee kept, amount refunded or released'),
      ...errors(401, 403, 404, 409, 422),
    },
  });
  registry.registerPath({
    method: 'post',
    path: `${orderPath}/notifications/redeliver`,
    operationId: 'redeliverNotification',
    tags,
    summary: 'Send the provider’s last notification again (same event id)',
    security,
    request: { params: OrderIdParamsSchema },
    responses: {
      200: json(RedeliveryResultSchema, 'whether the provider took it'),
      ...errors(401, 403, 404, 409, 422),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/support/me',
    operationId: 'getStaffMember',
    tags,
    summary: 'Who this token belongs to (support, admin)',
    description:
      "The token's name and role, so that a console shows admin-only actions (approving or declining a refund) to admins alone.",
    security,
    responses: { 200: json(StaffSchema, 'the name and role'), ...errors(401, 403) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/support/orders/{orderId}/history',
    operationId: 'getOrderHistory',
    tags,
    summary: "What happened to the order and why, from its workflow's history (support, admin)",
    description:
      'One entry per step (payment, provider, money, dispatch, timers, retries with their error), each with time, actor and details; `?format=raw` gives the Temporal events, their payloads decrypted and payment tokens replaced by `[redacted]`. `404 history_not_found` when Temporal no longer keeps the history.',
    security,
    request: { params: OrderIdParamsSchema, query: SupportHistoryQuerySchema },
    responses: {
      200: json(OrderHistoryResponseSchema, 'the timeline, or `{events}` with `?format=raw`'),
      ...errors(401, 403, 404, 422),
    },
  });
}
