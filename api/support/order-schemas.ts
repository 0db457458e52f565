// Request and response schemas of support staff's order endpoints: search, the order's
// full record, refunds and their approval, cancellation, redelivery, who the token is.

import { z } from 'zod';
import { ORDER_STATUSES, REFUND_REASONS, VERTICALS } from '../../domain/order';
import { AppEventDeliverySchema } from '../app-event-schemas';
import { dateTime, identifier, OrderSchema } from '../schemas';

/** Amounts without the shared schema's description (each field says what it is). */
const minorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const SupportOrdersQuerySchema = z
  .object({
    status: z.enum(ORDER_STATUSES).optional(),
    vertical: z.enum(VERTICALS).optional(),
    providerId: identifier.optional(),
    customerId: identifier.optional(),
    createdFrom: dateTime.optional(),
    createdTo: dateTime.optional(),
    needsAttention: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional().meta({ description: 'from the previous page' }),
  })
  .strict();

const AttentionSchema = z.object({
  code: z.string().meta({ example: 'delivery_overdue' }),
  reason: z.string(),
  since: dateTime,
});

export const SupportOrderListSchema = z
  .object({
    orders: z.array(OrderSchema.extend({ attention: AttentionSchema.optional() })),
    nextCursor: z.string().nullable().meta({ description: 'null on the last page' }),
  })
  .meta({ id: 'SupportOrderList' });

export const RefundRequestBodySchema = z
  .object({
    amount: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).meta({
      description: 'minor units; at most captured − refunded − refunds in progress',
    }),
    reason: z.enum(REFUND_REASONS),
    note: z.string().trim().min(1).max(1000).optional(),
  })
  .strict()
  .meta({ id: 'RefundRequest' });

export const RefundDecisionBodySchema = z
  .object({ note: z.string().trim().min(1).max(1000).optional() })
  .strict()
  .meta({ id: 'RefundDecisionRequest' });

export const SupportCancelBodySchema = z
  .object({
    reason: z.string().trim().min(1).max(500),
    waiveFee: z.boolean().optional().meta({ description: 'give everything back' }),
  })
  .strict()
  .meta({ id: 'SupportCancelRequest' });

export const RefundParamsSchema = z.object({ orderId: identifier, refundId: identifier });

/** Who a support or admin token belongs to (`GET /v1/support/me`, and every refund's actors). */
export const StaffSchema = z
  .object({ name: z.string(), role: z.enum(['support', 'admin']) })
  .meta({ id: 'Staff' });

const RefundSchema = z
  .object({
    refundId: z.string(),
    amount: minorUnits,
    reason: z.enum(REFUND_REASONS),
    note: z.string().optional(),
    status: z.enum(['pending_approval', 'refunding', 'refunded', 'declined']),
    requestedBy: StaffSchema,
    requestedAt: dateTime,
    decidedBy: StaffSchema.optional(),
    decidedAt: dateTime.optional(),
    decisionNote: z.string().optional(),
    refundedAt: dateTime.optional(),
  })
  .meta({ id: 'Refund' });

export const RefundResultSchema = z
  .object({ refund: RefundSchema, order: OrderSchema })
  .meta({ id: 'RefundResult' });

export const RedeliveryResultSchema = z
  .object({
    event: z.enum(['order.created', 'order.cancelled']),
    delivered: z.boolean(),
    status: z.number().int().optional(),
    problem: z.string().optional(),
  })
  .meta({ id: 'RedeliveryResult' });

export const SupportOrderDetailSchema = z
  .object({
    order: OrderSchema,
    ledger: z.array(
      z.object({
        type: z.string(),
        amount: minorUnits,
        currency: z.string(),
        key: z.string().meta({ description: 'the idempotency key the gateway applied once' }),
        reference: z.string().optional(),
        reason: z.string().optional(),
        at: dateTime,
      }),
    ),
    callbacks: z.array(
      z.object({
        kind: z.string(),
        at: dateTime,
        requestId: z.string(),
        status: z.number().int(),
        accepted: z.boolean(),
        code: z.string().optional(),
        message: z.string().optional(),
        body: z.unknown().optional(),
      }),
    ),
    audit: z.array(
      z.object({
        action: z.string(),
        actor: StaffSchema.extend({ role: z.string() }),
        reason: z.string().optional(),
        requestId: z.string(),
        result: z.object({ status: z.number().int(), code: z.string().optional() }),
        details: z.record(z.string(), z.unknown()).optional(),
        at: dateTime,
      }),
    ),
    appEvents: z.array(AppEventDeliverySchema).meta({
      description: "the order's events to the app's endpoints, oldest first, with their attempts",
    }),
  })
  .meta({ id: 'SupportOrderDetail' });
