// Teleconsultation: the doctor accepts the slot and the fee is captured. Ten minutes before
// the slot a durable timer opens the video session and sends the link. A doctor who has not
// started by the grace period after the slot's start (or is reported a no-show) costs the
// customer nothing: everything is refunded.

import {
  CONSULTATION_AUTO_COMPLETE_GRACE_MS,
  doctorNoShowGraceMs,
  slotEndAt,
  slotStartAt,
  VIDEO_SESSION_LEAD_MS,
} from '../../domain/schedule';
import { invalidRequest } from '../errors';
import { checkWholeOrderConfirmation, type VerticalFlow } from './vertical';

export const teleconsultation: VerticalFlow = {
  checkConfirmation(_order, decision) {
    if (decision.decision !== 'accept') return;
    const problems = checkWholeOrderConfirmation(decision, 'consultations');
    if (problems.length > 0) throw invalidRequest(problems.join('; '));
  },

  evaluateConfirmation(order, decision) {
    if (decision.decision === 'reject')
      return { kind: 'rejected', reason: decision.reason ?? 'the doctor declined the slot' };
    return { kind: 'accepted', captureAmount: order.amounts.total, changes: {} };
  },

  confirmBefore: (order) => slotStartAt(order.teleconsultation!),

  async fulfil({ input, dispatch, order, dispatched, publish, waitFor, msUntil }) {
    const consultation = order.current.teleconsultation!;
    const slotStart = slotStartAt(consultation);

    const beforeSession = await waitFor(() => false, {
      purpose: 'video_session_time',
      ms: msUntil(slotStart - VIDEO_SESSION_LEAD_MS),
    });
    if (beforeSession === 'cancelled') return { kind: 'cancelled' };
    try {
      const session = await dispatch.openVideoSession({
        orderId: order.current.orderId,
        customerId: order.current.customerId,
        providerId: order.current.providerId,
        slotStart: consultation.slotStart,
        durationMinutes: consultation.durationMinutes,
      });
      dispatched({ dispatch: { ...order.current.dispatch, sessionLink: session.sessionLink } });
    } catch {
      return {
        kind: 'failed',
        failure: { code: 'session_failed', message: 'the video session could not be opened' },
      };
    }
    await publish();

    const started = await waitFor(
      () => order.hasEvent('consultation_started') || order.hasEvent('no_show'),
      {
        purpose: 'no_show_grace',
        ms: msUntil(slotStart + doctorNoShowGraceMs(input.doctorNoShowGraceSeconds)),
      },
    );
    if (started === 'cancelled') return { kind: 'cancelled' };
    if (started === 'timeout' || order.hasEvent('no_show')) {
      return {
        kind: 'failed',
        failure: { code: 'provider_no_show', message: 'the doctor did not show up' },
      };
    }

    // A consultation nobody closes completes on its own after the slot.
    await waitFor(() => order.status === 'completed', {
      purpose: 'consultation_end',
      ms: msUntil(slotEndAt(consultation) + CONSULTATION_AUTO_COMPLETE_GRACE_MS),
    });
    return { kind: 'completed' };
  },

  events: ['consultation_started', 'consultation_completed', 'no_show'],
};
