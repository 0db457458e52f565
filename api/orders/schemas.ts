// The app's own requests beyond checkout (whose request, CreateOrderRequestSchema, stays in
// api/schemas.ts beside the order it becomes). Routes validate with these and the OpenAPI
// document is generated from them.

import { z } from 'zod';
import { text } from '../schemas';

export const CancelOrderRequestSchema = z
  .object({ reason: text(500) })
  .meta({ id: 'CancelOrderRequest' });
