// Admin requests and answers for the app's event endpoints and their deliveries
// (../shared/API.md, "App events"). Routes validate with these and the OpenAPI document is
// generated from them.

import { z } from 'zod';
import { APP_EVENT_TYPES } from '../../domain/app-events';
import { DELIVERY_STATUSES } from '../../infra/models/app-event';
import { dateTime } from '../schemas';

const endpointUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2048)
  .refine((url) => {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    return !parsed || (parsed.username === '' && parsed.password === '');
  }, 'must not carry a user name or password')
  .meta({
    description:
      "where the app's backend receives order events, signed per Standard Webhooks. The same rules as provider webhooks: not a cloud metadata address, nor (unless the server allows private webhooks) a loopback, private or link-local one: `422 webhook_url_not_allowed`",
  });

export const RegisterAppEndpointRequestSchema = z
  .strictObject({
    url: endpointUrl,
    description: z.string().trim().min(1).max(500).optional(),
  })
  .meta({ id: 'RegisterAppEndpointRequest' });

export const AppEndpointParamsSchema = z.object({
  endpointId: z.string().min(1).max(64),
});

export const AppEventDeliveryParamsSchema = AppEndpointParamsSchema.extend({
  deliveryId: z.string().min(1).max(300),
});

const AppEndpointSchema = z
  .object({
    endpointId: z.string(),
    url: z.string(),
    description: z.string().optional(),
    createdAt: dateTime,
  })
  .meta({ id: 'AppEndpoint' });

export const AppEndpointWithSecretSchema = AppEndpointSchema.extend({
  signingSecret: z.string().meta({
    description:
      "the endpoint's Standard Webhooks secret, `whsec_<base64 key>`, shown this once: store it now",
  }),
}).meta({ id: 'AppEndpointWithSecret' });

export const AppEndpointListSchema = z
  .object({ endpoints: z.array(AppEndpointSchema) })
  .meta({ id: 'AppEndpointList' });

export const ListDeliveriesQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

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
export type AppEventDeliveryView = z.infer<typeof AppEventDeliverySchema>;

export const AppEventDeliveryListSchema = z
  .object({ deliveries: z.array(AppEventDeliverySchema).meta({ description: 'newest first' }) })
  .meta({ id: 'AppEventDeliveryList' });
