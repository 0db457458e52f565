// Reading app events' deliveries with their attempts (the admin listing, support's order
// record). Written by activities/app-events.ts only.

import type { Models } from './db';
import type { AppEventAttemptDocument, AppEventDeliveryDocument } from './models/app-event';

export interface DeliveryWithAttempts extends AppEventDeliveryDocument {
  attempts: AppEventAttemptDocument[];
}

/** Each delivery with its attempts, oldest first (one query for all of them). */
export async function withAttempts(
  models: Pick<Models, 'AppEventAttempt'>,
  deliveries: readonly AppEventDeliveryDocument[],
): Promise<DeliveryWithAttempts[]> {
  const attempts = await models.AppEventAttempt.find({
    deliveryId: { $in: deliveries.map((d) => d._id) },
  })
    .sort({ at: 1 })
    .lean();
  return deliveries.map((delivery) => ({
    ...delivery,
    attempts: attempts.filter((attempt) => attempt.deliveryId === delivery._id),
  }));
}

/** A delivery as the API shows it (api/app-event-schemas.ts). */
export function deliveryView(delivery: DeliveryWithAttempts) {
  return {
    deliveryId: delivery._id,
    endpointId: delivery.endpointId,
    eventId: delivery.eventId,
    type: delivery.type,
    orderId: delivery.orderId,
    sequence: delivery.sequence,
    status: delivery.status,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
    attempts: delivery.attempts.map((attempt) => ({
      at: attempt.at.toISOString(),
      ...(attempt.httpStatus != null ? { httpStatus: attempt.httpStatus } : {}),
      ...(attempt.error != null ? { error: attempt.error } : {}),
      delivered: attempt.delivered,
      durationMs: attempt.durationMs,
    })),
  };
}
