// The courier network as orderflow sees it, and its embedded sandbox: a fixed pool of
// couriers, one assignment per order however often it is asked.

import type { Courier } from '../../domain/order';
import { recordOnce, type DispatchRecordModel } from '../models/dispatch-record';
import { stableIndex } from './stable-hash';

export interface CourierNetwork {
  assign(request: { orderId: string; pickupFrom: string; deliverTo: string }): Promise<Courier>;
}

const SANDBOX_POOL: readonly Omit<Courier, 'courierId'>[] = [
  { name: 'Li Wei', phone: '+86 138 0000 0001' },
  { name: 'Zhang Min', phone: '+86 138 0000 0002' },
  { name: 'Wang Fang', phone: '+86 138 0000 0003' },
  { name: 'Chen Jie', phone: '+86 138 0000 0004' },
];

export function createSandboxCourierNetwork(records: DispatchRecordModel): CourierNetwork {
  return {
    assign: ({ orderId }) =>
      recordOnce(records, 'courier', orderId, () => {
        const index = stableIndex(orderId, SANDBOX_POOL.length);
        return { courierId: `courier_${index + 1}`, ...SANDBOX_POOL[index]! };
      }),
  };
}
