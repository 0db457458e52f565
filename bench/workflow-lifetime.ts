// `npm run bench:lifetime -- [--replays N] [--orders-per-day N] [--window-days D]
// [--refunded-after-close F] [--after-sales-idle-minutes M]`: the two lifetimes of an order's
// workflow side by side, from recorded histories (test/histories): kept open for the refund
// window (runs of earlier generations), or ended with the order, a refund after it running in
// a short after-sales workflow. For each: the events and bytes of its history and how long a
// worker takes to replay one (what the first message after the workflow left the worker's
// cache pays, and every replay after a worker restart), then the open workflows that follow
// at a given volume. Replays run in-process against the current workflow bundle, one history
// after another, on this machine.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { payloadDataConverter } from '../infra/codec';
import {
  WORKFLOW_INTERCEPTOR_MODULES,
  workerTracingOptions,
} from '../infra/telemetry/temporal-tracing';
import { TEST_PAYLOAD_KEY } from '../test/support/harness';
import { HISTORIES_DIR, loadHistory } from '../test/support/histories';

const { values } = parseArgs({
  options: {
    replays: { type: 'string', default: '30' },
    'orders-per-day': { type: 'string', default: '700000' },
    'window-days': { type: 'string', default: '30' },
    'refunded-after-close': { type: 'string', default: '0.02' },
    'after-sales-idle-minutes': { type: 'string', default: '5' },
  },
});
const replays = Number(values.replays);
const ordersPerDay = Number(values['orders-per-day']);
const windowDays = Number(values['window-days']);
const refundedAfterClose = Number(values['refunded-after-close']);
const idleMinutes = Number(values['after-sales-idle-minutes']);

/** Orders of both lifetimes, and an after-sales run. */
const SHAPES = {
  'kept open: grocery completed, no window': 'grocery-completed',
  'kept open: grocery refunded in its window, window closed': 'grocery-refunded-after-completion',
  'kept open: hotel completed, no window': 'hotel-completed',
  'kept open: teleconsultation completed, no window': 'teleconsultation-completed',
  'ended with the order: grocery completed': 'grocery-completed-then-after-sales',
  'after-sales run: one refund, ended idle': 'after-sales-refund',
} as const;

async function main() {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const dataConverter = payloadDataConverter([TEST_PAYLOAD_KEY]);
  const rows: string[] = [];
  for (const [shape, file] of Object.entries(SHAPES)) {
    const json = readFileSync(path.join(HISTORIES_DIR, `${file}.json`), 'utf8');
    const history = loadHistory(JSON.parse(json));
    const events = history.events.length;
    const timers = history.events.filter((e) => e.timerStartedEventAttributes).length;
    // One replay worker replays the copies one after another, as a worker replays orders that
    // left its cache; its start-up (a fresh isolate loading the bundle) is measured apart.
    const replayAll = async (count: number) => {
      const copies = Array.from({ length: count }, (_, i) => ({
        workflowId: `copy-${i}`,
        history,
      }));
      const started = performance.now();
      for await (const result of Worker.runReplayHistories(
        { workflowBundle, dataConverter, sinks: workerTracingOptions().sinks },
        copies,
      ))
        if (result.error) throw result.error;
      return performance.now() - started;
    };
    const firstMs = await replayAll(1);
    const perReplayMs = ((await replayAll(replays + 1)) - firstMs) / replays;
    rows.push(
      `${shape.padEnd(58)} ${String(events).padStart(6)} ${String(timers).padStart(6)} ${String(Buffer.byteLength(json)).padStart(9)} ${perReplayMs.toFixed(1).padStart(10)} ${firstMs.toFixed(0).padStart(9)}`,
    );
  }
  process.stdout.write(
    [
      `replays per history: ${replays}; 'first ms' is a replay worker's start-up with its first replay`,
      '',
      `${'history'.padEnd(58)} ${'events'.padStart(6)} ${'timers'.padStart(6)} ${'bytes'.padStart(9)} ${'replay ms'.padStart(10)} ${'first ms'.padStart(9)}`,
      ...rows,
      '',
      `open workflows of ended orders at ${ordersPerDay.toLocaleString('en')} orders a day:`,
      `  kept open ${windowDays} days for refunds: ${(ordersPerDay * windowDays).toLocaleString('en')} (every ended order stays Running)`,
      `  ended with the order: after-sales runs only, ${afterSalesOpen().toLocaleString('en')} at once if ${(refundedAfterClose * 100).toFixed(1)}% of orders get a refund after they end and each run stays ${idleMinutes} min (plus refunds waiting for an admin, until decided)`,
      '',
    ].join('\n'),
  );
}

/** Little's law: arrivals a minute times minutes each stays. */
function afterSalesOpen(): number {
  return Math.round(((ordersPerDay * refundedAfterClose) / (24 * 60)) * idleMinutes);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
