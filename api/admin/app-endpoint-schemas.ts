// Admin requests and answers for the app's event endpoints and their deliveries
// (../shared/API.md, "App events"). Routes validate with these and the OpenAPI document is
// generated from them.

import { z } from 'zod';
import { DELIVERY_STATUSES } from '../../infra/models/app-event';
import { AppEventDeliverySchema } from '../app-event-schemas';
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

// Ids are printable ASCII (endpoint ids `ep_` + base64url): anything else, a NUL byte say,
// is refused before it reaches a query the database would fail on.
export const AppEndpointParamsSchema = z.object({
  endpointId: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
});

export const AppEventDeliveryParamsSchema = AppEndpointParamsSchema.extend({
  deliveryId: z
    .string()
    .min(1)
    .max(300)
    .regex(/^[\x21-\x7e]+$/),
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

export const AppEventDeliveryListSchema = z
  .object({ deliveries: z.array(AppEventDeliverySchema).meta({ description: 'newest first' }) })
  .meta({ id: 'AppEventDeliveryList' });
