// An app event's delivery as admins (api/admin) and support (api/support) see it: the event,
// where it goes, how it stands, and every attempt.

import { z } from 'zod';
import { APP_EVENT_TYPES } from '../domain/app-events';
import { DELIVERY_STATUSES } from '../infra/models/app-event';
import { dateTime } from './schemas';

const AttemptSchema = z
  .object({
    at: dateTime,
    httpStatus: z.number().int().optional().meta({ description: 'what the endpoint answered' }),
    error: z.string().optional().meta({ description: 'why no answer came (timeout, refused)' }),
    delivered: z.boolean(),
    durationMs: z.number(),
  })
  .meta({ id: 'AppEventAttempt' });

export const AppEventDeliverySchema = z
  .object({
    deliveryId: z.string(),
    endpointId: z.string(),
    eventId: z
      .string()
      .meta({ description: 'the event `id` (`webhook-id`), the same on every attempt' }),
    type: z.enum(APP_EVENT_TYPES),
    orderId: z.string(),
    sequence: z.number().int(),
    status: z.enum(DELIVERY_STATUSES).meta({
      description:
        '`pending` while attempts go on (with backoff, for up to 72 hours), `delivered` once the endpoint answered 2xx, `failed` when it gave up',
    }),
    createdAt: dateTime,
    updatedAt: dateTime,
    attempts: z.array(AttemptSchema).meta({ description: 'oldest first' }),
  })
  .meta({ id: 'AppEventDelivery' });
