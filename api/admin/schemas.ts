// Admin requests and answers for provider onboarding: registration, settings and secret
// rotation. Routes validate with these and the OpenAPI document is generated from them.
// Requests are strict: a misspelt field is a 422, not a setting silently left unchanged.

import { z } from 'zod';
import { VERTICALS } from '../../domain/order';
import {
  CLOCK_TIME,
  DEFAULT_CHECK_IN_TIME,
  DEFAULT_CHECK_OUT_TIME,
  DEFAULT_TIME_ZONE,
} from '../../infra/local-time';
import { dateTime, ProviderParamsSchema } from '../schemas';

const MINUTE = 60;
const DAY = 86_400;

const providerId = ProviderParamsSchema.shape.providerId;
const name = z.string().trim().min(1).max(200);
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2048)
  // (Zod runs this even after the URL check failed, hence the guard.)
  .refine((url) => {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    return !parsed || (parsed.username === '' && parsed.password === '');
  }, 'must not carry a user name or password')
  .meta({
    description:
      'where new orders and cancellations are POSTed, signed. Not a cloud metadata address, nor (unless the server allows private webhooks) a loopback, private or link-local one, by address or by what its name resolves to: `422 webhook_url_not_allowed`',
  });
const confirmationTimeoutSeconds = z
  .number()
  .int()
  .min(1)
  .max(7 * DAY)
  .meta({
    description:
      "how long the provider has to answer a new order (1 s … 7 days); the vertical's default otherwise",
  });
const doctorNoShowGraceSeconds = z
  .number()
  .int()
  .min(1)
  .max(4 * 60 * MINUTE)
  .meta({
    description:
      'clinics only: how long after a slot starts a doctor who has not started is a no-show (1 s … 4 h; default 15 min)',
  });
const timeZone = z.string().min(1).max(64).meta({
  description:
    'an IANA time zone name (`Asia/Shanghai`), kept in its canonical spelling; anything else is `422 unknown_time_zone`',
  example: 'Asia/Shanghai',
});
const clockTime = (what: string, byDefault: string) =>
  z
    .string()
    .regex(CLOCK_TIME, 'a 24-hour clock time, HH:MM')
    .meta({
      description: `hotels only: ${what}, local time in the hotel's zone (default ${byDefault})`,
      example: byDefault,
    });
const checkInTime = clockTime('when guests check in', DEFAULT_CHECK_IN_TIME);
const checkOutTime = clockTime('when guests check out', DEFAULT_CHECK_OUT_TIME);
const graceSeconds = z
  .number()
  .int()
  .min(0)
  .max(7 * DAY);

export const onlyForClinics = {
  message: 'only teleconsultation providers have a doctor no-show grace',
  path: ['doctorNoShowGraceSeconds'],
};

export const onlyForHotels = (field: 'checkInTime' | 'checkOutTime') => ({
  message: 'only hotels have check-in and check-out times',
  path: [field],
});

const fallbackProviderIds = z
  .array(providerId)
  .max(5)
  .refine((ids) => new Set(ids).size === ids.length, 'each fallback once')
  .meta({
    description:
      'providers of the same vertical an order is offered to, in turn, when this one rejects it whole or misses its deadline (at most 2 re-routes an order; an inactive one or one of another vertical is skipped)',
  });

export const RegisterProviderRequestSchema = z
  .strictObject({
    providerId,
    vertical: z.enum(VERTICALS),
    name,
    webhookUrl: webhookUrl.optional(),
    confirmationTimeoutSeconds: confirmationTimeoutSeconds.optional(),
    doctorNoShowGraceSeconds: doctorNoShowGraceSeconds.optional(),
    timeZone: timeZone.optional().meta({
      description: `required for hotels: their stays' times are local; ${DEFAULT_TIME_ZONE} by default for other providers`,
    }),
    checkInTime: checkInTime.optional(),
    checkOutTime: checkOutTime.optional(),
    fallbackProviderIds: fallbackProviderIds.optional(),
  })
  .refine((p) => !p.fallbackProviderIds?.includes(p.providerId), {
    message: 'a provider is not its own fallback',
    path: ['fallbackProviderIds'],
  })
  .refine(
    (p) => p.doctorNoShowGraceSeconds === undefined || p.vertical === 'teleconsultation',
    onlyForClinics,
  )
  .refine((p) => p.timeZone !== undefined || p.vertical !== 'hotel', {
    message: "required for hotels: their check-in and check-out happen in the hotel's local time",
    path: ['timeZone'],
  })
  .refine(
    (p) => p.checkInTime === undefined || p.vertical === 'hotel',
    onlyForHotels('checkInTime'),
  )
  .refine(
    (p) => p.checkOutTime === undefined || p.vertical === 'hotel',
    onlyForHotels('checkOutTime'),
  )
  .meta({ id: 'RegisterProviderRequest' });

