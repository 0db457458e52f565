// Whether eager workflow start would shorten checkout: `npm run bench:eager-start -- [rounds]`.
// With `requestEagerStart`, the server hands a new workflow's first task straight back to a
// worker in the starting process (client and worker sharing one NativeConnection), skipping
// matching and the worker's poll. Checkout starts its order with update-with-start, so this
// times, at one caller on a dev server of its own with eager start enabled, four calls in
// turn each round: a plain start and an eager one, each awaited to its result;
// update-with-start (checkout's call) and an eager start followed by the same Update. Then it
// tries update-with-start with eager start, which the server may refuse. Nothing here
// asserts: it measures.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startTemporalDevServer } from '../dev/embedded';
import { summarise } from './lib/stats';
import { decisionUpdate, type decisionProbe } from './eager-start/workflow';

const ROUNDS = Number(process.argv[2] ?? 300);
const WARM_UP = 10;
if (!Number.isSafeInteger(ROUNDS) || ROUNDS <= WARM_UP) {
  process.stderr.write(`usage: npm run bench:eager-start -- [rounds, more than ${WARM_UP}]\n`);
  process.exit(2);
}
const TASK_QUEUE = 'eager-start';

type Variant = 'plain start' | 'eager start' | 'update-with-start' | 'eager start, then Update';

/** Each variant starts one workflow and waits for what checkout would wait for. */
function variants(client: Client): Record<Variant, (workflowId: string) => Promise<unknown>> {
  const start = (
    workflowType: 'startProbe' | 'decisionProbe',
    workflowId: string,
    eager: boolean,
  ) =>
    client.workflow.start(workflowType, {
      taskQueue: TASK_QUEUE,
      workflowId,
      requestEagerStart: eager,
    });
  return {
    'plain start': async (id) => (await start('startProbe', id, false)).result(),
    'eager start': async (id) => (await start('startProbe', id, true)).result(),
    'update-with-start': (id) =>
      client.workflow.executeUpdateWithStart(decisionUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof decisionProbe>(
          'decisionProbe',
          { taskQueue: TASK_QUEUE, workflowId: id, workflowIdConflictPolicy: 'USE_EXISTING' },
        ),
        updateId: 'decision',
      }),
    'eager start, then Update': async (id) =>
      (await start('decisionProbe', id, true)).executeUpdate(decisionUpdate, {
        updateId: 'decision',
      }),
  };
}

/** Update-with-start asking for eager start: the server's answer, as text. */
async function eagerUpdateWithStart(client: Client): Promise<string> {
  try {
    await client.workflow.executeUpdateWithStart(decisionUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof decisionProbe>(
        'decisionProbe',
        {
          taskQueue: TASK_QUEUE,
          workflowId: `eager-uws-${randomUUID()}`,
          workflowIdConflictPolicy: 'USE_EXISTING',
          requestEagerStart: true,
        },
      ),
      updateId: 'decision',
    });
    return 'accepted';
  } catch (error) {
    return `refused: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-eager-start-'));
  const temporal = await startTemporalDevServer({
    dataDir,
    dynamicConfig: { 'system.enableEagerWorkflowStart': true },
  });
  const connection = await NativeConnection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('./eager-start/workflow'),
    activities: { decide: async () => 1 },
  });
  try {
    const [samples, refusal] = await worker.runUntil(async () => {
      const calls = variants(client);
      const names = Object.keys(calls) as Variant[];
      const timed = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<
        Variant,
        number[]
      >;
      for (let round = 0; round < ROUNDS; round++) {
        // Every other round in reverse, so no call always follows the same one.
        const order = round % 2 === 0 ? names : [...names].reverse();
        for (const name of order) {
          const started = performance.now();
          await calls[name](`eager-start-${randomUUID()}`);
          if (round >= WARM_UP) timed[name].push(performance.now() - started);
        }
      }
      return [timed, await eagerUpdateWithStart(client)] as const;
    });
    process.stdout.write(`${ROUNDS - WARM_UP} calls each, one caller, in turn (ms):\n`);
    for (const [name, values] of Object.entries(samples)) {
      const { p50, p95, p99 } = summarise(values);
      process.stdout.write(`  ${name.padEnd(26)} p50 ${p50}  p95 ${p95}  p99 ${p99}\n`);
    }
    process.stdout.write(`update-with-start with eager start: ${refusal}\n`);
  } finally {
    await connection.close();
    await temporal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
