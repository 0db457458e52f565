// Messages to customers (voucher, video link). The sandbox keeps them in the database, once
// per order and kind, where the support console and the tests can read them.

import { recordOnce, type DispatchRecordModel } from '../models/dispatch-record';

export interface CustomerMessage {
  orderId: string;
  customerId: string;
  kind: 'hotel_voucher' | 'video_session_link';
  text: string;
}

export interface CustomerNotifier {
  send(message: CustomerMessage): Promise<void>;
}

export function createSandboxCustomerNotifier(records: DispatchRecordModel): CustomerNotifier {
  return {
    async send(message) {
      await recordOnce(records, `message:${message.kind}`, message.orderId, () => ({
        ...message,
        sentAt: new Date().toISOString(),
      }));
    },
  };
}
