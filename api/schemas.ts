// The schemas the features share: the order as requests carry it and as every caller sees
// it, the error shape, common parameters, and the field types they are built from. Each
// feature's own requests and answers are in its folder (orders/, providers/, support/, admin/,
// codec/); together they are the one source of truth for validation and for the OpenAPI
// document served at /openapi.json (see openapi.ts). The order's request stays here beside
// the order it becomes, read by checkout.ts.

import { z } from 'zod';
import { ORDER_STATUSES, PROVIDER_EVENT_TYPES, VERTICALS } from '../domain/order';
import { nightsBetween } from '../domain/pricing';

export const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'letters, digits and _ . : - only');
const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as CNY');
const minorUnits = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: 'integer minor units' });
export const dateTime = z.iso.datetime({ offset: true });
export const text = (max: number) => z.string().trim().min(1).max(max);

const GroceryItemSchema = z
  .object({
    sku: identifier,
    name: text(200),
    quantity: z.number().int().min(1).max(1000),
    unitPrice: minorUnits,
  })
  .meta({ id: 'GroceryItem' });

const GroceryDetailsSchema = z
  .object({
    items: z
      .array(GroceryItemSchema)
      .min(1)
      .max(200)
      .refine(
        (items) => new Set(items.map((i) => i.sku)).size === items.length,
        'each sku may appear once',
      ),
    deliveryAddress: text(500),
    deliveryWindow: z
      .object({ start: dateTime, end: dateTime })
      .refine((w) => Date.parse(w.end) > Date.parse(w.start), {
        message: 'end must be after start',
        path: ['end'],
      })
      .meta({
        description:
          'starts no earlier than 15 minutes ago and within 14 days, ends within 24 hours of its start (else 422 out_of_horizon)',
      }),
  })
  .meta({ id: 'GroceryDetails' });

const hotelRequestFields = {
  roomType: text(100),
  checkIn: z.iso.date().meta({
    description:
      "the hotel's calendar day: from today in the hotel's time zone to 365 days ahead (else 422 out_of_horizon)",
  }),
  checkOut: z.iso
    .date()
    .meta({ description: 'after checkIn, at most 30 nights later (else 422 out_of_horizon)' }),
  guests: z.number().int().min(1).max(20),
  nightlyRate: minorUnits,
};

const HotelDetailsSchema = z
  .object(hotelRequestFields)
  .refine((h) => nightsBetween(h.checkIn, h.checkOut) >= 1, {
    message: 'must be after checkIn',
    path: ['checkOut'],
  })
  .meta({ id: 'HotelDetails' });

const localInstant = (description: string) =>
  dateTime.optional().meta({ description: `${description}, with the hotel's offset` });

/** A stay as orders show it: the request's days and, on orders since hotels have time zones, its instants. */
const HotelStaySchema = z
  .object({
    ...hotelRequestFields,
    timeZone: z
      .string()
      .optional()
      .meta({ description: "the hotel's IANA time zone (absent on older orders: UTC)" }),
    checkInAt: localInstant("the check-in: the hotel's checkInTime on checkIn"),
    checkOutAt: localInstant("the check-out: the hotel's checkOutTime on checkOut"),
    checkInDayStartsAt: localInstant('the start of the check-in day'),
    checkInDayEndsAt: localInstant('the end of the check-in day'),
  })
  .meta({ id: 'HotelStay' });

const TeleconsultationDetailsSchema = z
  .object({
    specialty: text(100),
    slotStart: dateTime.meta({
      description: 'in the future and within 90 days (else 422 out_of_horizon)',
    }),
    durationMinutes: z.number().int().min(5).max(240),
    fee: minorUnits,
  })
  .meta({ id: 'TeleconsultationDetails' });

const orderBase = {
  customerId: identifier,
  providerId: identifier,
  currency: currency.default('CNY'),
  payment: z.object({ token: text(200) }),
};

/** Unknown fields (a client-computed `total`, say) are ignored: the server prices the order. */
export const CreateOrderRequestSchema = z
  .discriminatedUnion('vertical', [
    z.object({ vertical: z.literal('grocery'), ...orderBase, grocery: GroceryDetailsSchema }),
    z.object({ vertical: z.literal('hotel'), ...orderBase, hotel: HotelDetailsSchema }),
    z.object({
      vertical: z.literal('teleconsultation'),
      ...orderBase,
      teleconsultation: TeleconsultationDetailsSchema,
    }),
  ])
  .meta({ id: 'CreateOrderRequest' });
