// Schemas of the support timeline (`GET /v1/support/orders/:orderId/history`): the query it
// takes and the answers it gives, for validation and for the OpenAPI document.

import { z } from 'zod';
import { ORDER_STATUSES } from '../../domain/order';

/** Every kind of timeline entry, so apps can switch on `kind` without parsing titles. */
const TIMELINE_KINDS = [
  'order_placed',
  'payment_authorised',
  'payment_declined',
  'payment_not_attempted',
  'payment_decision_recorded',
  'checkout_gave_up',
  'checkout_answered',
  'provider_notified',
  'provider_notification_skipped',
  'provider_confirmed',
  'provider_rejected',
  'captured',
  'released',
  'authorisation_reversed',
  'refunded',
  'courier_assigned',
  'voucher_issued',
  'video_session_opened',
  'event_reported',
  'cancellation_requested',
  'cancellation_settled',
  'refund_requested',
  'refund_approved',
  'refund_declined',
  'notification_redelivery_requested',
  'update_accepted',
  'update_failed',
  'update_rejected',
  'timer_fired',
  'timer_pending',
  'activity_pending',
  'activity_retrying',
  'activity_failed',
  'activity_cancelled',
  'order_completed',
  'order_expired',
  'order_rejected',
  'order_cancelled',
  'order_payment_declined',
  'order_closed',
  'after_sales_started',
  'order_rerouted',
  'fallback_skipped',
  'after_sales_ended',
  'workflow_failed',
  'workflow_terminated',
  'workflow_timed_out',
  'workflow_cancelled',
  'workflow_task_failed',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

const TIMELINE_ACTORS = ['customer', 'provider', 'support', 'system'] as const;
export type TimelineActor = (typeof TIMELINE_ACTORS)[number];

export const SupportHistoryQuerySchema = z.object({
  format: z
    .enum(['timeline', 'raw'])
    .default('timeline')
    .meta({ description: '`timeline` (default): entries in words; `raw`: the Temporal events' }),
});

export const TimelineEntrySchema = z
  .object({
    at: z.iso.datetime(),
    kind: z.enum(TIMELINE_KINDS),
    title: z.string().meta({ example: 'payment authorised ¥41.48' }),
    actor: z.enum(TIMELINE_ACTORS),
    actorName: z
      .string()
      .optional()
      .meta({ description: 'who exactly, when known (e.g. the support user)' }),
    details: z
      .record(z.string(), z.unknown())
      .meta({ description: 'amounts (integer minor units + currency), ids, attempt, error' }),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

const OrderTimelineSchema = z
  .object({
    orderId: z.string(),
    status: z.enum(ORDER_STATUSES),
    entries: z.array(TimelineEntrySchema),
  })
  .meta({ id: 'OrderTimeline' });

const RawOrderHistorySchema = z
  .object({
    events: z.array(z.record(z.string(), z.unknown())).meta({
      description:
        'Temporal history events in protobuf JSON object form (enums as names, 64-bit integers and bytes as strings)',
    }),
  })
  .meta({ id: 'RawOrderHistory' });

export const OrderHistoryResponseSchema = z.union([OrderTimelineSchema, RawOrderHistorySchema]);
