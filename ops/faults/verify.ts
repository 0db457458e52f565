// The end of a run: wait (bounded) until every order has settled, run the reconciler over
// the database and Temporal, and check what the clients were told against the ledger:
// "nothing was charged" means no capture and no hold, a 201 names an order that exists and
// holds one authorisation, and one Idempotency-Key never takes money twice.
//
// An order exists when a read by id finds it (its publications). The listing may lag it: a
// killed worker loses the copies it had queued, and the workers' repair sweep writes them
// only once their minute has settled, minutes after a short run ends. So the listing is
// checked by mending it as that sweep would, over the run's minutes, and then finding every
// order listed at its newest publication.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Models } from '../../infra/db';
import { attemptOrderId } from '../../infra/models/idempotency';
import { repairListing } from '../../infra/listing-repair';
import type { PaymentGateway } from '../../infra/payments/gateway';
import { readPublishedOrder } from '../../infra/read-model';
import { unixMinute } from '../../infra/models/order-publication';
import { orderWorkflowId } from '../../workflows/messages';
import { OrderStatusAttribute } from '../../workflows/search-attributes';
import { ledgerTotals, type LedgerLine, type ReconcileReport } from '../reconcile';
import { reconcile } from '../reconcile-runner';
import type { CheckoutRecord } from './clients';
import { bump, type Tally, type Violation } from './findings';

export interface VerifyDeps {
  temporal: Client;
  models: Models;
  gateway: Pick<PaymentGateway, 'ledger'>;
  /** The run's task queues: its single one, or its per-vertical ones (infra/task-queues.ts). */
  taskQueues: readonly string[];
}

const ORDER_WORKFLOWS = (taskQueues: readonly string[]) =>
  `WorkflowType="orderWorkflow" AND TaskQueue IN (${taskQueues.map((queue) => JSON.stringify(queue)).join(', ')})`;

/** Waits until no order workflow runs any more, or `timeoutMs`; says what still runs. */
export async function waitUntilSettled(
  deps: VerifyDeps,
  timeoutMs: number,
  onProgress: (running: number) => void,
): Promise<{ settled: boolean; waitedMs: number; stillOpen: Tally }> {
  const started = Date.now();
  const query = `${ORDER_WORKFLOWS(deps.taskQueues)} AND ExecutionStatus="Running"`;
  let lastReported = -1;
  for (;;) {
    let running: number | undefined;
    try {
      running = (await deps.temporal.workflow.count(query)).count;
    } catch {
      running = undefined; // Temporal still coming back: ask again
    }
    if (running === 0) return { settled: true, waitedMs: Date.now() - started, stillOpen: {} };
    if (running !== undefined && running !== lastReported) {
      onProgress(running);
      lastReported = running;
    }
    if (Date.now() - started > timeoutMs) break;
    await sleep(1000);
  }
  const stillOpen: Tally = {};
  for await (const workflow of deps.temporal.workflow.list({ query })) {
    bump(stillOpen, workflow.typedSearchAttributes.get(OrderStatusAttribute) ?? 'unknown');
  }
  return { settled: false, waitedMs: Date.now() - started, stillOpen };
}

export interface Census {
  /** Orders as a read by id answers them, by status, and by vertical and status. */
  byStatus: Tally;
  byVertical: Record<string, Tally>;
  /** Order workflows by execution status. */
  workflows: Tally;
}

export interface Verification {
  reconciliation: ReconcileReport;
  census: Census;
  violations: Omit<Violation, 'atMs'>[];
  /** How much of the clients' view was checked. */
  checked: ClientViewChecked;
  /** Every order's status as a read by id answers it. */
  statuses: ReadonlyMap<string, string>;
}

