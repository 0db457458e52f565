// Video sessions for teleconsultations, and their sandbox: one room per order, its link
// sent to the patient when the session opens.

import { recordOnce, type DispatchRecordModel } from '../models/dispatch-record';
import type { CustomerNotifier } from './customer-notifier';
import { stableCode } from './stable-hash';

export interface VideoSessionRequest {
  orderId: string;
  customerId: string;
  providerId: string;
  slotStart: string;
  durationMinutes: number;
}

export interface VideoSessions {
  open(request: VideoSessionRequest): Promise<{ sessionLink: string }>;
}

export function createSandboxVideoSessions(
  records: DispatchRecordModel,
  notifier: CustomerNotifier,
): VideoSessions {
  return {
    async open(request) {
      const session = await recordOnce(records, 'video_session', request.orderId, () => ({
        sessionLink: `https://video.sandbox.orderflow.invalid/rooms/${stableCode(request.orderId, 16).toLowerCase()}`,
      }));
      await notifier.send({
        orderId: request.orderId,
        customerId: request.customerId,
        kind: 'video_session_link',
        text: `Your consultation at ${request.slotStart} (${request.durationMinutes} min): ${session.sessionLink}`,
      });
      return session;
    },
  };
}
