// `npm run bench:profile -- <dir or .cpuprofile files> [--skip S] [--top N] [--per ORDERS]`:
// where the CPU of each profiled process went. Point it at the folder that the load generator's
// `--cpu-prof DIR` filled (one folder per process, one profile per thread): for each process
// and thread it prints the busy milliseconds by origin (npm package, orderflow folder, workflow
// sandbox, Node internals, garbage collector…) and the costliest functions, by their own time
// and with what they called. `--skip S` leaves out the first S seconds of each profile (the
// process's start-up: module loading, the workflow bundle); `--per N` also prints milliseconds
// per order for a run of N orders.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { summarise, type CpuProfile } from './lib/cpu-profile';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    skip: { type: 'string' },
    top: { type: 'string' },
    per: { type: 'string' },
  },
});
if (positionals.length === 0) {
  process.stderr.write(
    'usage: npm run bench:profile -- <dir | file.cpuprofile…> [--skip S] [--top N] [--per ORDERS]\n',
  );
  process.exit(2);
}
const skipMs = Number(values.skip ?? 0) * 1000;
const top = Number(values.top ?? 12);
const perOrders = values.per === undefined ? undefined : Number(values.per);
if (![skipMs, top].every(Number.isFinite) || (perOrders !== undefined && !(perOrders > 0))) {
  process.stderr.write('--skip, --top and --per take numbers (--per above 0)\n');
  process.exit(2);
}

/** Every `.cpuprofile` under the arguments. */
function profiles(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory()
      ? profiles(readdirSync(p).map((entry) => path.join(p, entry)))
      : p.endsWith('.cpuprofile')
        ? [p]
        : [],
  );
}

/** `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`: thread 0 is the main thread. */
function threadOf(file: string): string {
  const thread = path.basename(file).split('.')[4];
  return thread === '0' ? 'main thread' : `thread ${thread}`;
}

/** Function names can be whole regular expressions (V8 names a RegExp's code by its source). */
const short = (name: string) => (name.length > 110 ? `${name.slice(0, 107)}...` : name);

const ms = (value: number) =>
  `${value.toFixed(0).padStart(7)} ms${perOrders ? ` ${(value / perOrders).toFixed(2).padStart(6)} ms/order` : ''}`;

const files = profiles(positionals).sort();
if (files.length === 0) {
  process.stderr.write(`no .cpuprofile under ${positionals.join(', ')}\n`);
  process.exit(1);
}
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = summarise(profile, { skipMs, top });
  const lines = [
    `${path.basename(path.dirname(file))}, ${threadOf(file)} (${path.basename(file)}): busy ${ms(summary.busyMs)}`,
    '  by origin:',
    ...summary.byOrigin.map(([origin, t]) => `  ${ms(t)}  ${short(origin)}`),
    '  functions, own time:',
    ...summary.bySelf.map(([fn, t]) => `  ${ms(t)}  ${short(fn)}`),
    '  functions, with what they called:',
    ...summary.byTotal.map(([fn, t]) => `  ${ms(t)}  ${short(fn)}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
