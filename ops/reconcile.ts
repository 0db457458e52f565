// Reconciliation rules: what must hold between an order's workflow (the truth), its document
// (the read model) and the payment ledger. `findBreaches` is a pure function of what was read
// about one order; ops/reconcile-runner.ts reads it, ops/reconcile-cli.ts is `npm run reconcile`.
//
// Which status counts: a completed workflow's result; else the status a running workflow last
// set (its OrderStatus search attribute); else the document's. Money is the ledger's.
//
// "Stuck" means: the workflow is running, has no activity, child or workflow task pending, no
// timer started and neither fired nor cancelled, did not move while it was read, and its order
// is not one that waits on the provider by design. Only grocery orders out for delivery
// (`dispatching`, `in_progress`) wait on the store's report with no timer of their own: the
// overdue timer exists only when DELIVERY_OVERDUE_GRACE_SECONDS was set at checkout, and once
// it fired the order carries `delivery_overdue` attention. Every other state has a clock: the
// provider's confirmation deadline, a hotel's check-out, a consultation's no-show grace, the
// refund window after close. Such a workflow will never act again without someone's help.

import type { temporal } from '@temporalio/proto';
import { TERMINAL_STATUSES, type OrderSnapshot, type OrderStatus } from '../domain/order';
import { refundsInProgress } from '../domain/refunds';
import type { LedgerEntryType } from '../infra/models/sandbox-payment';

const BREACH_KINDS = [
  'multiple_authorisations',
  'captured_exceeds_authorised',
  'refunded_exceeds_captured',
  'hold_open_on_closed_order',
  'unserved_capture_not_refunded',
  'document_disagrees_with_workflow',
  'stuck_workflow',
  'workflow_ended_abnormally',
  'workflow_missing',
] as const;
export type BreachKind = (typeof BREACH_KINDS)[number];

export interface Breach {
  orderId: string;
  kind: BreachKind;
  detail: string;
}

/** One ledger entry as the gateway reports it (only type and amount matter here). */
export interface LedgerLine {
  type: LedgerEntryType;
  amount: number;
}

/** Temporal execution statuses (`WorkflowExecutionStatusName` of @temporalio/client). */
export type ExecutionStatus =
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'TERMINATED'
  | 'CONTINUED_AS_NEW'
  | 'TIMED_OUT'
  | 'PAUSED'
  | 'UNSPECIFIED'
  | 'UNKNOWN';

export type WorkflowEvidence =
  /** Temporal knows no workflow `order-<orderId>` (never started, or past the namespace's retention). */
  | { found: false }
  | {
      found: true;
      status: ExecutionStatus;
      /** The status the workflow last set (OrderStatus search attribute); absent on older runs. */
      orderStatus?: OrderStatus;
      /** The final snapshot, when the workflow completed. */
      result?: OrderSnapshot;
      pendingActivities: number;
      pendingChildren: number;
      pendingWorkflowTask: boolean;
      /** Timers started and neither fired nor cancelled; read only when nothing else is pending. */
      openTimers?: number;
      /** The history grew while it was read: the workflow is moving. */
      movedWhileRead?: boolean;
    };

export interface OrderEvidence {
  orderId: string;
  /** The order document (read model); null when there is none. */
  document: OrderSnapshot | null;
  workflow: WorkflowEvidence;
  ledger: readonly LedgerLine[];
}

/** The provider reports progress and nothing else in the workflow keeps time (see above). */
function waitsOnProviderWithoutTimer(vertical: string | undefined, status: OrderStatus): boolean {
  return vertical === 'grocery' && (status === 'dispatching' || status === 'in_progress');
}

/** A paused workflow (an operator's doing) is open, not stuck. */
const OPEN_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set(['RUNNING', 'PAUSED']);

/** Orders that ended without being served: whatever was captured goes back, less a kept fee. */
const UNSERVED_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'cancelled',
  'expired',
  'rejected',
  'payment_declined',
]);

export interface LedgerTotals {
  authorisations: number;
  authorised: number;
  captured: number;
  /** Released at capture (the unconfirmed rest) and voided. */
  released: number;
  refunded: number;
}

export function ledgerTotals(ledger: readonly LedgerLine[]): LedgerTotals {
  const total = (...types: LedgerEntryType[]) =>
    ledger.filter((e) => types.includes(e.type)).reduce((sum, e) => sum + e.amount, 0);
  return {
    authorisations: ledger.filter((e) => e.type === 'authorisation').length,
    authorised: total('authorisation'),
    captured: total('capture'),
    released: total('release', 'void'),
    refunded: total('refund'),
  };
}

const AMOUNT_FIELDS = ['total', 'authorised', 'captured', 'released', 'refunded'] as const;

/** How the document differs from the final snapshot of its closed workflow. */
function documentDifferences(document: OrderSnapshot | null, result: OrderSnapshot): string[] {
  if (!document) return ['no document'];
  const differences: string[] = [];
  if (document.status !== result.status)
    differences.push(`status ${document.status} ≠ ${result.status}`);
  for (const field of AMOUNT_FIELDS) {
    if (document.amounts?.[field] !== result.amounts[field])
      differences.push(`${field} ${document.amounts?.[field]} ≠ ${result.amounts[field]}`);
  }
  if (document.revision !== result.revision)
    differences.push(`revision ${document.revision} ≠ ${result.revision}`);
  return differences;
}

