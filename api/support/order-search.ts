// Support's order search: filters to a database query, newest first, with an opaque cursor
// that stays stable while new orders arrive (they sort before any page already read).

import type { z } from 'zod';
import type { Attention, OrderSnapshot } from '../../domain/order';
import { ApiError } from '../errors';
import type { SupportOrdersQuerySchema } from './order-schemas';

type SearchQuery = z.infer<typeof SupportOrdersQuerySchema>;

/** An order whose payment is still undecided this long after checkout is stuck. */
const PAYMENT_STUCK_MS = 10 * 60_000;

interface CursorPosition {
  createdAt: string;
  orderId: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.orderId])).toString('base64url');
}

function decodeCursor(cursor: string): CursorPosition {
  try {
    const [createdAt, orderId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof createdAt === 'string' && typeof orderId === 'string') return { createdAt, orderId };
  } catch {
    // fall through
  }
  throw new ApiError(422, 'validation_failed', 'the request is not valid', [
    { path: 'cursor', message: 'not a cursor this API gave out' },
  ]);
}

/** The database filter for a search; `now` dates the "stuck payment" rule. */
export function searchFilter(query: SearchQuery, now: Date): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  if (query.status) and.push({ status: query.status });
  if (query.vertical) and.push({ vertical: query.vertical });
  // A re-routed order is found under every provider it was offered to.
  if (query.providerId)
    and.push({
      $or: [{ providerId: query.providerId }, { 'routing.providerId': query.providerId }],
    });
  if (query.customerId) and.push({ customerId: query.customerId });
  // Stored timestamps are ISO strings from toISOString(), which sort as they compare.
  if (query.createdFrom)
    and.push({ createdAt: { $gte: new Date(query.createdFrom).toISOString() } });
  if (query.createdTo) and.push({ createdAt: { $lt: new Date(query.createdTo).toISOString() } });
  if (query.needsAttention === 'true') {
    and.push({
      $or: [
        { attention: { $exists: true } },
        {
          status: 'pending_payment',
          createdAt: { $lt: new Date(now.getTime() - PAYMENT_STUCK_MS).toISOString() },
        },
      ],
    });
  } else if (query.needsAttention === 'false') {
    and.push({ attention: { $exists: false } });
  }
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    and.push({
      $or: [
        { createdAt: { $lt: after.createdAt } },
        { createdAt: after.createdAt, _id: { $lt: after.orderId } },
      ],
    });
  }
  return and.length === 0 ? {} : and.length === 1 ? and[0]! : { $and: and };
}

export const SEARCH_SORT = { createdAt: -1, _id: -1 } as const;

/** Why the order needs a person, as the workflow said or as the search rule sees it. */
export function attentionOf(order: OrderSnapshot, now: Date): Attention | undefined {
  if (order.attention) return order.attention;
  if (
    order.status === 'pending_payment' &&
    Date.parse(order.createdAt) < now.getTime() - PAYMENT_STUCK_MS
  ) {
    return {
      code: 'payment_stuck',
      reason: 'the payment has been undecided for more than 10 minutes: are the workers running?',
      since: new Date(Date.parse(order.createdAt) + PAYMENT_STUCK_MS).toISOString(),
    };
  }
  return undefined;
}