/** `null` removes a setting: no webhooks (the provider polls), or the vertical's default. */
export const UpdateProviderRequestSchema = z
  .strictObject({
    name: name.optional(),
    webhookUrl: webhookUrl.nullable().optional(),
    confirmationTimeoutSeconds: confirmationTimeoutSeconds.nullable().optional(),
    doctorNoShowGraceSeconds: doctorNoShowGraceSeconds.nullable().optional(),
    timeZone: timeZone.optional().meta({
      description: "for new orders; a hotel's orders already placed keep their stay's times",
    }),
    checkInTime: checkInTime.nullable().optional(),
    checkOutTime: checkOutTime.nullable().optional(),
    fallbackProviderIds: fallbackProviderIds.nullable().optional(),
    active: z.boolean().optional().meta({
      description: 'an inactive provider takes no new orders; its orders in flight finish',
    }),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: 'send at least one field to change',
  })
  .meta({ id: 'UpdateProviderRequest' });

export const RotateSecretRequestSchema = z
  .strictObject({
    graceSeconds: graceSeconds.optional().meta({
      description:
        'how long the previous secrets stay valid (0 … 7 days); SECRET_ROTATION_GRACE_SECONDS (24 h) by default',
    }),
  })
  .meta({ id: 'RotateSecretRequest' });

export const ListProvidersQuerySchema = z.object({
  vertical: z.enum(VERTICALS).optional(),
  active: z.enum(['true', 'false']).optional(),
  needsTimeZone: z
    .literal('true')
    .optional()
    .meta({ description: 'only hotels registered without a time zone (read as UTC until set)' }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "the previous page's nextCursor" }),
});

const SecretSummarySchema = z
  .object({
    id: z.string(),
    createdAt: dateTime,
    expiresAt: dateTime
      .optional()
      .meta({ description: 'set once a rotation retires it; absent on the newest secret' }),
  })
  .meta({ id: 'ProviderSecretSummary' });

export const AdminProviderSchema = z
  .object({
    providerId: z.string(),
    vertical: z.enum(VERTICALS),
    name: z.string(),
    webhookUrl: z.string().optional(),
    confirmationTimeoutSeconds: z.number().int().optional(),
    doctorNoShowGraceSeconds: z.number().int().optional(),
    timeZone: z.string().meta({
      description: `the provider's IANA time zone; ${DEFAULT_TIME_ZONE} when it registered none`,
    }),
    needsTimeZone: z.boolean().meta({
      description: `a hotel registered before time zones were required: its stays are read in ${DEFAULT_TIME_ZONE} until an admin sets its timeZone (PATCH)`,
    }),
    checkInTime: z
      .string()
      .optional()
      .meta({ description: "hotels only: local check-in time, HH:MM in the hotel's zone" }),
    checkOutTime: z
      .string()
      .optional()
      .meta({ description: "hotels only: local check-out time, HH:MM in the hotel's zone" }),
    fallbackProviderIds: z.array(z.string()).optional(),
    active: z.boolean(),
    createdAt: dateTime,
    updatedAt: dateTime.optional(),
    secrets: z.array(SecretSummarySchema).meta({
      description:
        'the secrets valid now, newest first (never the secrets themselves): more than one while a rotation is in progress',
    }),
  })
  .meta({ id: 'AdminProvider' });
export type AdminProvider = z.infer<typeof AdminProviderSchema>;

export const ProviderWithSecretSchema = AdminProviderSchema.extend({
  signingSecret: z
    .string()
    .meta({ description: 'the new signing secret, shown this once: store it now' }),
  signingSecretId: z.string(),
}).meta({ id: 'AdminProviderWithSecret' });

export const AdminProviderListSchema = z
  .object({
    providers: z.array(AdminProviderSchema),
    nextCursor: z.string().optional().meta({ description: 'absent on the last page' }),
  })
  .meta({ id: 'AdminProviderList' });
