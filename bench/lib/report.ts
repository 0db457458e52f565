// The load generator's one table: orderflow and bare side by side, then the ratio.

import type { MemorySeries, ProcessMemory } from './memory';
import type { Arrival } from './plan';
import type { CheckoutPhasesSummary, MeasuredProcess, PhaseReport } from './phase';
import type { LatencySummary } from './stats';

export interface Ratio {
  /** orderflow ÷ bare on `basis`. */
  value: number | null;
  basis: 'highest_held_rate' | 'projected_cpu_ceiling' | 'completed_per_second';
  highestHeldRate: number | null;
  /** False when the bare ramp never became unstable: its held rate is only a lower bound. */
  bareCeilingReached: boolean;
  completedPerSecond: number | null;
  projectedCpuCeiling: number | null;
}

function describeArrival(arrival: Arrival): string {
  return arrival.kind === 'fixed'
    ? `fixed ${arrival.rate}/s`
    : `ramp ${arrival.start}/s +${arrival.step} every ${arrival.everySeconds}s`;
}

const ms = (s: LatencySummary) =>
  s.count === 0 ? '-' : `${s.p50} / ${s.p95} / ${s.p99} / ${s.max}`;
const num = (n: number | null | undefined, digits = 3) =>
  n === null || n === undefined ? '-' : String(Number(n.toFixed(digits)));

/** Every measured process group in the table's order; the cluster's only when a run has them. */
const PROCESSES: [MeasuredProcess | 'server', string, 'always' | 'cluster'][] = [
  ['api', 'API', 'always'],
  ['nginx', 'nginx', 'cluster'],
  ['worker', 'worker', 'always'],
  ['worker-grocery', 'worker grocery', 'cluster'],
  ['worker-hotel', 'worker hotel', 'cluster'],
  ['worker-teleconsultation', 'worker teleconsultation', 'cluster'],
  ['worker-maintenance', 'worker maintenance', 'cluster'],
  ['temporal', 'Temporal server', 'always'],
  ['temporal-postgres', "Temporal's PostgreSQL", 'cluster'],
  ['database', 'database (with PostgreSQL)', 'always'],
  ['server', 'all serving processes', 'always'],
  ['generator', 'load generator', 'always'],
];

/** The rows the runs have figures for, labelled with how many processes each group is. */
function processRows(
  runs: PhaseReport[],
  withTotal: boolean,
): [MeasuredProcess | 'server', string][] {
  return PROCESSES.filter(
    ([name, , when]) =>
      (when === 'always' && (withTotal || name !== 'server')) ||
      runs.some((run) => run.cpuSecondsPerOrder[name] !== undefined),
  ).map(([name, label]) => {
    const counts = new Set(
      runs.map((run) => (name === 'server' ? 1 : (run.processCount[name] ?? 1))),
    );
    const count = Math.max(...counts);
    return [name, count > 1 ? `${label} (${count} processes)` : label];
  });
}

/** CPU seconds per order of every worker group of the cluster (undefined: none). */
function workersPerOrder(run: PhaseReport): number | undefined {
  const groups = Object.entries(run.cpuSecondsPerOrder).filter(([name]) =>
    name.startsWith('worker-'),
  );
  return groups.length === 0 ? undefined : groups.reduce((sum, [, seconds]) => sum + seconds, 0);
}

const signed = (n: number | null) => (n === null ? '-' : `${n > 0 ? '+' : ''}${n.toFixed(2)}`);

/** `start / end / max, growth (second half)`; a process gone says when, and its last figure. */
function memoryCell(memory: ProcessMemory | undefined, pick: 'rss' | 'pss'): string {
  if (!memory) return '-';
  const series: MemorySeries | undefined = memory[pick];
  const gone =
    memory.status === 'running'
      ? ''
      : `${memory.status === 'replaced' ? 'gone (pid reused)' : 'vanished'} at ${memory.lostAtSecond} s`;
  if (!series) return gone || '-';
  const figures = `${series.startMb} / ${series.endMb ?? `gone (last ${series.lastMb})`} / ${series.maxMb}`;
  const growth = `${signed(series.growthMbPerMin)} (${signed(series.secondHalfGrowthMbPerMin)})`;
  return `${figures}, ${growth}${gone ? `; ${gone}` : ''}`;
}