export type CreateOrderRequest = z.infer<typeof CreateOrderRequestSchema>;

export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const OrderIdParamsSchema = z.object({ orderId: identifier });
export const ProviderParamsSchema = z.object({ providerId: identifier });

export const OrderSchema = z
  .object({
    orderId: z.string(),
    vertical: z.enum(VERTICALS),
    status: z.enum(ORDER_STATUSES),
    customerId: z.string(),
    providerId: z.string(),
    placedBy: z.string().optional(),
    checkoutCallId: z
      .string()
      .optional()
      .meta({ description: 'the checkout call that started the order: `<X-Request-Id>#<nonce>`' }),
    currency,
    amounts: z.object({
      total: minorUnits,
      authorised: minorUnits,
      captured: minorUnits,
      released: minorUnits,
      refunded: minorUnits,
    }),
    grocery: GroceryDetailsSchema.extend({
      confirmedItems: z
        .array(z.object({ sku: z.string(), confirmedQuantity: z.number().int() }))
        .optional(),
    }).optional(),
    hotel: HotelStaySchema.optional(),
    teleconsultation: TeleconsultationDetailsSchema.extend({
      timeZone: z.string().optional().meta({
        description: "the clinic's IANA time zone, for showing the slot (absent on older orders)",
      }),
    }).optional(),
    confirmation: z
      .object({
        decision: z.enum(['accept', 'reject']),
        reason: z.string().optional(),
        confirmationCode: z.string().optional(),
        receivedAt: dateTime,
      })
      .optional(),
    dispatch: z.object({
      courier: z.object({ courierId: z.string(), name: z.string(), phone: z.string() }).optional(),
      voucherCode: z.string().optional(),
      sessionLink: z.string().optional(),
      events: z.array(
        z.object({ type: z.enum(PROVIDER_EVENT_TYPES), at: dateTime, receivedAt: dateTime }),
      ),
    }),
    failure: z.object({ code: z.string(), message: z.string() }).optional(),
    cancellation: z
      .object({
        reason: z.string(),
        requestedBy: z.enum(['customer', 'support']),
        requestedAt: dateTime,
        fee: minorUnits.meta({ description: 'what the provider keeps under the policy' }),
        waiveFee: z.boolean().optional(),
      })
      .optional(),
    confirmBy: dateTime.optional(),
    routing: z
      .array(
        z.object({
          providerId: z.string(),
          outcome: z.enum(['rejected', 'expired']),
          at: dateTime,
        }),
      )
      .optional()
      .meta({
        description:
          'earlier offers of a re-routed order, oldest first: the provider asked and why the order moved on',
      }),
    closedAt: dateTime.optional().meta({ description: 'when the order reached its final status' }),
    refundableUntil: dateTime
      .optional()
      .meta({ description: 'until when support may refund the closed order' }),
    createdAt: dateTime,
    updatedAt: dateTime,
    revision: z.number().int().min(1).meta({
      description:
        'grows with every change of the order; `GET /v1/orders/{orderId}?afterRevision=` waits for a higher one',
    }),
  })
  .meta({ id: 'Order' });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: 'validation_failed' }),
      message: z.string(),
      details: z.array(z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const CancellationResultSchema = z
  .object({
    order: OrderSchema,
    fee: minorUnits.meta({ description: 'kept under the cancellation policy' }),
    refunded: minorUnits.meta({ description: 'returned from the captured amount' }),
    released: minorUnits.meta({ description: 'authorised money let go without capture' }),
  })
  .meta({ id: 'CancellationResult' });

/** What cancelling now would keep and give back (the app's and support's quote). */
export const CancellationQuoteSchema = z
  .object({
    cancellable: z.boolean(),
    fee: minorUnits.meta({ description: 'what the provider would keep' }),
    refund: minorUnits.meta({ description: 'captured money that would go back' }),
    release: minorUnits.meta({ description: 'held money that would be let go' }),
    rule: z.string().optional(),
    freeUntil: dateTime.optional().meta({
      description:
        "when a free cancellation ends and the fee starts (hotel: 24 hours before check-in; consultation: 1 hour before the slot), in the hotel's or clinic's local time with its offset",
      example: '2026-12-10T14:00:00+08:00',
    }),
    reason: z.string().optional().meta({ description: 'why not, when not cancellable' }),
    quotedAt: dateTime,
  })
  .meta({ id: 'CancellationQuote' });
