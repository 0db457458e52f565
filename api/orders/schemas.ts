// The app's own requests beyond checkout (whose request, CreateOrderRequestSchema, stays in
// api/schemas.ts beside the order it becomes). Routes validate with these and the OpenAPI
// document is generated from them.

import { z } from 'zod';
import { text } from '../schemas';

export const CancelOrderRequestSchema = z
  .object({ reason: text(500) })
  .meta({ id: 'CancelOrderRequest' });

/** The longest an app may wait for an order to change, in seconds (API.md). */
export const MAX_WAIT_SECONDS = 30;
const DEFAULT_WAIT_SECONDS = 20;

/**
 * A whole number as a query string carries it: digits only (no sign, blank or exponent).
 * Described to clients as the integer it stands for.
 */
const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().max(max))
    .meta({ type: 'integer', minimum: 0, maximum: max, pattern: undefined });

/**
 * `GET /v1/orders/:orderId`'s long poll: with `afterRevision`, the answer waits up to `wait`
 * seconds for a revision above it. `wait` alone is refused: it would wait for nothing.
 */
export const OrderWaitQuerySchema = z
  .object({
    afterRevision: wholeNumber(Number.MAX_SAFE_INTEGER).optional().meta({
      description:
        'answer once the order has a revision above this one (the `revision` last seen), or when `wait` runs out',
    }),
    wait: wholeNumber(MAX_WAIT_SECONDS)
      .optional()
      .meta({
        description: `seconds to wait for that change, at most ${MAX_WAIT_SECONDS} (default ${DEFAULT_WAIT_SECONDS}); then the answer is the order as it is`,
      }),
  })
  .refine((query) => query.wait === undefined || query.afterRevision !== undefined, {
    message: 'wait needs afterRevision',
    path: ['afterRevision'],
  })
  .transform(({ afterRevision, wait }) =>
    afterRevision === undefined
      ? undefined
      : { afterRevision, waitMs: (wait ?? DEFAULT_WAIT_SECONDS) * 1000 },
  );
