import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import type { OrderSnapshot, OrderStatus, RefundRecord } from '../domain/order';
import type { LedgerEntryType } from '../infra/models/sandbox-payment';
import {
  exitCodeOf,
  findBreaches,
  formatReport,
  openTimers,
  summarise,
  type BreachKind,
  type OrderEvidence,
  type WorkflowEvidence,
} from './reconcile';

const TOTAL = 4148;

function order(status: OrderStatus, changes: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    orderId: 'ord_1',
    vertical: 'grocery',
    status,
    customerId: 'cust_1',
    providerId: 'store-1',
    currency: 'CNY',
    amounts: { total: TOTAL, authorised: 0, captured: 0, released: 0, refunded: 0 },
    dispatch: { events: [] },
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    revision: 7,
    ...changes,
  };
}

const amounts = (changes: Partial<OrderSnapshot['amounts']>) => ({
  amounts: { total: TOTAL, authorised: 0, captured: 0, released: 0, refunded: 0, ...changes },
});

const ledger = (...entries: [LedgerEntryType, number][]) =>
  entries.map(([type, amount]) => ({ type, amount }));

type FoundWorkflow = Extract<WorkflowEvidence, { found: true }>;

/** A running workflow that has `waiting` to wake it up (a timer unless said otherwise). */
function running(orderStatus: OrderStatus, waiting: Partial<FoundWorkflow> = {}): FoundWorkflow {
  return {
    found: true,
    status: 'RUNNING',
    orderStatus,
    pendingActivities: 0,
    pendingChildren: 0,
    pendingWorkflowTask: false,
    openTimers: 1,
    ...waiting,
  };
}

const idle = { openTimers: 0 };

function completed(result: OrderSnapshot): WorkflowEvidence {
  return {
    found: true,
    status: 'COMPLETED',
    result,
    pendingActivities: 0,
    pendingChildren: 0,
    pendingWorkflowTask: false,
  };
}

const refund = (amount: number, status: RefundRecord['status']): RefundRecord => ({
  refundId: `r-${amount}`,
  amount,
  reason: 'goodwill',
  requestedBy: { name: 'support', role: 'support' },
  status,
  requestedAt: '2030-01-01T00:00:00.000Z',
});

const declined = order('payment_declined', {
  failure: { code: 'checkout_timeout', message: 'nothing was charged' },
  ...amounts({ authorised: TOTAL, released: TOTAL }),
});
const expired = order('expired', amounts({ authorised: TOTAL, released: TOTAL }));
const cancelledAfterCapture = order('cancelled', amounts({ authorised: TOTAL, captured: TOTAL }));
const completedOrder = order('completed', amounts({ authorised: TOTAL, captured: TOTAL }));

interface Case {
  name: string;
  evidence: Omit<OrderEvidence, 'orderId'>;
  breaches: BreachKind[];
}