export function findBreaches(evidence: OrderEvidence): Breach[] {
  const { orderId, document, workflow } = evidence;
  const breaches: Breach[] = [];
  const breach = (kind: BreachKind, detail: string) => breaches.push({ orderId, kind, detail });

  const result = workflow.found ? workflow.result : undefined;
  const snapshot = result ?? document;
  const workflowOpen = workflow.found && OPEN_EXECUTION_STATUSES.has(workflow.status);
  const status: OrderStatus | undefined =
    result?.status ?? (workflowOpen ? workflow.orderStatus : undefined) ?? document?.status;
  const workflowClosed = workflow.found && !workflowOpen;
  const closed = workflowClosed || (status !== undefined && TERMINAL_STATUSES.has(status));

  // ---- Money: the ledger against itself and against the order's outcome ----
  const money = ledgerTotals(evidence.ledger);
  if (money.authorisations > 1)
    breach('multiple_authorisations', `${money.authorisations} authorisations on one order`);
  if (money.captured > money.authorised)
    breach(
      'captured_exceeds_authorised',
      `captured ${money.captured} > authorised ${money.authorised}`,
    );
  if (money.refunded > money.captured)
    breach('refunded_exceeds_captured', `refunded ${money.refunded} > captured ${money.captured}`);
  const held = money.authorised - money.captured - money.released;
  if (closed && held > 0) {
    const where = workflow.found ? `workflow ${workflow.status}` : 'no workflow';
    breach(
      'hold_open_on_closed_order',
      `${held} still held (authorised ${money.authorised}, captured ${money.captured}, released ${money.released}) on a closed order (${status ?? 'no status'}, ${where})`,
    );
  }
  if (status && UNSERVED_STATUSES.has(status)) {
    const fee = snapshot?.cancellation?.fee ?? 0;
    // Support refunds awaiting an admin (or at the gateway) are paid from what is left.
    const inProgress = snapshot ? refundsInProgress(snapshot) : 0;
    const kept = money.captured - money.refunded - fee - inProgress;
    if (kept > 0)
      breach(
        'unserved_capture_not_refunded',
        `${kept} kept on a ${status} order (captured ${money.captured}, refunded ${money.refunded}, fee ${fee}, refunds in progress ${inProgress})`,
      );
  }

  // ---- The workflow against the document, and whether it can still finish ----
  if (!workflow.found) {
    if (document && !TERMINAL_STATUSES.has(document.status))
      breach(
        'workflow_missing',
        `the document says ${document.status} but Temporal has no workflow for the order`,
      );
    return breaches;
  }
  if (workflow.status === 'COMPLETED' && result) {
    const differences = documentDifferences(document, result);
    if (differences.length > 0) breach('document_disagrees_with_workflow', differences.join('; '));
  } else if (workflowClosed) {
    breach(
      'workflow_ended_abnormally',
      `the workflow is ${workflow.status}; the document says ${document?.status ?? 'nothing'}`,
    );
  }
  if (
    workflow.status === 'RUNNING' &&
    workflow.pendingActivities === 0 &&
    workflow.pendingChildren === 0 &&
    !workflow.pendingWorkflowTask &&
    workflow.openTimers === 0 &&
    !workflow.movedWhileRead &&
    !(status && waitsOnProviderWithoutTimer(snapshot?.vertical, status))
  ) {
    breach(
      'stuck_workflow',
      `running as ${status ?? 'unknown'} with no timer, no pending activity and no workflow task`,
    );
  }
  return breaches;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Timers the history started that have neither fired nor been cancelled. */
export function openTimers(events: readonly HistoryEvent[]): number {
  const started = new Set<string>();
  for (const event of events) {
    if (event.timerStartedEventAttributes) started.add(String(event.eventId));
    const ended =
      event.timerFiredEventAttributes?.startedEventId ??
      event.timerCanceledEventAttributes?.startedEventId;
    if (ended !== undefined && ended !== null) started.delete(String(ended));
  }
  return started.size;
}

export interface ReconcileReport {
  checkedAt: string;
  ordersChecked: number;
  breaches: Breach[];
  breachesByKind: Record<BreachKind, number>;
  /** Orders that could not be checked (Temporal or the database failed for them). */
  failures: { orderId: string; error: string }[];
}

export function summarise(
  checkedAt: string,
  ordersChecked: number,
  breaches: Breach[],
  failures: ReconcileReport['failures'],
): ReconcileReport {
  const breachesByKind = Object.fromEntries(BREACH_KINDS.map((kind) => [kind, 0])) as Record<
    BreachKind,
    number
  >;
  for (const breach of breaches) breachesByKind[breach.kind] += 1;
  return { checkedAt, ordersChecked, breaches, breachesByKind, failures };
}

/** 0 when every order was checked and none breaches; 1 on any breach; 2 when some could not be checked. */
export function exitCodeOf(report: ReconcileReport): 0 | 1 | 2 {
  if (report.breaches.length > 0) return 1;
  return report.failures.length > 0 ? 2 : 0;
}

/** The report for a person: a summary table, then one line per breach and per failure. */
export function formatReport(report: ReconcileReport): string {
  const width = 2 + Math.max(...BREACH_KINDS.map((kind) => kind.length));
  const row = (label: string, count: number) => `${label.padEnd(width)}  ${count}`;
  const lines = [
    `reconciliation at ${report.checkedAt}`,
    row('orders checked', report.ordersChecked),
    row('could not check', report.failures.length),
    row('breaches', report.breaches.length),
    ...BREACH_KINDS.map((kind) => row(`  ${kind}`, report.breachesByKind[kind])),
  ];
  if (report.breaches.length > 0) lines.push('');
  for (const { orderId, kind, detail } of report.breaches)
    lines.push(`BREACH ${orderId} ${kind} ${detail}`);
  if (report.failures.length > 0) lines.push('');
  for (const { orderId, error } of report.failures) lines.push(`UNCHECKED ${orderId} ${error}`);
  return `${lines.join('\n')}\n`;
}
