// What cancelling an order now would keep and give back, from the same policy the workflow
// applies (domain/cancellation.ts), so an app or support can show it before anyone acts.
// A quote reads the read model: the workflow decides again when the cancellation arrives.
// Its `freeUntil` is told in the provider's local time, with the offset.

import { decideCancellation } from '../domain/cancellation';
import type { OrderSnapshot } from '../domain/order';
import { DEFAULT_TIME_ZONE, localIso } from '../infra/local-time';

/** Where the order's times are told: the hotel's or the clinic's zone (UTC on older orders). */
const localZoneOf = (order: OrderSnapshot) =>
  order.hotel?.timeZone ?? order.teleconsultation?.timeZone ?? DEFAULT_TIME_ZONE;

export function cancellationQuote(order: OrderSnapshot, now: Date) {
  const decision = decideCancellation(order, now);
  const quotedAt = now.toISOString();
  if (!decision.allowed)
    return { cancellable: false, fee: 0, refund: 0, release: 0, reason: decision.reason, quotedAt };
  const { authorised, captured, released, refunded } = order.amounts;
  const capturedYet = captured > 0;
  return {
    cancellable: true,
    fee: decision.fee,
    refund: capturedYet ? Math.max(0, captured - refunded - decision.fee) : 0,
    release: capturedYet ? 0 : Math.max(0, authorised - released),
    rule: decision.rule,
    ...(decision.freeUntil === undefined
      ? {}
      : { freeUntil: localIso(decision.freeUntil, localZoneOf(order)) }),
    quotedAt,
  };
}
