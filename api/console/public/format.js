// Money and time for people. Amounts are integer minor units with a currency: shown as
// "¥41.48" and read back from "12.99" with string arithmetic only, never a float.

function currencyFormatter(currency) {
  try {
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
      currencyDisplay: 'narrowSymbol',
    });
  } catch {
    return undefined;
  }
}

/** How many minor-unit digits the currency has: 2 for CNY, 0 for JPY. */
function fractionDigits(currency) {
  return currencyFormatter(currency)?.resolvedOptions().maximumFractionDigits ?? 2;
}

/** `formatMoney(4148, 'CNY')` → `¥41.48`. */
export function formatMoney(amount, currency) {
  if (!Number.isSafeInteger(amount)) return '—';
  const formatter = currencyFormatter(currency);
  if (!formatter) return `${amount} ${currency} (minor units)`;
  const digits = formatter.resolvedOptions().maximumFractionDigits;
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const decimal = digits === 0 ? units : `${units.slice(0, -digits)}.${units.slice(-digits)}`;
  // Intl formats a decimal string exactly: the amount never becomes a float.
  return formatter.format(`${amount < 0 ? '-' : ''}${decimal}`);
}

/** `parseAmount('12.99', 'CNY')` → 1299; throws an Error saying what is wrong. */
export function parseAmount(text, currency) {
  const digits = fractionDigits(currency);
  const match = /^(\d+)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!match) throw new Error(`Type the amount in ${currency} like 12.99.`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > digits) {
    throw new Error(`${currency} amounts have at most ${digits} decimal places.`);
  }
  const minor = Number(`${whole}${fraction.padEnd(digits, '0')}`);
  if (!Number.isSafeInteger(minor)) throw new Error('That amount is too large.');
  if (minor <= 0) throw new Error('The amount must be more than zero.');
  return minor;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** `25 Nov 2026, 14:57:49` in the reader's time zone and language. */
export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? '') : dateTime.format(date);
}

/**
 * `10 Dec 2026, 14:00 GMT+8`: the time where it happens (a hotel's or a clinic's zone), with
 * that zone's offset; the reader's own zone when the order names none (older orders).
 */
export function formatLocalTime(iso, timeZone) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()) || !timeZone) return formatTime(iso);
  try {
    return new Intl.DateTimeFormat(undefined, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
      timeZoneName: 'shortOffset',
    }).format(date);
  } catch {
    return formatTime(iso); // a zone this browser does not know
  }
}

/** `item_missing` → `item missing`. */
export function words(value) {
  return String(value ?? '').replace(/_/g, ' ');
}
