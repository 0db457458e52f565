// The fault suite's short run on the cluster (ops/faults/cluster.ts): the Temporal server on
// its own PostgreSQL, per-vertical queues with two grocery workers, two API processes behind
// nginx. Clients retry checkouts with their keys through nginx and chaotic providers answer
// late, early, twice and at once while one grocery worker is killed (the other carries on),
// one API process is killed, the Temporal server restarts and its PostgreSQL restarts. The
// run ends reconciled: no breach, every "nothing charged" answer true, no broken promise.
// The database is the tests' shared FerretDB, which the run cannot stop: the database outage
// is the dev-server stack's run's (test/fault-suite.e2e.test.ts).

import { randomBytes } from 'node:crypto';
import { clusterFaultKinds } from '../ops/faults/cluster';
import { formatSummary } from '../ops/faults/report';
import { runFaultSuite } from '../ops/faults/suite';

// The cluster's dozen processes next to another test file on two cores: its start takes up to
// a minute, the load 40 s, the settling up to another minute; every wait inside is bounded.
jest.setTimeout(420_000);

/**
 * How much longer than CHECKOUT_WAIT_SECONDS checkout may take to answer, by the API's own
 * time (Server-Timing), as in test/fault-suite.e2e.test.ts, on a busy two-core machine —
 * busier than there: a dozen processes of the cluster's own. `npm run faults`'s default.
 */
const CHECKOUT_ANSWER_MARGIN_MS = 3_000;

describe('the short fault suite on the cluster', () => {
  it('kills a grocery worker and an API, restarts Temporal and its PostgreSQL, and ends with zero breaches and no broken promise', async () => {
    const report = await runFaultSuite({
      short: true,
      seed: 1,
      cluster: {
        mongodbUri: `${process.env.TEST_MONGODB_URI}/cluster_faults_${randomBytes(4).toString('hex')}`,
      },
      checkoutMarginMs: CHECKOUT_ANSWER_MARGIN_MS,
      ...(process.env.TEST_WORKFLOW_BUNDLE_PATH
        ? { workflowBundlePath: process.env.TEST_WORKFLOW_BUNDLE_PATH }
        : {}),
    });
    const summary = formatSummary(report);
    process.stdout.write(summary);

    expect(report.topology).toBe('cluster');
    const kinds = clusterFaultKinds(false);
    expect(kinds).toEqual([
      'worker_kill',
      'api_kill',
      'temporal_restart',
      'temporal_database_restart',
    ]);
    for (const kind of kinds)
      expect({ kind, injected: (report.faults.byKind[kind] ?? 0) > 0 }).toEqual({
        kind,
        injected: true,
      });
    // A grocery worker was killed and started again; the API killed was started again.
    const starts = report.processes.starts;
    expect((starts['worker-grocery-1'] ?? 0) + (starts['worker-grocery-2'] ?? 0)).toBe(3);
    expect((starts['api-1'] ?? 0) + (starts['api-2'] ?? 0)).toBe(3);
    expect({ breaches: report.reconciliation.breachList, summary }).toEqual({
      breaches: [],
      summary,
    });
    expect({ violations: report.violations, summary }).toEqual({ violations: [], summary });
    expect(report.reconciliation.unchecked).toBe(0);
    expect(report.orders.acceptedByStatus['no document']).toBeUndefined();
    expect(report.orders.finalAnswers['201 accepted']).toBeGreaterThan(0);
    // Grocery orders were placed and settled on the queue whose worker was killed.
    expect(report.orders.byVertical.grocery).toBeGreaterThan(0);
    expect(report.settle.settled).toBe(true);
    expect(report.ok).toBe(true);
  });
});
