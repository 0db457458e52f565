// Booking vouchers for hotel stays, and their sandbox: a code per order, sent to the guest.

import { recordOnce, type DispatchRecordModel } from '../models/dispatch-record';
import type { CustomerNotifier } from './customer-notifier';
import { stableCode } from './stable-hash';

export interface VoucherRequest {
  orderId: string;
  customerId: string;
  providerId: string;
  confirmationCode: string;
  checkIn: string;
  checkOut: string;
}

export interface VoucherIssuer {
  issue(request: VoucherRequest): Promise<{ voucherCode: string }>;
}

export function createSandboxVoucherIssuer(
  records: DispatchRecordModel,
  notifier: CustomerNotifier,
): VoucherIssuer {
  return {
    async issue(request) {
      const voucher = await recordOnce(records, 'voucher', request.orderId, () => ({
        voucherCode: `VCH-${stableCode(request.orderId, 10)}`,
      }));
      await notifier.send({
        orderId: request.orderId,
        customerId: request.customerId,
        kind: 'hotel_voucher',
        text: `Voucher ${voucher.voucherCode} for ${request.checkIn} to ${request.checkOut}, hotel confirmation ${request.confirmationCode}`,
      });
      return voucher;
    },
  };
}
