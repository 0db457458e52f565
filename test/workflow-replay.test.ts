// Every recorded order history in test/histories replays against today's workflow code
// without a determinism error. A change that breaks running orders fails here; guard it
// with `patched()` and record new histories (npm run record-histories). Histories recorded
// by earlier workflow code stay under test/histories/earlier/ and keep the patches honest.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { payloadDataConverter } from '../infra/codec';
import { workerTracingOptions } from '../infra/telemetry/temporal-tracing';
import { TEST_PAYLOAD_KEY } from './support/harness';
import { HISTORIES_DIR, loadHistory } from './support/histories';

function recordedHistories() {
  return readdirSync(HISTORIES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: loadHistory(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8'))),
    }));
}

async function replayAll(
  workflowBundle: { code: string } | { codePath: string },
): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  // Histories recorded since payloads are encrypted need the suite's key; older ones are plain.
  const dataConverter = payloadDataConverter([TEST_PAYLOAD_KEY]);
  for await (const result of Worker.runReplayHistories(
    // The bundle's tracing interceptors hand their spans to this sink (dropped here).
    { workflowBundle, dataConverter, sinks: workerTracingOptions().sinks },
    recordedHistories(),
  ))
    results.push(result);
  return results;
}

test('recorded histories of every main path replay without determinism errors', async () => {
  const histories = recordedHistories();
  expect(histories.map((h) => h.workflowId).sort()).toEqual(
    expect.arrayContaining([
      'grocery-completed',
      'grocery-partial',
      'grocery-rejected',
      'grocery-expired',
      'grocery-declined',
      'grocery-checkout-gave-up',
      'grocery-workers-back-after-checkout-gave-up',
      'grocery-late-start-after-lost-decision',
      'grocery-delivery-overdue',
      'grocery-early-pickup',
      'grocery-refunded-after-completion',
      'grocery-completed-then-after-sales',
      'grocery-approval-pending-at-completion',
      'after-sales-refund',
      'app-event-relay-retried',
      'app-event-relay-retried-by-admin',
      'app-event-relay-continued-as-new',
      'app-event-relay-ended-after-continuing',
      'earlier/before-app-event-relay/app-event-retried',
      'earlier/before-app-event-relay/app-event-retried-by-admin',
      'grocery-rerouted-after-rejection',
      'grocery-rerouted-twice-then-rejected',
      'grocery-cancelled-before-confirmation',
      'grocery-cancelled-after-capture',
      'hotel-completed',
      'hotel-rejected',
      'hotel-cancelled-late',
      'teleconsultation-completed',
      'teleconsultation-no-show',
      'teleconsultation-cancelled-late',
    ]),
  );
  const results = await replayAll({ codePath: process.env.TEST_WORKFLOW_BUNDLE_PATH! });
  expect(results.map((r) => ({ workflowId: r.workflowId, error: r.error?.message }))).toEqual(
    histories.map((h) => ({ workflowId: h.workflowId, error: undefined })),
  );
  // 170 histories one after another: ~20 s on a quiet machine, over a minute beside the
  // cluster suites on CI's two cores.
}, 300_000);

test('a workflow that diverges from a recorded history fails the replay', async () => {
  const divergent = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/divergent-workflow'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const results = await replayAll(divergent);
  expect(results.length).toBeGreaterThan(0);
  for (const result of results) expect(result.error).toBeDefined();
});
