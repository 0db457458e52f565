import {
  confirmedGroceryTotal,
  confirmGroceryLines,
  groceryTotal,
  nightsBetween,
  orderTotal,
} from './pricing';
import type { GroceryItem, OrderRequest } from './order';

const items: GroceryItem[] = [
  { sku: 'apple', name: 'Apples', quantity: 3, unitPrice: 250 },
  { sku: 'milk', name: 'Milk', quantity: 2, unitPrice: 1550 },
];

const base = { customerId: 'c', providerId: 'p', currency: 'CNY', paymentToken: 'tok_ok' };

describe('orderTotal', () => {
  test.each<[string, OrderRequest, number]>([
    [
      'grocery: sum of quantity × unit price',
      {
        ...base,
        vertical: 'grocery',
        grocery: { items, deliveryAddress: 'a', deliveryWindow: { start: '', end: '' } },
      },
      3 * 250 + 2 * 1550,
    ],
    [
      'hotel: nights × nightly rate',
      {
        ...base,
        vertical: 'hotel',
        hotel: {
          roomType: 'double',
          checkIn: '2030-03-01',
          checkOut: '2030-03-04',
          guests: 2,
          nightlyRate: 45000,
        },
      },
      3 * 45000,
    ],
    [
      'hotel across a daylight-saving change still counts whole nights',
      {
        ...base,
        vertical: 'hotel',
        hotel: {
          roomType: 'double',
          checkIn: '2030-03-30',
          checkOut: '2030-04-01',
          guests: 1,
          nightlyRate: 100,
        },
      },
      200,
    ],
    [
      'teleconsultation: the fee',
      {
        ...base,
        vertical: 'teleconsultation',
        teleconsultation: { specialty: 'derm', slotStart: '', durationMinutes: 15, fee: 9900 },
      },
      9900,
    ],
  ])('%s', (_case, order, total) => {
    expect(orderTotal(order)).toBe(total);
  });

  test('refuses totals beyond exact integer arithmetic', () => {
    expect(() =>
      groceryTotal([{ sku: 'x', name: 'x', quantity: 1000, unitPrice: Number.MAX_SAFE_INTEGER }]),
    ).toThrow(RangeError);
  });
});

describe('nightsBetween', () => {
  test.each([
    ['2030-01-01', '2030-01-02', 1],
    ['2030-01-31', '2030-02-02', 2],
    ['2030-01-02', '2030-01-01', -1],
  ])('%s → %s is %d nights', (checkIn, checkOut, nights) => {
    expect(nightsBetween(checkIn, checkOut)).toBe(nights);
  });
});

describe('grocery confirmation', () => {
  test.each([
    ['no availability list confirms everything', undefined, [3, 2], 3 * 250 + 2 * 1550],
    ['a lower quantity is taken', [{ sku: 'apple', availableQuantity: 1 }], [1, 2], 250 + 2 * 1550],
    ['a zero removes the line', [{ sku: 'milk', availableQuantity: 0 }], [3, 0], 3 * 250],
    [
      'a store cannot raise a quantity',
      [{ sku: 'apple', availableQuantity: 10 }],
      [3, 2],
      3 * 250 + 2 * 1550,
    ],
    [
      'nothing available is nothing to capture',
      [
        { sku: 'apple', availableQuantity: 0 },
        { sku: 'milk', availableQuantity: 0 },
      ],
      [0, 0],
      0,
    ],
  ])('%s', (_case, availability, quantities, capture) => {
    const lines = confirmGroceryLines(items, availability);
    expect(lines.map((l) => l.confirmedQuantity)).toEqual(quantities);
    expect(confirmedGroceryTotal(lines)).toBe(capture);
  });
});
