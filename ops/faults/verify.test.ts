import type { LedgerEntryType } from '../../infra/models/sandbox-payment';
import type { LedgerLine } from '../reconcile';
import type { ViolationKind } from './findings';
import { makePlan } from './plan';
import { checkClientView, type ClientView } from './verify';

const order = makePlan({ seed: 1, orders: 1, short: true }).orders[0]!;
const key = order.key;

const ledger = (...entries: [LedgerEntryType, number][]): LedgerLine[] =>
  entries.map(([type, amount]) => ({ type, amount }));

function view(changes: Partial<ClientView> & { accepted?: string[]; told?: string[] }) {
  const { accepted = [], told = [], ...rest } = changes;
  return checkClientView({
    records: [
      {
        order,
        acceptedOrderIds: accepted,
        nothingCharged: told.map((orderId) => ({ orderId, code: 'checkout_timeout' })),
      },
    ],
    ledgers: new Map(),
    ordersOfKey: new Map([[key, [...told, ...accepted]]]),
    documents: new Set(accepted),
    workflows: new Set(accepted),
    ...rest,
  }).map((v) => v.kind);
}

const cases: { name: string; kinds: ViolationKind[]; found: ViolationKind[] }[] = [
  {
    name: 'a timed-out attempt whose late hold was voided, then an accepted retry',
    found: view({
      told: ['o1'],
      accepted: ['o2'],
      ledgers: new Map([
        ['o1', ledger(['authorisation', 100], ['void', 100])],
        ['o2', ledger(['authorisation', 100], ['capture', 100])],
      ]),
    }),
    kinds: [],
  },
  {
    name: 'told nothing was charged, but the hold is still open',
    found: view({ told: ['o1'], ledgers: new Map([['o1', ledger(['authorisation', 100])]]) }),
    kinds: ['charged_after_nothing_charged'],
  },
  {
    name: 'told nothing was charged, but it was captured',
    found: view({
      told: ['o1'],
      ledgers: new Map([['o1', ledger(['authorisation', 100], ['capture', 100])]]),
    }),
    kinds: ['charged_after_nothing_charged'],
  },
  {
    name: 'a declined card: nothing held',
    found: view({ told: ['o1'], ledgers: new Map([['o1', ledger(['decline', 100])]]) }),
    kinds: [],
  },
  {
    name: 'an accepted order with no document',
    found: view({
      accepted: ['o2'],
      documents: new Set(),
      ledgers: new Map([['o2', ledger(['authorisation', 100])]]),
    }),
    kinds: ['accepted_order_missing'],
  },
  {
    name: 'an accepted order with no authorisation',
    found: view({ accepted: ['o2'] }),
    kinds: ['accepted_order_missing'],
  },
  {
    name: 'two authorisations on one order',
    found: view({
      accepted: ['o2'],
      ledgers: new Map([['o2', ledger(['authorisation', 100], ['authorisation', 100])]]),
    }),
    kinds: ['two_authorisations', 'accepted_order_missing'],
  },
  {
    name: 'one key that took money on two orders',
    found: view({
      accepted: ['o2'],
      ordersOfKey: new Map([[key, ['o1', 'o2']]]),
      ledgers: new Map([
        ['o1', ledger(['authorisation', 100], ['capture', 100])],
        ['o2', ledger(['authorisation', 100], ['capture', 100])],
      ]),
    }),
    kinds: ['key_charged_twice'],
  },
];

describe("the clients' view held against the books", () => {
  it.each(cases)('$name', ({ found, kinds }) => {
    expect(found.sort()).toEqual([...kinds].sort());
  });
});
