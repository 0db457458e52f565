// The fault suite's report for a person: what was placed, what struck, what the clients and
// providers were answered, and what the reconciliation found.

import type { Tally } from './findings';
import type { FaultSuiteReport } from './suite';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function tally(values: Tally): string {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}: ${v}`).join(', ');
}

export function formatSummary(report: FaultSuiteReport): string {
  const { orders, checkout, faults, reconciliation } = report;
  const lines = [
    `fault suite ${report.ok ? 'PASSED' : 'FAILED'} — ${report.command}`,
    `  machine        ${report.machine.cpus} cores, ${report.machine.cpuModel}, ${report.machine.memoryMb} MB, Node ${report.machine.node}`,
    `  topology       ${report.topology === 'cluster' ? 'cluster (Temporal server on PostgreSQL, 2 grocery workers + 1 per other queue + maintenance, 2 APIs behind nginx)' : 'dev-server stack (Temporal dev server, one worker, one API)'}`,
    `  database       FerretDB on ${report.databaseBackend}`,
    `  duration       ${seconds(report.durationMs)} (load over ${seconds(report.loadMs)})`,
    '',
    `orders           ${orders.planned} placed (${tally(orders.byVertical)}; ${orders.probes} of them during database outages), ${orders.checkoutRequests} checkout requests`,
    `  final answers  ${tally(orders.finalAnswers)}`,
    `  accepted, now  ${tally(orders.acceptedByStatus)}`,
    `  cancellations  ${tally(orders.cancellations)}`,
    `  all orders     ${tally(orders.documents.byStatus)}`,
    `  workflows      ${tally(orders.documents.workflows)}`,
    `checkout         max ${checkout.maxServerMs} ms in the API, ${checkout.maxLatencyMs} ms heard by the client (limit ${checkout.limitMs} ms; ${checkout.heardLate} answered in time, heard late)`,
    `  answers        ${tally(checkout.answers)}`,
    `faults           ${tally(faults.byKind)}`,
    ...faults.timeline.map(
      (f) =>
        `  +${seconds(f.startedAtMs).padStart(7)} ${f.kind.padEnd(17)} whole again after ${seconds(f.recoveredAtMs - f.startedAtMs)} (${tally(f.steps)}); checkouts meanwhile: ${tally(f.checkoutsDuring)} (slowest ${f.slowestCheckoutDuringMs} ms)`,
    ),
    `providers        webhooks: ${tally(report.providers.webhooks)}`,
    `  callbacks      ${tally(report.providers.callbacks)}`,
    `  late accepted  ${report.providers.lateAccepted.length}${report.providers.lateAccepted.map((l) => ` ${l.orderId} (confirm by ${l.confirmBy}, sent ${l.sentAt})`).join(',')}`,
    `processes        starts: ${tally(report.processes.starts)}; exits on their own: ${report.processes.unexpectedExits.length}`,
    `settled          ${report.settle.settled ? `all, after ${seconds(report.settle.waitedMs)}` : `no: still open ${tally(report.settle.stillOpen)}`}`,
    `reconciliation   ${reconciliation.ordersChecked} orders checked, ${reconciliation.unchecked} unchecked, ${reconciliation.breaches} breaches`,
    ...Object.entries(reconciliation.breachesByKind)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `  ${kind}: ${n}`),
    `clients' view   ${report.clientView.toldNothingCharged} orders told nothing was charged, ${report.clientView.accepted} accepted, ${report.clientView.keys} keys placing ${report.clientView.ordersOfKeys} orders, ${report.clientView.ledgers} ledgers checked`,
    `  listing        ${report.clientView.listingBehind} orders unlisted or listed behind at the end (a killed worker's queued copies; the workers' sweep mends them minutes later), ${report.clientView.listingStillBehind} after one repair sweep`,
    `violations       ${report.violations.length}${report.violations.length ? ` (${tally(report.violationsByKind)})` : ''}`,
  ];
  for (const breach of reconciliation.breachList) {
    lines.push(`BREACH ${breach.orderId} ${breach.kind} ${breach.detail}`);
    for (const answer of breach.clientAnswers ?? []) lines.push(`  ${answer}`);
  }
  for (const violation of report.violations.slice(0, 50))
    lines.push(
      `VIOLATION ${violation.kind}${violation.orderId ? ` ${violation.orderId}` : ''} ${violation.detail}`,
    );
  if (report.dataDir) lines.push(`data and logs kept in ${report.dataDir}`);
  return `${lines.join('\n')}\n`;
}
