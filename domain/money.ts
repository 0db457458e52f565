// Money is an integer count of minor units (fen, cents) plus an ISO-4217 currency code.
// Nothing in orderflow computes money with floating point.

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

/** `formatMoney(4148, 'CNY')` → `¥41.48`; `formatMoney(4148, 'JPY')` → `¥4,148`. */
export function formatMoney(amount: number, currency: string): string {
  let formatter: Intl.NumberFormat;
  try {
    formatter = new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
      currencyDisplay: 'narrowSymbol',
    });
  } catch {
    return `${amount} ${currency} (minor units)`;
  }
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  // Intl formats a decimal string exactly (ES2023): no floating point touches the amount.
  const exact = formatter as unknown as { format(value: string): string };
  return exact.format(`${amount < 0 ? '-' : ''}${decimal}`);
}
