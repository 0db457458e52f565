// `npm run faults -- [--cluster] [--orders N] [--short] [--seed N] [--out report.json]
// [--keep-data]`: runs the fault suite (ops/faults/suite.ts) on the dev-server stack, or with
// `--cluster` on the production topology (ops/faults/cluster.ts); prints its summary, writes
// the JSON report (by default into the temp dir) and exits 0 only when the reconciliation
// found no breach and no promise to a client or provider was broken; 1 when something was;
// 2 when the suite itself could not run. docs/RELIABILITY.md describes runs and their figures.

import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary } from './report';
import { runFaultSuite } from './suite';

const USAGE =
  'usage: npm run faults -- [--cluster] [--orders N] [--short] [--seed N] [--out report.json] [--keep-data] [--checkout-margin-ms N]\n';

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        orders: { type: 'string' },
        short: { type: 'boolean', default: false },
        cluster: { type: 'boolean', default: false },
        seed: { type: 'string', default: '1' },
        out: { type: 'string' },
        'keep-data': { type: 'boolean', default: false },
        'checkout-margin-ms': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const integer = (name: string, value: string | undefined, min: number) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min)
      throw new Error(`--${name} must be an integer ≥ ${min}`);
    return parsed;
  };
  let orders, seed, margin;
  try {
    orders = integer('orders', values.orders, 3);
    seed = integer('seed', values.seed, 0);
    margin = integer('checkout-margin-ms', values['checkout-margin-ms'], 0);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const out =
    values.out ??
    path.join(
      os.tmpdir(),
      `orderflow-faults-${values.cluster ? 'cluster-' : ''}${values.short ? 'short' : 'full'}-seed-${seed}.json`,
    );
  const report = await runFaultSuite({
    short: values.short,
    cluster: values.cluster,
    ...(orders !== undefined ? { orders } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(margin !== undefined ? { checkoutMarginMs: margin } : {}),
    out,
    keepData: values['keep-data'],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(formatSummary(report));
  process.stdout.write(`report written to ${out}\n`);
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // Child processes and sockets are closed; exit even if a handle lingers.
      process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(
        `fault suite failed to run: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(2);
    },
  );
}
