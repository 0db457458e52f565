// The courier network as orderflow sees it, and its embedded sandbox: a fixed pool of
// couriers, one assignment per order however often it is asked.

import { createHash } from 'node:crypto';
import { isDuplicateKeyError, type Models } from '../db';
import type { Courier } from '../../domain/order';

export interface CourierNetwork {
  assign(request: { orderId: string; pickupFrom: string; deliverTo: string }): Promise<Courier>;
}

const SANDBOX_POOL: readonly Omit<Courier, 'courierId'>[] = [
  { name: 'Li Wei', phone: '+86 138 0000 0001' },
  { name: 'Zhang Min', phone: '+86 138 0000 0002' },
  { name: 'Wang Fang', phone: '+86 138 0000 0003' },
  { name: 'Chen Jie', phone: '+86 138 0000 0004' },
];

export function createSandboxCourierNetwork(
  models: Pick<Models, 'CourierAssignment'>,
  clock: () => Date = () => new Date(),
): CourierNetwork {
  const { CourierAssignment } = models;
  return {
    async assign({ orderId }) {
      const existing = await CourierAssignment.findById(orderId).lean();
      if (existing)
        return { courierId: existing.courierId, name: existing.name, phone: existing.phone };
      const index =
        createHash('sha256').update(orderId).digest().readUInt32BE(0) % SANDBOX_POOL.length;
      const courier: Courier = { courierId: `courier_${index + 1}`, ...SANDBOX_POOL[index]! };
      try {
        await CourierAssignment.create({ _id: orderId, ...courier, assignedAt: clock() });
        return courier;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const winner = await CourierAssignment.findById(orderId).lean();
        if (!winner) throw error;
        return { courierId: winner.courierId, name: winner.name, phone: winner.phone };
      }
    },
  };
}
