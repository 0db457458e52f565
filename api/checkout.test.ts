import { requestFingerprint } from './checkout';

describe('requestFingerprint', () => {
  test('ignores the order of object keys but not of array items', () => {
    expect(requestFingerprint({ a: 1, b: { c: 2, d: 3 } })).toBe(
      requestFingerprint({ b: { d: 3, c: 2 }, a: 1 }),
    );
    expect(requestFingerprint({ items: [1, 2] })).not.toBe(requestFingerprint({ items: [2, 1] }));
  });

  test('differs when any value differs', () => {
    expect(requestFingerprint({ amount: 100 })).not.toBe(requestFingerprint({ amount: 101 }));
  });
});
