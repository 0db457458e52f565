// Dispatch steps: handing a confirmed order to whoever carries it out — a courier, a hotel
// voucher, a video session.

import type { Courier } from '../domain/order';
import type { VoucherRequest } from '../infra/dispatch/vouchers';
import type { VideoSessionRequest } from '../infra/dispatch/video-sessions';
import type { ActivityDeps } from './deps';

export function createDispatchActivities({
  couriers,
  vouchers,
  videoSessions,
}: Pick<ActivityDeps, 'couriers' | 'vouchers' | 'videoSessions'>) {
  return {
    async assignCourier(input: {
      orderId: string;
      pickupFrom: string;
      deliverTo: string;
    }): Promise<Courier> {
      return couriers.assign(input);
    },

    async issueVoucher(input: VoucherRequest): Promise<{ voucherCode: string }> {
      return vouchers.issue(input);
    },

    /** Opens the room and sends the patient the link. */
    async openVideoSession(input: VideoSessionRequest): Promise<{ sessionLink: string }> {
      return videoSessions.open(input);
    },
  };
}
