// Provider callbacks' requests and answers: the confirmation, dispatch events and the poll
// for orders. Routes validate with these and the OpenAPI document is generated from them.

import { PROVIDER_CLOCK_SKEW_MS } from '../../domain/schedule';
import { z } from 'zod';
import { ORDER_STATUSES, PROVIDER_EVENT_TYPES } from '../../domain/order';
import { dateTime, identifier, OrderSchema, text } from '../schemas';

export const ConfirmationRequestSchema = z
  .object({
    decision: z.enum(['accept', 'reject']),
    reason: text(500).optional(),
    items: z
      .array(z.object({ sku: identifier, availableQuantity: z.number().int().min(0).max(1000) }))
      .max(200)
      .refine(
        (items) => new Set(items.map((i) => i.sku)).size === items.length,
        'each sku may appear once',
      )
      .optional(),
    confirmationCode: text(64).optional(),
  })
  .refine(
    (c) => c.decision === 'accept' || (c.items === undefined && c.confirmationCode === undefined),
    {
      message: 'items and confirmationCode only go with an accept',
      path: ['decision'],
    },
  )
  .meta({ id: 'ConfirmationRequest' });

/** How far a provider's clock may run ahead of ours, and how old a reported event may be. */
const EVENT_TIME_WINDOW = { aheadMs: PROVIDER_CLOCK_SKEW_MS, behindMs: 30 * 86_400_000 };

export const ProviderEventRequestSchema = z
  .object({
    type: z.enum(PROVIDER_EVENT_TYPES),
    at: dateTime
      .refine((at) => Date.parse(at) <= Date.now() + EVENT_TIME_WINDOW.aheadMs, {
        message: 'must not be in the future (5 minutes of clock skew allowed)',
      })
      .refine((at) => Date.parse(at) >= Date.now() - EVENT_TIME_WINDOW.behindMs, {
        message: 'must be within the last 30 days',
      })
      .meta({ description: 'when it happened: at most 30 days ago, at most 5 minutes ahead' }),
  })
  .meta({ id: 'ProviderEventRequest' });

export const ProviderOrderParamsSchema = z.object({ providerId: identifier, orderId: identifier });

export const ProviderOrdersQuerySchema = z.object({
  status: z.enum(ORDER_STATUSES).default('awaiting_confirmation'),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const OrderListSchema = z.object({ orders: z.array(OrderSchema) }).meta({ id: 'OrderList' });
