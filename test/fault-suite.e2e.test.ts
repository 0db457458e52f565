// Nothing lost, nobody let in: the fault suite's short run (ops/faults/). The worker and the
// API run as processes of their own on a Temporal dev server and FerretDB of the suite's
// own (it stops and restarts them); clients retry checkouts with their keys and chaotic
// providers answer late, early, twice and at once while the worker is killed, the API is
// killed, the database is down for 5 s and Temporal restarts, and one of the app's two event
// endpoints is dead throughout. The run ends reconciled.

import { STACK_FAULT_KINDS } from '../ops/faults/plan';
import { formatSummary } from '../ops/faults/report';
import { runFaultSuite } from '../ops/faults/suite';

// Four servers and processes of its own next to another test file on two cores: a run takes
// about a minute alone, up to two beside other test files; every wait inside it is bounded.
jest.setTimeout(280_000);

/**
 * How much longer than CHECKOUT_WAIT_SECONDS checkout may take to answer, by the API's own
 * time (Server-Timing): checkout answers by the wait whatever is down (api/deadline.ts); this
 * covers late timers on a busy two-core machine, not a dependency's timeout.
 */
const CHECKOUT_ANSWER_MARGIN_MS = 1_500;

describe('the short fault suite', () => {
  it('injects every kind of fault and ends with zero breaches and no broken promise', async () => {
    const report = await runFaultSuite({
      short: true,
      seed: 1,
      checkoutMarginMs: CHECKOUT_ANSWER_MARGIN_MS,
      // Bundled once by test/global-setup.ts for every test file.
      ...(process.env.TEST_WORKFLOW_BUNDLE_PATH
        ? { workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE_PATH }
        : {}),
    });
    const summary = formatSummary(report);

    for (const kind of STACK_FAULT_KINDS)
      expect({ kind, injected: (report.faults.byKind[kind] ?? 0) > 0 }).toEqual({
        kind,
        injected: true,
      });
    expect({ breaches: report.reconciliation.breachList, summary }).toEqual({
      breaches: [],
      summary,
    });
    expect({ violations: report.violations, summary }).toEqual({ violations: [], summary });
    expect(report.reconciliation.unchecked).toBe(0);
    // Every order the clients were told was accepted has a document and a workflow.
    expect(report.orders.acceptedByStatus['no document']).toBeUndefined();
    expect(report.orders.finalAnswers['201 accepted']).toBeGreaterThan(0);
    // The app's live endpoint heard of the orders while a dead one's deliveries kept failing.
    expect(report.appEvents?.liveOrders).toBeGreaterThan(0);
    expect(report.appEvents?.deliveries.dead.delivered).toBeUndefined();
    expect(report.appEvents?.deliveries.dead.pending).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  });
});
