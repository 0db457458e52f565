// What checkout hands the order workflow: the validated request with its provider's local
// times resolved, and the provider's and the server's settings fixed into the order. Tests
// that start an order's workflow directly build the same input here.

import { confirmationTimeoutSeconds } from '../domain/deadlines';
import type { OrderRequest } from '../domain/order';
import type { ProviderDocument } from '../infra/models/provider';
import type { OrderWorkflowInput } from '../workflows/messages';
import {
  CustomerIdAttribute,
  OrderStatusAttribute,
  ProviderIdAttribute,
  VerticalAttribute,
} from '../workflows/search-attributes';
import { DEFAULT_TIME_ZONE, hotelClock, stayTimes } from '../infra/local-time';

type ProviderSettings = Pick<
  ProviderDocument,
  | 'timeZone'
  | 'checkInTime'
  | 'checkOutTime'
  | 'confirmationTimeoutSeconds'
  | 'doctorNoShowGraceSeconds'
  | 'fallbackProviderIds'
>;

/**
 * The request with its provider's time zone on it: a stay's instants in its hotel's zone (the
 * workflow and the rules read these, never a zone), a consultation's clinic zone for showing
 * its slot. Horizons are checked after this: a hotel's "today" is its own.
 */
export function withLocalTimes(request: OrderRequest, provider: ProviderSettings): OrderRequest {
  switch (request.vertical) {
    case 'hotel':
      return {
        ...request,
        hotel: { ...request.hotel, ...stayTimes(request.hotel, hotelClock(provider)) },
      };
    case 'teleconsultation':
      return {
        ...request,
        teleconsultation: {
          ...request.teleconsultation,
          timeZone: provider.timeZone ?? DEFAULT_TIME_ZONE,
        },
      };
    case 'grocery':
      return request;
  }
}

export interface OrderSettings {
  /** How long after checkout a workflow may still start authorising. */
  paymentWindowMs: number;
  /** How long checkout waits for the payment decision (absent: a caller that does not wait). */
  waitMs?: number;
  refundWindowSeconds: number;
  deliveryOverdueGraceSeconds: number;
  settlementAttentionSeconds: number;
}

export function orderWorkflowInput(order: {
  orderId: string;
  /** Validated, with its local times (withLocalTimes). */
  request: OrderRequest;
  provider: ProviderSettings;
  settings: OrderSettings;
  placedBy: string;
  checkoutCallId: string;
  now: number;
}): OrderWorkflowInput {
  const { request, provider, settings } = order;
  return {
    orderId: order.orderId,
    request,
    placedBy: order.placedBy,
    checkoutCallId: order.checkoutCallId,
    payBy: new Date(order.now + settings.paymentWindowMs).toISOString(),
    ...(settings.waitMs !== undefined
      ? { checkoutWaitsUntil: new Date(order.now + settings.waitMs / 2).toISOString() }
      : {}),
    confirmationTimeoutSeconds: confirmationTimeoutSeconds(
      request.vertical,
      provider.confirmationTimeoutSeconds,
    ),
    ...(provider.doctorNoShowGraceSeconds != null
      ? { doctorNoShowGraceSeconds: provider.doctorNoShowGraceSeconds }
      : {}),
    ...(provider.fallbackProviderIds?.length
      ? { fallbackProviderIds: provider.fallbackProviderIds }
      : {}),
    refundWindowSeconds: settings.refundWindowSeconds,
    settlementAttentionSeconds: settings.settlementAttentionSeconds,
    ...(request.vertical === 'grocery'
      ? { deliveryOverdueGraceSeconds: settings.deliveryOverdueGraceSeconds }
      : {}),
  };
}

/** The search attributes an order's workflow starts with (the workflow keeps the status current). */
export function startingSearchAttributes(request: OrderRequest) {
  return [
    { key: OrderStatusAttribute, value: 'pending_payment' },
    { key: VerticalAttribute, value: request.vertical },
    { key: ProviderIdAttribute, value: request.providerId },
    { key: CustomerIdAttribute, value: request.customerId },
  ];
}