export interface ClientViewChecked {
  /** Orders a client was told charged nothing (503 checkout_timeout…, 402). */
  toldNothingCharged: number;
  /** Orders a client was answered 201 for. */
  accepted: number;
  /** Idempotency-Keys, and the orders they placed (first ones and retries). */
  keys: number;
  ordersOfKeys: number;
  /** Orders with a ledger. */
  ledgers: number;
  /** Orders whose listing copy was missing or behind their newest publication at the end. */
  listingBehind: number;
  /** Of those, how many one repair sweep over the run's minutes left behind. */
  listingStillBehind: number;
}

/** Reconciles every order, then checks the clients' view against the books. */
export async function verify(
  deps: VerifyDeps,
  records: readonly CheckoutRecord[],
  appClientName: string,
  /** When the run started: the listing is mended from that minute on. */
  runStarted: Date,
): Promise<Verification> {
  const reconciliation = await reconcile(deps);

  const published = await readEveryOrder(deps.models);
  const census: Census = { byStatus: {}, byVertical: {}, workflows: {} };
  for (const { order } of published.values()) {
    bump(census.byStatus, order.status);
    bump((census.byVertical[order.vertical] ??= {}), order.status);
  }
  const listingBehind = await ordersListedBehind(deps.models, published);
  if (listingBehind.length > 0)
    await repairListing(deps.models, { from: unixMinute(runStarted), to: unixMinute(new Date()) });
  const listingStillBehind = await ordersListedBehind(deps.models, published);
  const workflows = new Set<string>();
  for await (const workflow of deps.temporal.workflow.list({
    query: ORDER_WORKFLOWS(deps.taskQueues),
  })) {
    workflows.add(workflow.workflowId);
    bump(census.workflows, workflow.status.name);
  }

  const paid = (await deps.models.SandboxPayment.distinct('orderId')) as string[];
  const ledgers = new Map<string, LedgerLine[]>();
  for (const orderId of paid) {
    const ledger = await deps.gateway.ledger(orderId);
    ledgers.set(
      orderId,
      ledger.map(({ type, amount }) => ({ type, amount })),
    );
  }

  // Every order each key placed: its first order and those derived after "try again".
  const keyRecords = await deps.models.IdempotencyRecord.find({
    _id: { $in: records.map((r) => `${appClientName}:${r.order.key}`) },
  }).lean();
  const firstOrderOfKey = new Map(
    keyRecords.map((record) => [record._id.slice(appClientName.length + 1), record.orderId]),
  );
  const known = new Set([...ledgers.keys(), ...published.keys()]);
  const ordersOfKey = new Map<string, string[]>();
  for (const [key, first] of firstOrderOfKey) {
    const ids: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const orderId = attemptOrderId(first, attempt);
      if (known.has(orderId) || workflows.has(orderWorkflowId(orderId))) ids.push(orderId);
    }
    ordersOfKey.set(key, ids);
  }

  const violations = checkClientView({
    records,
    ledgers,
    ordersOfKey,
    documents: new Set(published.keys()),
    workflows: new Set([...workflows].map((id) => id.slice(orderWorkflowId('').length))),
  });
  if (reconciliation.failures.length > 0)
    violations.push({
      kind: 'reconcile_unchecked',
      detail: `${reconciliation.failures.length} orders could not be checked: ${reconciliation.failures
        .slice(0, 3)
        .map((f) => `${f.orderId} (${f.error})`)
        .join('; ')}`,
    });
  const checked: ClientViewChecked = {
    toldNothingCharged: new Set(records.flatMap((r) => r.nothingCharged.map((n) => n.orderId)))
      .size,
    accepted: new Set(records.flatMap((r) => r.acceptedOrderIds)).size,
    keys: ordersOfKey.size,
    ordersOfKeys: [...ordersOfKey.values()].reduce((sum, ids) => sum + ids.length, 0),
    ledgers: ledgers.size,
    listingBehind: listingBehind.length,
    listingStillBehind: listingStillBehind.length,
  };
  for (const orderId of listingStillBehind)
    violations.push({
      kind: 'listing_not_mended',
      orderId,
      detail: 'its listing copy is missing or behind its newest publication after a repair sweep',
    });
  const statuses = new Map([...published].map(([orderId, { order }]) => [orderId, order.status]));
  return { reconciliation, census, violations, checked, statuses };
}