const legitimate: Case[] = [
  {
    name: 'a completed order whose document matches its result',
    evidence: {
      document: completedOrder,
      workflow: completed(completedOrder),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a hold while awaiting the provider (deadline timer)',
    evidence: {
      document: order('awaiting_confirmation'),
      workflow: running('awaiting_confirmation'),
      ledger: ledger(['authorisation', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a completed order in its refund window: workflow running with a timer',
    evidence: {
      document: completedOrder,
      workflow: running('completed'),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL], ['refund', 1000]),
    },
    breaches: [],
  },
  {
    name: 'a support refund at the gateway (activity pending)',
    evidence: {
      document: order('dispatching', { refunds: [refund(1000, 'refunding')] }),
      workflow: running('dispatching', { openTimers: undefined, pendingActivities: 1 }),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'payment declined after checkout gave up: the late hold was voided',
    evidence: {
      document: declined,
      workflow: completed(declined),
      ledger: ledger(['authorisation', TOTAL], ['void', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a declined card: nothing held',
    evidence: {
      document: order('payment_declined'),
      workflow: completed(order('payment_declined')),
      ledger: ledger(['decline', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a late cancellation keeps its fee',
    evidence: {
      document: order('cancelled', {
        cancellation: {
          reason: 'x',
          requestedBy: 'customer',
          requestedAt: '2030-01-01T00:00:00.000Z',
          fee: 1000,
        },
      }),
      workflow: running('cancelled'),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL], ['refund', TOTAL - 1000]),
    },
    breaches: [],
  },
  {
    name: 'a cancelled order whose support refund waits for an admin',
    evidence: {
      document: order('cancelled', { refunds: [refund(1000, 'pending_approval')] }),
      workflow: running('cancelled'),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL], ['refund', TOTAL - 1000]),
    },
    breaches: [],
  },
  {
    name: 'a grocery order out for delivery waits for the store without a timer',
    evidence: {
      document: order('in_progress'),
      workflow: running('in_progress', idle),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a workflow with a workflow task pending is about to act',
    evidence: {
      document: order('confirmed'),
      workflow: running('confirmed', { openTimers: undefined, pendingWorkflowTask: true }),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a workflow whose history grew while it was read is moving',
    evidence: {
      document: order('confirmed'),
      workflow: running('confirmed', { openTimers: 0, movedWhileRead: true }),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a closed order past the namespace retention: only its document is left',
    evidence: {
      document: expired,
      workflow: { found: false },
      ledger: ledger(['authorisation', TOTAL], ['void', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'the document lags a running workflow: only closed workflows are compared',
    evidence: {
      document: order('awaiting_confirmation', { revision: 3 }),
      workflow: running('cancelled', { pendingActivities: 1 }),
      ledger: ledger(['authorisation', TOTAL], ['void', TOTAL]),
    },
    breaches: [],
  },
  {
    name: 'a running workflow without a document yet (payment in flight)',
    evidence: {
      document: null,
      workflow: running('pending_payment', { openTimers: undefined, pendingActivities: 1 }),
      ledger: [],
    },
    breaches: [],
  },
];

const breaching: Case[] = [
  {
    name: 'two authorisations',
    evidence: {
      document: order('awaiting_confirmation'),
      workflow: running('awaiting_confirmation'),
      ledger: ledger(['authorisation', TOTAL], ['authorisation', TOTAL]),
    },
    breaches: ['multiple_authorisations'],
  },
  {
    name: 'more captured than authorised',
    evidence: {
      document: order('dispatching'),
      workflow: running('dispatching'),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL + 1]),
    },
    breaches: ['captured_exceeds_authorised'],
  },
  {
    name: 'more refunded than captured',
    evidence: {
      document: completedOrder,
      workflow: running('completed'),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL], ['refund', TOTAL + 1]),
    },
    breaches: ['refunded_exceeds_captured'],
  },
  {
    name: 'a hold left on an expired order',
    evidence: {
      document: expired,
      workflow: completed(expired),
      ledger: ledger(['authorisation', TOTAL]),
    },
    breaches: ['hold_open_on_closed_order'],
  },
  {
    name: 'a partial capture whose rest was never released, on a completed order',
    evidence: {
      document: completedOrder,
      workflow: completed(completedOrder),
      ledger: ledger(['authorisation', TOTAL], ['capture', 2849]),
    },
    breaches: ['hold_open_on_closed_order'],
  },
  {
    name: 'a cancelled order that kept what it captured',
    evidence: {
      document: cancelledAfterCapture,
      workflow: completed(cancelledAfterCapture),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: ['unserved_capture_not_refunded'],
  },
  {
    name: 'a cancelled order whose held-back support refund was then declined',
    evidence: {
      document: order('cancelled', { refunds: [refund(1000, 'declined')] }),
      workflow: running('cancelled'),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL], ['refund', TOTAL - 1000]),
    },
    breaches: ['unserved_capture_not_refunded'],
  },
  {
    name: 'a document whose status disagrees with the closed workflow',
    evidence: {
      document: { ...declined, status: 'completed' },
      workflow: completed(declined),
      ledger: ledger(['authorisation', TOTAL], ['void', TOTAL]),
    },
    breaches: ['document_disagrees_with_workflow'],
  },
  {
    name: 'a stale document of a closed workflow',
    evidence: {
      document: { ...expired, revision: 5 },
      workflow: completed(expired),
      ledger: ledger(['authorisation', TOTAL], ['void', TOTAL]),
    },
    breaches: ['document_disagrees_with_workflow'],
  },
  {
    name: 'a closed workflow without a document',
    evidence: {
      document: null,
      workflow: completed(expired),
      ledger: ledger(['authorisation', TOTAL], ['void', TOTAL]),
    },
    breaches: ['document_disagrees_with_workflow'],
  },
  {
    name: 'a hotel stay with no timer and nothing pending',
    evidence: {
      document: order('dispatching', { vertical: 'hotel' }),
      workflow: running('dispatching', idle),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: ['stuck_workflow'],
  },
  {
    name: 'an order awaiting the provider whose deadline timer is gone',
    evidence: {
      document: order('awaiting_confirmation'),
      workflow: running('awaiting_confirmation', idle),
      ledger: ledger(['authorisation', TOTAL]),
    },
    breaches: ['stuck_workflow'],
  },
  {
    name: 'a closed order whose workflow neither ends nor waits for anything',
    evidence: {
      document: completedOrder,
      workflow: running('completed', idle),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: ['stuck_workflow'],
  },
  {
    name: 'a workflow terminated while it held money',
    evidence: {
      document: order('awaiting_confirmation'),
      workflow: { ...running('awaiting_confirmation'), status: 'TERMINATED' },
      ledger: ledger(['authorisation', TOTAL]),
    },
    breaches: ['hold_open_on_closed_order', 'workflow_ended_abnormally'],
  },
  {
    name: 'an open order whose workflow Temporal does not know',
    evidence: {
      document: order('dispatching'),
      workflow: { found: false },
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL]),
    },
    breaches: ['workflow_missing'],
  },
];

describe('findBreaches', () => {
  test.each([...legitimate, ...breaching])('$name', ({ evidence, breaches }) => {
    const found = findBreaches({ orderId: 'ord_1', ...evidence });
    expect(found.map((b) => b.kind).sort()).toEqual([...breaches].sort());
    for (const breach of found) {
      expect(breach.orderId).toBe('ord_1');
      expect(breach.detail).not.toBe('');
    }
  });

  test('the detail says how much and why', () => {
    const [breach] = findBreaches({
      orderId: 'ord_1',
      document: cancelledAfterCapture,
      workflow: completed(cancelledAfterCapture),
      ledger: ledger(['authorisation', TOTAL], ['capture', TOTAL], ['refund', 1000]),
    });
    expect(breach!.detail).toBe(
      '3148 kept on a cancelled order (captured 4148, refunded 1000, fee 0, refunds in progress 0)',
    );
  });
});

type Event = proto.api.history.v1.IHistoryEvent;
const event = (fields: object): Event => proto.api.history.v1.HistoryEvent.fromObject(fields);
const timerStarted = (eventId: number) =>
  event({ eventId, timerStartedEventAttributes: { timerId: String(eventId) } });
const timerFired = (eventId: number, startedEventId: number) =>
  event({ eventId, timerFiredEventAttributes: { startedEventId } });
const timerCanceled = (eventId: number, startedEventId: number) =>
  event({ eventId, timerCanceledEventAttributes: { startedEventId } });

describe('openTimers', () => {
  test.each<{ name: string; events: Event[]; open: number }>([
    { name: 'no timers', events: [], open: 0 },
    { name: 'one started', events: [timerStarted(5)], open: 1 },
    { name: 'started then fired', events: [timerStarted(5), timerFired(9, 5)], open: 0 },
    { name: 'started then cancelled', events: [timerStarted(5), timerCanceled(9, 5)], open: 0 },
    {
      name: 'one of two fired',
      events: [timerStarted(5), timerStarted(6), timerFired(9, 6)],
      open: 1,
    },
  ])('$name: $open open', ({ events, open }) => {
    expect(openTimers(events)).toBe(open);
  });

  test('recorded order histories: a timer is open from its start; none is left at the close', () => {
    const dir = path.resolve(__dirname, '../test/histories');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
      file.endsWith('.json'),
    );
    expect(files.length).toBeGreaterThan(0);
    let withTimers = 0;
    for (const file of files) {
      const json: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      const { events } = proto.api.history.v1.History.fromObject(json as object);
      expect(openTimers(events)).toBe(0); // recorded once the workflow had closed
      const firstTimer = events.findIndex((e) => e.timerStartedEventAttributes);
      if (firstTimer < 0) continue;
      withTimers += 1;
      expect(openTimers(events.slice(0, firstTimer + 1))).toBe(1);
    }
    expect(withTimers).toBeGreaterThan(0);
  });
});

describe('the report', () => {
  const breaches = findBreaches({
    orderId: 'ord_9',
    document: expired,
    workflow: completed(expired),
    ledger: ledger(['authorisation', TOTAL]),
  });

  test('counts breaches by kind and exits 1 on any', () => {
    const report = summarise('2030-01-01T00:00:00.000Z', 3, breaches, []);
    expect(report.breachesByKind.hold_open_on_closed_order).toBe(1);
    expect(report.breachesByKind.stuck_workflow).toBe(0);
    expect(exitCodeOf(report)).toBe(1);
  });

  test('exits 0 when everything was checked and is clean, 2 when some order could not be', () => {
    expect(exitCodeOf(summarise('t', 3, [], []))).toBe(0);
    expect(exitCodeOf(summarise('t', 2, [], [{ orderId: 'ord_2', error: 'timeout' }]))).toBe(2);
  });

  test('a summary table, then one line per breach and per order not checked', () => {
    const text = formatReport(
      summarise('2030-01-01T00:00:00.000Z', 3, breaches, [{ orderId: 'ord_2', error: 'timeout' }]),
    );
    expect(text).toMatch(/^orders checked +3$/m);
    expect(text).toMatch(/^could not check +1$/m);
    expect(text).toMatch(/^ {2}hold_open_on_closed_order +1$/m);
    expect(text).toMatch(/^ {2}multiple_authorisations +0$/m);
    expect(text).toContain(
      'BREACH ord_9 hold_open_on_closed_order 4148 still held (authorised 4148, captured 0, released 0) on a closed order (expired, workflow COMPLETED)',
    );
    expect(text).toContain('UNCHECKED ord_2 timeout');
  });
});
