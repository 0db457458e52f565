import { slowestCheckouts } from './phase';
import { newRecord, type OrderRecord } from './record';

const withCheckout = (seq: number, checkoutMs?: number): OrderRecord => ({
  ...newRecord(seq, 'grocery', 0, 0, 0),
  ...(checkoutMs === undefined ? {} : { checkoutMs }),
});

test('the slowest checkouts are the longest first, orders without a timed checkout left out', () => {
  const records = [
    withCheckout(1, 40),
    withCheckout(2, 310),
    withCheckout(3),
    withCheckout(4, 95),
    withCheckout(5, 120),
  ];
  expect(slowestCheckouts(records, 3).map((r) => r.seq)).toEqual([2, 5, 4]);
  expect(slowestCheckouts(records, 10).map((r) => r.seq)).toEqual([2, 5, 4, 1]);
  expect(slowestCheckouts(records, 0)).toEqual([]);
  expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]); // the run's records stay in order
});