export function renderTable(
  runs: { orderflow?: PhaseReport; bare?: PhaseReport },
  ratio: Ratio | null,
): string {
  const systems = (['orderflow', 'bare'] as const).filter((name) => runs[name]);
  const rows: [string, ...string[]][] = [];
  const row = (label: string, pick: (run: PhaseReport) => string) =>
    rows.push([label, ...systems.map((name) => pick(runs[name]!))]);
  row('arrival', (r) => describeArrival(r.arrival));
  row('database (FerretDB storage)', (r) => r.databaseBackend ?? '-');
  if (systems.some((name) => runs[name]!.appEvents))
    row('app endpoints (events received)', (r) =>
      r.appEvents ? `${r.appEvents.endpoints} (${r.appEvents.received})` : '-',
    );
  row(
    'orders sent / accepted / completed',
    (r) => `${r.orders.sent} / ${r.orders.accepted} / ${r.orders.completed}`,
  );
  row(
    'accepted/s, completed/s',
    (r) => `${r.throughput.acceptedPerSecond}, ${r.throughput.completedPerSecond}`,
  );
  row(
    'highest rate held (all held?)',
    (r) => `${r.highestHeldRate}/s (${r.sustainable ? 'yes' : 'no'}; stop: ${r.stoppedBecause})`,
  );
  row('checkout ms p50/p95/p99/max', (r) => ms(r.latencyMs.checkout));
  /** A summary's phases, a row each (p50 / p95 ms), under a heading with its order count. */
  const phaseRows = (heading: string, pick: (run: PhaseReport) => CheckoutPhasesSummary) => {
    const phasesOf = (run: PhaseReport) => pick(run)?.phases ?? [];
    const names = [...new Set(systems.flatMap((name) => phasesOf(runs[name]!).map((p) => p.name)))];
    if (names.length === 0) return;
    row(`  ${heading}`, (r) => `(${pick(r)?.sampled ?? 0})`);
    for (const phase of names)
      row(`    ${phase}`, (r) => {
        const found = phasesOf(r).find((p) => p.name === phase);
        return found ? `${found.p50} / ${found.p95}` : '-';
      });
  };
  // Where the sampled checkouts' time went, read off their histories, and where the slowest
  // checkouts' went (the tail's).
  phaseRows('checkout phases p50 / p95 (orders)', (r) => r.checkoutPhasesMs);
  phaseRows('slowest checkouts, phases p50 / p95 (orders)', (r) => r.slowestCheckoutPhasesMs);
  // The API's own account of the same (its Server-Timing header): all, then the slowest.
  phaseRows('checkout, by the API (orders)', (r) => r.checkoutStepsMs?.all);
  phaseRows('slowest checkouts, by the API (orders)', (r) => r.checkoutStepsMs?.slowest);
  row('callback ms p50/p95/p99/max', (r) => ms(r.latencyMs.callback));
  row('  confirmation', (r) => ms(r.latencyMs.confirmationCallback));
  row('  events', (r) => ms(r.latencyMs.eventCallback));
  row('webhook after checkout ms', (r) => ms(r.latencyMs.webhookAfterCheckout));
  row('end to end ms p50/p95/p99/max', (r) => ms(r.latencyMs.endToEnd));
  row('  minus provider delays', (r) => ms(r.latencyMs.overhead));
  for (const vertical of ['grocery', 'hotel', 'teleconsultation'] as const)
    row(`history events/order ${vertical}`, (r) => {
      const stats = r.historyEventsPerOrder[vertical];
      return stats ? `${stats.mean} (n=${stats.sampled})` : '-';
    });
  row('database ops/order', (r) => num(r.databaseOpsPerOrder?.total, 2));
  if (systems.some((name) => runs[name]!.workerTasksPerOrder)) {
    row('workflow tasks/order (workers)', (r) => num(r.workerTasksPerOrder?.workflowTasks, 2));
    row('sticky cache misses/order', (r) => num(r.workerTasksPerOrder?.stickyCacheMisses, 2));
  }
  const measured = systems.map((name) => runs[name]!);
  const cpuRows = processRows(measured, true);
  const lastWorkerGroup = cpuRows.filter(([name]) => name.startsWith('worker-')).pop()?.[0];
  for (const [name, label] of cpuRows) {
    row(`CPU s/order ${label}`, (r) => num(r.cpuSecondsPerOrder[name], 4));
    // The cluster's worker groups together: what compares with the dev server's one worker.
    if (name === lastWorkerGroup) row('  all workers together', (r) => num(workersPerOrder(r), 4));
  }
  // With --idle: what an order costs beyond each process's idle work (its idle rate beside it).
  const idleSeconds = new Set(measured.flatMap((run) => (run.idle ? [run.idle.seconds] : [])));
  if (idleSeconds.size > 0) {
    row(`CPU s/order net of idle (idle CPU s/s over ${[...idleSeconds].join(', ')} s)`, () => '');
    for (const [name, label] of cpuRows)
      row(`  ${label}`, (r) => {
        const net = r.idle?.cpuSecondsPerOrderNetOfIdle[name];
        const rate = name === 'server' ? undefined : r.idle?.cpuSecondsPerSecond[name];
        return rate === undefined ? num(net, 4) : `${num(net, 4)} (${num(rate, 4)})`;
      });
  }
  row('memory MB start / end / max, MB/min (2nd half)', () => '');
  for (const [name, label] of processRows(measured, false))
    if (name !== 'server')
      row(`  RSS ${label}`, (r) => memoryCell(r.memory.byProcess[name], 'rss'));
  row('  PSS database (shared pages split)', (r) => memoryCell(r.memory.byProcess.database, 'pss'));
  if (measured.some((run) => run.memory.byProcess['temporal-postgres']))
    row("  PSS Temporal's PostgreSQL", (r) =>
      memoryCell(r.memory.byProcess['temporal-postgres'], 'pss'),
    );
  row('projected CPU ceiling orders/s', (r) => num(r.projectedCpuCeilingPerSecond, 1));
  row('machine CPU s busy (not ours)', (r) =>
    r.machineCpuSeconds
      ? `${num(r.machineCpuSeconds.busy, 1)} (${num(r.machineCpuSeconds.unaccounted, 1)})`
      : '-',
  );
  row('errors', (r) =>
    r.errors.total === 0
      ? '0'
      : `${r.errors.total}: ${Object.entries(r.errors.byKind)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ')}`,
  );
  const header: [string, ...string[]] = ['', ...systems];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  if (ratio) {
    out.push('');
    out.push(
      `orderflow / bare: ${num(ratio.value)} (${ratio.basis.replaceAll('_', ' ')}` +
        `${ratio.basis === 'highest_held_rate' && !ratio.bareCeilingReached ? '; bare ceiling not reached: an upper bound' : ''})`,
    );
    out.push(
      `  by highest held rate ${num(ratio.highestHeldRate)}, by completed/s ${num(ratio.completedPerSecond)},` +
        ` by projected CPU ceiling ${num(ratio.projectedCpuCeiling)}`,
    );
  }
  return out.join('\n');
}
