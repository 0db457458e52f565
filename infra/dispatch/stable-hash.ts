// Deterministic picks and codes derived from an order id, for the sandbox services.

import { createHash } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function stableIndex(value: string, size: number): number {
  return digest(value).readUInt32BE(0) % size;
}

export function stableCode(value: string, length: number): string {
  return digest(value).toString('hex').slice(0, length).toUpperCase();
}
