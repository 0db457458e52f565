// Money is an integer count of minor units (fen, cents) plus an ISO-4217 currency code.
// Nothing in orderflow computes money with floating point.

export interface Money {
  amount: number;
  currency: string;
}

export function isMinorUnits(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Multiplies a unit price by a quantity, refusing results JavaScript cannot hold exactly. */
export function multiply(unitPrice: number, quantity: number): number {
  const product = unitPrice * quantity;
  if (!Number.isSafeInteger(product)) throw new RangeError('amount exceeds the safe integer range');
  return product;
}

export function sum(amounts: readonly number[]): number {
  const total = amounts.reduce((acc, amount) => acc + amount, 0);
  if (!Number.isSafeInteger(total)) throw new RangeError('amount exceeds the safe integer range');
  return total;
}
