// The workflow code of a next release, for the rolling-deploy test: a copy of workflows/ in a
// temporary directory where changes.ts starts a new generation (taking in every LaterChange,
// as its header says to) and order.ts makes a change of its own, a timer before the order is
// offered to the provider: a new command where running orders' histories have another, as a
// real change would be. `guarded: false` leaves that change without its patch guard, the
// mistake the test must catch. Everything else resolves to the working tree's code.

import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../infra/telemetry/temporal-tracing';

const ROOT = path.resolve(__dirname, '..', '..');

/** The next release's generation and its one new change. */
export const NEXT_GENERATION = 'order-workflow-next-release';
const NEXT_CHANGE = 'pause-before-offering';

/** Edits `source` at `anchor` (which must occur exactly once): the copy is the code, or no test. */
function edit(file: string, source: string, anchor: string, replacement: string): string {
  const parts = source.split(anchor);
  if (parts.length !== 2)
    throw new Error(`${file}: expected "${anchor}" once, found it ${parts.length - 1} times`);
  return parts.join(replacement);
}

/** changes.ts with a new newest generation: the newest one's changes, every LaterChange, ours. */
function nextChanges(source: string): string {
  const union = /type LaterChange =([^;]*);/.exec(source)?.[1];
  if (union === undefined) throw new Error('changes.ts: no LaterChange type');
  // Right after a generation starts, LaterChange is `never`: no quoted ids.
  const taken = [...(union.match(/'[^']+'/g) ?? []), `'${NEXT_CHANGE}'`];
  const renamed = edit('changes.ts', source, 'const GENERATIONS = [', 'const EARLIER = [');
  const end = renamed.indexOf('] as const;', renamed.indexOf('const EARLIER = [')) + 11;
  const next = `
const GENERATIONS = [
  {
    id: '${NEXT_GENERATION}',
    changes: [...EARLIER[0].changes, ${taken.join(', ')}],
  },
  ...EARLIER,
] as const;`;
  return renamed.slice(0, end) + next + renamed.slice(end);
}

/** order.ts with the next release's change: a 1 ms timer before the first offer. */
function nextOrder(source: string, guarded: boolean): string {
  const pause = guarded
    ? `  if (has('${NEXT_CHANGE}')) await pauseBeforeOffering(1);\n`
    : '  await pauseBeforeOffering(1);\n';
  const anchor = '  const offers = new Offers(';
  return (
    "import { sleep as pauseBeforeOffering } from '@temporalio/workflow';\n" +
    edit('order.ts', source, anchor, pause + anchor)
  );
}

/** Bundles the next release's workflow code into `bundlePath`. */
export async function bundleNextWorkflowCode(options: {
  guarded: boolean;
  bundlePath: string;
}): Promise<void> {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'orderflow-next-workflows-'));
  try {
    const workflows = path.join(copy, 'workflows');
    cpSync(path.join(ROOT, 'workflows'), workflows, { recursive: true });
    const changes = path.join(workflows, 'changes.ts');
    writeFileSync(changes, nextChanges(readFileSync(changes, 'utf8')));
    const order = path.join(workflows, 'order.ts');
    writeFileSync(order, nextOrder(readFileSync(order, 'utf8'), options.guarded));
    // The copy's `../domain/…` (and any other way out of workflows/) is the working tree's;
    // packages come from the working tree's node_modules.
    const outside = Object.fromEntries(
      readdirSync(ROOT)
        .filter((name) => name !== 'workflows')
        .map((name) => [path.join(copy, name), path.join(ROOT, name)]),
    );
    const bundle = await bundleWorkflowCode({
      workflowsPath: workflows,
      workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
      webpackConfigHook: (config) => ({
        ...config,
        resolve: {
          ...config.resolve,
          modules: [...(config.resolve?.modules ?? []), path.join(ROOT, 'node_modules')],
          alias: { ...(config.resolve?.alias as Record<string, string | false>), ...outside },
        },
      }),
      logger: quietLogger,
    });
    writeFileSync(options.bundlePath, bundle.code);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => process.stderr.write(`next workflow bundle: ${message}\n`),
  log: () => undefined,
};