type Published = Map<string, { order: { status: string; vertical: string }; publications: number }>;

/** Every order a read by id finds (listed or only published), as that read answers it. */
async function readEveryOrder(models: Models): Promise<Published> {
  const listed = (await models.Order.distinct('_id')) as string[];
  const publishedIds = (await models.OrderPublication.distinct('orderId')) as string[];
  const published: Published = new Map();
  for (const orderId of new Set([...listed, ...publishedIds])) {
    const found = await readPublishedOrder(models, orderId);
    if (found) published.set(orderId, found);
  }
  return published;
}

/** The orders whose listing copy is missing or older than their newest publication. */
async function ordersListedBehind(models: Models, published: Published): Promise<string[]> {
  const copies = await models.Order.find({})
    .select({ _id: 1, publication: 1 })
    .lean<{ _id: string; publication?: number }[]>();
  const copied = new Map(copies.map((copy) => [copy._id, copy.publication ?? 0]));
  return [...published]
    .filter(([orderId, { publications }]) => {
      const copy = copied.get(orderId);
      return copy === undefined || copy < publications;
    })
    .map(([orderId]) => orderId);
}

export interface ClientView {
  records: readonly Pick<CheckoutRecord, 'order' | 'acceptedOrderIds' | 'nothingCharged'>[];
  /** Ledger lines per order id (orders absent here have none). */
  ledgers: ReadonlyMap<string, readonly LedgerLine[]>;
  /** Per Idempotency-Key, every order it placed. */
  ordersOfKey: ReadonlyMap<string, readonly string[]>;
  /** Order ids with a document, and with a workflow. */
  documents: ReadonlySet<string>;
  workflows: ReadonlySet<string>;
}

/** What the clients were told, held against the books. Pure. */
export function checkClientView(view: ClientView): Omit<Violation, 'atMs'>[] {
  const violations: Omit<Violation, 'atMs'>[] = [];
  const totalsOf = (orderId: string) => ledgerTotals(view.ledgers.get(orderId) ?? []);
  /** Money the order took from the customer: captured, or still held. */
  const tookMoney = (orderId: string) => {
    const money = totalsOf(orderId);
    return money.captured > 0 || money.authorised - money.captured - money.released > 0;
  };

  for (const [orderId, ledger] of view.ledgers) {
    const authorisations = ledger.filter((line) => line.type === 'authorisation').length;
    if (authorisations > 1)
      violations.push({
        kind: 'two_authorisations',
        orderId,
        detail: `${authorisations} authorisations`,
      });
  }

  for (const record of view.records) {
    const { key } = record.order;
    for (const { orderId, code } of record.nothingCharged) {
      const money = totalsOf(orderId);
      const held = money.authorised - money.captured - money.released;
      if (money.captured > 0 || held > 0)
        violations.push({
          kind: 'charged_after_nothing_charged',
          orderId,
          detail: `key ${key} was told ${code} (nothing charged) but the ledger shows captured ${money.captured}, held ${held}`,
        });
    }
    for (const orderId of record.acceptedOrderIds) {
      const missing = [
        view.documents.has(orderId) ? undefined : 'no document',
        view.workflows.has(orderId) ? undefined : 'no workflow',
        totalsOf(orderId).authorisations === 1 ? undefined : 'no single authorisation',
      ].filter(Boolean);
      if (missing.length > 0)
        violations.push({
          kind: 'accepted_order_missing',
          orderId,
          detail: `key ${key} was answered 201 for it, but: ${missing.join(', ')}`,
        });
    }
    const charged = (view.ordersOfKey.get(key) ?? []).filter(tookMoney);
    if (charged.length > 1)
      violations.push({
        kind: 'key_charged_twice',
        detail: `key ${key} took money on ${charged.join(', ')}`,
      });
  }
  return violations;
}
