// What the serving processes spend with no orders, and what an order costs beyond that.
// A process's CPU during a run is its idle work (long polls, timers, its runtime's
// housekeeping) plus what the orders made it do. At a low rate the idle part weighs: the
// cluster's five worker processes idle at ~3.8 CPU s a minute (docs/BENCHMARKS.md, fourteenth
// round), ~0.021 CPU s per order at 3/s, and it does not grow with the orders. Measured just
// before the run (`--idle S`) and taken off each process's figure, what is left is the
// marginal cost of an order: the part that scales with orders.

/** CPU seconds per second of each process while nothing was ordered, from two snapshots. */
export function idleRates<Name extends string>(
  before: Partial<Record<Name, number>>,
  after: Partial<Record<Name, number>>,
  seconds: number,
): Partial<Record<Name, number>> {
  const rates: Partial<Record<Name, number>> = {};
  if (!(seconds > 0)) return rates;
  for (const name of Object.keys(after) as Name[]) {
    const start = before[name];
    const end = after[name];
    if (start !== undefined && end !== undefined) rates[name] = (end - start) / seconds;
  }
  return rates;
}

/**
 * Each process's CPU seconds per order once its idle rate over the run's `seconds` is taken
 * off, and `server`: the serving processes together (every process but `generator`). A
 * process without an idle rate is left out, and so is `server` then: a sum without it would
 * not compare with the gross one. Noise can leave a small negative figure: kept as measured.
 */
export function netOfIdle<Name extends string>(
  cpuSeconds: Partial<Record<Name, number>>,
  rates: Partial<Record<Name, number>>,
  seconds: number,
  orders: number,
): Partial<Record<Name | 'server', number>> {
  const perOrder: Partial<Record<Name | 'server', number>> = {};
  if (orders <= 0) return perOrder;
  let server = 0;
  let complete = true;
  for (const name of Object.keys(cpuSeconds) as Name[]) {
    const used = cpuSeconds[name]!;
    const rate = rates[name];
    if (rate === undefined) {
      if (name !== 'generator') complete = false;
      continue;
    }
    const net = (used - rate * seconds) / orders;
    perOrder[name] = net;
    if (name !== 'generator') server += net;
  }
  if (complete) perOrder.server = server;
  return perOrder;
}

export interface IdleReport<Name extends string> {
  /** How long nothing was ordered while the idle CPU was measured. */
  seconds: number;
  cpuSecondsPerSecond: Partial<Record<Name, number>>;
  cpuSecondsPerOrderNetOfIdle: Partial<Record<Name | 'server', number>>;
}

const rounded = <K extends string>(figures: Partial<Record<K, number>>, digits: number) =>
  Object.fromEntries(
    Object.entries(figures).map(([name, n]) => [name, Number((n as number).toFixed(digits))]),
  ) as Partial<Record<K, number>>;

/** The run's report of its idle measurement: the rates, and the CPU per order net of them. */
export function idleReport<Name extends string>(
  idleSeconds: number,
  rates: Partial<Record<Name, number>>,
  cpuSeconds: Partial<Record<Name, number>>,
  runSeconds: number,
  orders: number,
): IdleReport<Name> {
  return {
    seconds: idleSeconds,
    cpuSecondsPerSecond: rounded(rates, 4),
    cpuSecondsPerOrderNetOfIdle: rounded(netOfIdle(cpuSeconds, rates, runSeconds, orders), 3),
  };
}
