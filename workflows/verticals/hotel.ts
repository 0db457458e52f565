// Hotel booking: the hotel confirms with a confirmation code, the stay is captured at once
// and a voucher is issued. The guest checks in and out; the order completes at check-out,
// reported by the hotel or not.

import { hotelCheckInAt, hotelCheckInDayEndsAt, hotelCheckOutAt } from '../../domain/schedule';
import { invalidRequest } from '../errors';
import { checkWholeOrderConfirmation, type VerticalFlow } from './vertical';

export const hotel: VerticalFlow = {
  checkConfirmation(_order, decision) {
    if (decision.decision !== 'accept') return;
    const problems = checkWholeOrderConfirmation(decision, 'hotel bookings');
    if (!decision.confirmationCode) problems.push('a hotel accepts with its confirmationCode');
    if (problems.length > 0) throw invalidRequest(problems.join('; '));
  },

  evaluateConfirmation(order, decision) {
    if (decision.decision === 'reject')
      return { kind: 'rejected', reason: decision.reason ?? 'rejected by the hotel' };
    return { kind: 'accepted', captureAmount: order.amounts.total, changes: {} };
  },

  // A booking for today may be confirmed until the day ends (guests arrive late); runs from
  // before that change stopped at the check-in hour.
  confirmBefore: (order, has) =>
    has('hotel-same-day-bookings')
      ? hotelCheckInDayEndsAt(order.hotel!)
      : hotelCheckInAt(order.hotel!),

  async fulfil({ dispatch, order, dispatched, publish, waitFor, msUntil }) {
    const stay = order.current.hotel!;
    try {
      const voucher = await dispatch.issueVoucher({
        orderId: order.current.orderId,
        customerId: order.current.customerId,
        providerId: order.current.providerId,
        confirmationCode: order.current.confirmation?.confirmationCode ?? '',
        checkIn: stay.checkIn,
        checkOut: stay.checkOut,
      });
      dispatched({ dispatch: { ...order.current.dispatch, voucherCode: voucher.voucherCode } });
    } catch {
      return {
        kind: 'failed',
        failure: { code: 'voucher_failed', message: 'the booking voucher could not be issued' },
      };
    }
    await publish();
    // The stay ends at check-out whether or not the hotel reports it.
    const stayed = await waitFor(() => order.status === 'completed', {
      purpose: 'check_out_time',
      ms: msUntil(hotelCheckOutAt(stay)),
    });
    if (stayed === 'cancelled') return { kind: 'cancelled' };
    return { kind: 'completed' };
  },

  events: ['checked_in', 'checked_out'],
};
