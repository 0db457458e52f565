// Who may cancel an order when, and what the provider keeps: a pure function of the order
// and the time, called by the order workflow (the API never re-implements it).
//
//   before capture        free for every vertical: the authorisation is released
//   grocery               free until the courier has picked the order up, then not at all
//   hotel                 free until 24 h before check-in (the hotel's check-in time in its
//                         own zone); later the first night is kept; not at all once checked
//                         in (or past the check-in time)
//   teleconsultation      free until 1 h before the slot; later half the fee is kept;
//                         not at all once the consultation started or the slot began
//                         (a doctor no-show is then refunded in full by the workflow)

import type { OrderSnapshot } from './order';
import { TERMINAL_STATUSES } from './order';
import { HOURS, hotelCheckInAt, slotStartAt } from './schedule';

export type CancellationDecision =
  | {
      allowed: true;
      fee: number;
      rule: string;
      /** When a free cancellation that ends at a time ends (epoch ms): the fee applies from then. */
      freeUntil?: number;
    }
  | { allowed: false; reason: string };

const free = (rule: string, freeUntil?: number): CancellationDecision => ({
  allowed: true,
  fee: 0,
  rule,
  ...(freeUntil === undefined ? {} : { freeUntil }),
});
const refused = (reason: string): CancellationDecision => ({ allowed: false, reason });

export function decideCancellation(
  order: Readonly<OrderSnapshot>,
  now: Date,
): CancellationDecision {
  if (TERMINAL_STATUSES.has(order.status)) return refused(`the order is already ${order.status}`);
  if (order.status === 'pending_payment') return refused('the payment is still being decided');
  if (order.amounts.captured === 0) return free('not captured yet: the authorisation is released');

  const refundable = order.amounts.captured - order.amounts.refunded;
  const keep = (fee: number, rule: string): CancellationDecision => ({
    allowed: true,
    fee: Math.min(fee, refundable),
    rule,
  });
  const happened = (type: string) => order.dispatch.events.some((event) => event.type === type);
  const at = now.getTime();

  switch (order.vertical) {
    case 'grocery':
      if (happened('picked_up') || order.status === 'in_progress') {
        return refused('the courier has already picked the order up');
      }
      return free('free until the courier picks the order up');

    case 'hotel': {
      const hotel = order.hotel!;
      const checkIn = hotelCheckInAt(hotel);
      if (happened('checked_in') || order.status === 'in_progress' || at >= checkIn) {
        return refused('no cancellation after check-in');
      }
      // 24 hours as they pass, counted back from the check-in in the hotel's zone (a day with
      // a DST change in it is 23 or 25 hours long on the clock).
      const freeUntil = checkIn - HOURS(24);
      if (at < freeUntil) return free('free until 24 hours before check-in', freeUntil);
      return keep(hotel.nightlyRate, 'within 24 hours of check-in the first night is kept');
    }

    case 'teleconsultation': {
      const consultation = order.teleconsultation!;
      const slotStart = slotStartAt(consultation);
      if (happened('consultation_started') || order.status === 'in_progress') {
        return refused('no cancellation once the consultation has started');
      }
      if (at >= slotStart) {
        // A doctor who does not show up is refunded in full by the workflow, not by a cancel.
        return refused('no cancellation once the slot has begun');
      }
      if (at < slotStart - HOURS(1))
        return free('free until 1 hour before the slot', slotStart - HOURS(1));
      // Half the fee, rounded down: the rounding favours the customer.
      return keep(
        Math.floor(consultation.fee / 2),
        'within 1 hour of the slot half the fee is kept',
      );
    }
  }
}
