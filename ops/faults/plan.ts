// What a fault-suite run does, decided up front from its seed: which orders the clients place
// and when, how each order's provider behaves, and when each fault strikes. Pure: the same
// options and seed give the same plan.

import type { Vertical } from '../../domain/order';
import { seededRandom, type Random } from './random';

export const FAULT_KINDS = [
  'worker_kill',
  'api_kill',
  'database_outage',
  'temporal_restart',
  /** The Temporal server's own PostgreSQL restarted (cluster mode: the server runs on one). */
  'temporal_database_restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The faults of the dev-server stack (ops/faults/stack.ts): its dev server has no PostgreSQL. */
export const STACK_FAULT_KINDS: readonly FaultKind[] = [
  'worker_kill',
  'api_kill',
  'database_outage',
  'temporal_restart',
];

/**
 * How the provider answers one order (ops/faults/providers.ts plays it):
 * - happy: accepts, then reports progress in order;
 * - partial: a store that has only part of the stock;
 * - twice: every callback sent twice, one after the other;
 * - concurrent: every callback sent three times at once;
 * - early: an event before the confirmation (refused), then the events right after it,
 *   before the order reaches their step (kept and applied later);
 * - out_of_order: the last event first;
 * - conflicting: accepts, then rejects (refused);
 * - reject: rejects (the order goes to the provider's fallback, which never answers: expired);
 * - reroute: rejects, and the fallback the order goes to accepts and reports progress;
 * - late: accepts after the deadline (refused: the order expired);
 * - silent: never answers (the order expires);
 * - customer_cancel: the customer cancels while the provider thinks; its answer comes after;
 * - no_show: a clinic reports that the doctor did not show up (refund);
 * - doctor_absent: a clinic accepts and the doctor never starts (the no-show timer refunds).
 */
export type Scenario =
  | 'happy'
  | 'partial'
  | 'twice'
  | 'concurrent'
  | 'early'
  | 'out_of_order'
  | 'conflicting'
  | 'reject'
  | 'reroute'
  | 'late'
  | 'silent'
  | 'customer_cancel'
  | 'no_show'
  | 'doctor_absent';

const SCENARIO_WEIGHTS: Record<Vertical, readonly (readonly [Scenario, number])[]> = {
  grocery: [
    ['happy', 30],
    ['partial', 8],
    ['twice', 8],
    ['concurrent', 8],
    ['early', 8],
    ['out_of_order', 8],
    ['conflicting', 4],
    ['reject', 4],
    ['reroute', 5],
    ['late', 5],
    ['silent', 3],
    ['customer_cancel', 6],
  ],
  hotel: [
    ['happy', 30],
    ['twice', 8],
    ['concurrent', 8],
    ['early', 8],
    ['out_of_order', 8],
    ['conflicting', 4],
    ['reject', 4],
    ['reroute', 3],
    ['late', 5],
    ['silent', 3],
    ['customer_cancel', 6],
  ],
  teleconsultation: [
    ['happy', 30],
    ['twice', 8],
    ['concurrent', 8],
    ['early', 8],
    ['out_of_order', 6],
    ['conflicting', 4],
    ['reject', 4],
    ['reroute', 4],
    ['late', 5],
    ['silent', 3],
    ['no_show', 5],
    ['doctor_absent', 5],
  ],
};

export type PaymentToken = 'tok_ok' | 'tok_declined' | 'tok_flaky' | 'tok_slow';

export interface PlannedOrder {
  index: number;
  /** The checkout's Idempotency-Key, kept across the client's retries. */
  key: string;
  /** The customer id carries the index, so the simulated provider knows the scenario. */
  customerId: string;
  /** When the client places it, from the start of the load. */
  atMs: number;
  vertical: Vertical;
  scenario: Scenario;
  token: PaymentToken;
  /** The client sends its first request twice at once (same key). */
  doubleSubmit: boolean;
  /** How long the provider takes before its first callback. */
  providerDelayMs: number;
  /** Teleconsultation: how far after checkout the slot starts. */
  slotInMs: number;
  /** A number the order's details and the provider's answers vary with. */
  variant: number;
}

export interface PlannedFault {
  kind: FaultKind;
  /** From the start of the load. */
  atMs: number;
  /** How long the server stays down (database outage, Temporal restart). */
  downMs: number;
}

/** Checkouts each database outage places itself (see `Plan.probes`). */
export const PROBES_PER_OUTAGE = 3;

export interface PlanOptions {
  seed: number;
  orders: number;
  short: boolean;
  /** The faults to inject (default STACK_FAULT_KINDS). */
  kinds?: readonly FaultKind[];
  /**
   * Cluster mode: a killed worker is one of two on its queue, so it stays down longer (the
   * other carries the load meanwhile).
   */
  cluster?: boolean;
}

export interface Plan {
  seed: number;
  short: boolean;
  cluster: boolean;
  /** The kinds of fault injected, each at least once. */
  kinds: readonly FaultKind[];
  /** Orders are placed over this long. */
  loadMs: number;
  orders: PlannedOrder[];
  /**
   * Checkouts placed by each database outage itself, the first as the database goes away,
   * the others while it is away (`PROBES_PER_OUTAGE` per outage, in order).
   */
  probes: PlannedOrder[];
  faults: PlannedFault[];
  /** Per provider: how long it has to confirm. */
  confirmationTimeoutSeconds: number;
  /** Clinics: the doctor no-show grace. */
  doctorNoShowGraceSeconds: number;
}

/** How many faults of a kind a run injects: a full run kills the worker three times. */
export function faultCount(kind: FaultKind, short: boolean): number {
  return kind === 'worker_kill' && !short ? 3 : 1;
}

export function makePlan(options: PlanOptions): Plan {
  const random = seededRandom(options.seed);
  const { short } = options;
  const cluster = options.cluster ?? false;
  // A few orders a second at most: the machine under test also runs the servers.
  // The cluster's processes take longer to come back (a worker is up once the server lists it
  // among the pollers): a longer load, so each fault still strikes while orders come in.
  const loadMs = cluster
    ? short
      ? 70_000
      : Math.max(150_000, options.orders * 800)
    : short
      ? 40_000
      : Math.max(90_000, options.orders * 800);
  const orders = Array.from({ length: options.orders }, (_, index) =>
    planOrder(random, index, options, loadMs),
  ).sort((a, b) => a.atMs - b.atMs);
  const kinds = options.kinds ?? STACK_FAULT_KINDS;
  const faults = planFaults(random, { short, cluster, kinds }, loadMs);
  const outages = faults.filter((f) => f.kind === 'database_outage').length;
  const probes = Array.from({ length: outages * PROBES_PER_OUTAGE }, (_, i) => ({
    ...planOrder(random, options.orders + i, options, loadMs),
    key: `faults-${options.seed}-probe-${i}`,
    atMs: 0,
    vertical: 'grocery' as const,
    scenario: 'happy' as const,
    token: 'tok_ok' as const,
    doubleSubmit: false,
  }));
  return {
    seed: options.seed,
    short,
    cluster,
    kinds,
    loadMs,
    orders,
    probes,
    faults,
    confirmationTimeoutSeconds: short ? 25 : 45,
    doctorNoShowGraceSeconds: 15,
  };
}

function planOrder(
  random: Random,
  index: number,
  options: PlanOptions,
  loadMs: number,
): PlannedOrder {
  // Every vertical from the first three orders on, whatever the count.
  const vertical: Vertical =
    index < 3
      ? (['grocery', 'hotel', 'teleconsultation'] as const)[index]!
      : random.weighted([
          ['grocery', 5],
          ['hotel', 3],
          ['teleconsultation', 3],
        ]);
  let scenario = random.weighted(SCENARIO_WEIGHTS[vertical]);
  // A doctor who never shows is only found out after the slot and its grace: too late for
  // a short run.
  if (options.short && scenario === 'doctor_absent') scenario = 'no_show';
  const token = random.weighted<PaymentToken>([
    ['tok_ok', 80],
    ['tok_declined', 6],
    ['tok_flaky', 7],
    ['tok_slow', 7],
  ]);
  return {
    index,
    key: `faults-${options.seed}-${index}`,
    customerId: `faults-${index}`,
    atMs: Math.floor(random.next() * loadMs),
    vertical,
    scenario,
    token,
    doubleSubmit: random.chance(0.1),
    providerDelayMs: random.int(200, 2500),
    // Within the video session's lead (10 min), so the session opens at once; after the
    // clients' retries end, so a retried checkout still has a slot in the future.
    slotInMs: random.int(110_000, 170_000),
    variant: random.int(0, 1_000_000),
  };
}

/**
 * Faults at random moments, one after the other: the load is cut into one slot per fault
 * (in a random order of kinds), each fault strikes in the first part of its slot, so it has
 * recovered before the next.
 */
function planFaults(
  random: Random,
  options: { short: boolean; cluster: boolean; kinds: readonly FaultKind[] },
  loadMs: number,
): PlannedFault[] {
  const { short, cluster } = options;
  const kinds = random.shuffle(
    options.kinds.flatMap((kind) => Array<FaultKind>(faultCount(kind, short)).fill(kind)),
  );
  const start = loadMs * 0.1;
  const slot = (loadMs * 0.85) / kinds.length;
  return kinds.map((kind, i) => ({
    kind,
    atMs: Math.floor(start + i * slot + random.next() * slot * 0.4),
    downMs:
      kind === 'database_outage'
        ? short
          ? 5_000
          : 15_000
        : kind === 'temporal_restart' || kind === 'temporal_database_restart'
          ? random.int(1_000, 3_000)
          : kind === 'worker_kill'
            ? cluster
              ? random.int(3_000, 8_000)
              : random.int(0, 2_000)
            : random.int(0, 1_000),
  }));
}
