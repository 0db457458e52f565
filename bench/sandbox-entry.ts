// What one call into a workflow's sandbox costs: `npm run bench:sandbox-entry -- [calls]`.
// @temporalio/worker (1.24, lib/workflow/reusable-vm.js) enters a workflow's V8 context with
// `script.runInContext(context, { timeout: isolateExecutionTimeoutMs })` three or more times
// per activation (activate, each round of unblocking conditions, conclude), and Node enforces
// a `timeout` by starting a watchdog thread for the call and joining it after
// (src/node_contextify.cc; nodejs/node#47739, open, would keep one per thread). This times
// the same call into a context made as the SDK makes it (microtaskMode 'afterEvaluate'), with
// and without the timeout, alternating, and prints wall and CPU microseconds per call (CPU of
// the whole process: the watchdog threads' own included). Nothing here asserts: it measures.

import { performance } from 'node:perf_hooks';
import vm from 'node:vm';

const CALLS = Number(process.argv[2] ?? 20_000);
if (!Number.isSafeInteger(CALLS) || CALLS <= 0) {
  process.stderr.write('usage: npm run bench:sandbox-entry -- [calls]\n');
  process.exit(2);
}

const context = vm.createContext({ activate: () => 1 }, { microtaskMode: 'afterEvaluate' });
const callIntoScope = new vm.Script('activate()');
const SDK_TIMEOUT_MS = 5_000; // the SDK's default isolateExecutionTimeout

function timeCalls(options: vm.RunningScriptOptions): { wallUs: number; cpuUs: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let call = 0; call < CALLS; call++) callIntoScope.runInContext(context, options);
  const wallUs = ((performance.now() - started) * 1000) / CALLS;
  const { user, system } = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (user + system) / CALLS };
}

const runs: Record<string, { wallUs: number; cpuUs: number }[]> = { with: [], without: [] };
for (let round = 0; round < 3; round++) {
  runs.with!.push(timeCalls({ timeout: SDK_TIMEOUT_MS }));
  runs.without!.push(timeCalls({}));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
process.stdout.write(`${CALLS} calls per round, 3 rounds alternating (median of rounds):\n`);
for (const [name, rounds] of Object.entries(runs)) {
  const wall = median(rounds.map((r) => r.wallUs)).toFixed(1);
  const cpu = median(rounds.map((r) => r.cpuUs)).toFixed(1);
  process.stdout.write(
    `  ${`${name} a timeout`.padEnd(18)} ${wall} µs wall, ${cpu} µs CPU per call\n`,
  );
}
