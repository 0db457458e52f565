import { formatMoney } from './money';

describe('formatMoney', () => {
  test.each([
    [4148, 'CNY', '¥41.48'],
    [5, 'CNY', '¥0.05'],
    [0, 'CNY', '¥0.00'],
    [135_000, 'CNY', '¥1,350.00'],
    [4148, 'JPY', '¥4,148'],
    [1234, 'KWD', 'KWD\u00a01.234'],
    [123_456_789, 'USD', '$1,234,567.89'],
    // Exact where floating point is not: 2^53 − 1 minor units.
    [Number.MAX_SAFE_INTEGER, 'CNY', '¥90,071,992,547,409.91'],
    [1234, 'not-a-currency', '1234 not-a-currency (minor units)'],
  ])('%d %s → %s', (amount, currency, expected) => {
    expect(formatMoney(amount, currency)).toBe(expected);
  });
});
