// Where a process's CPU went, from a V8 CPU profile (`node --cpu-prof`, written by the load
// generator's `--cpu-prof`): busy time by where the code comes from (an npm package, a folder
// of orderflow, the workflow sandbox, Node's internals, V8's garbage collector…) and the
// functions that took the most, by their own time and with what they called. Idle time is
// left out: what is reported is the CPU the process spent.

/** The parts of V8's `.cpuprofile` JSON read here. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  samples: number[];
  /** Microseconds since the previous sample (the first: since `startTime`). */
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Busy milliseconds in the samples counted. */
  busyMs: number;
  /** Busy milliseconds by origin, largest first. */
  byOrigin: [origin: string, ms: number][];
  /** Functions by their own (self) milliseconds, largest first. */
  bySelf: [fn: string, ms: number][];
  /**
   * Functions by the milliseconds of the samples they were on the stack of, largest first
   * (Node's and V8's own frames left out).
   */
  byTotal: [fn: string, ms: number][];
}

const NOT_WORK = new Set(['(idle)', '(root)']);
const GENERIC = /^(node internals|native: |V8: )/;

/** Where a frame's code comes from. */
export function originOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8: garbage collector';
    if (functionName === '(program)') return 'V8: (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.startsWith('evalmachine.')) return 'workflow sandbox (vm)';
  if (/workflow-bundle[^/]*\.js$/.test(url)) return 'workflow bundle';
  if (url.startsWith('wasm://')) return 'wasm';
  const ours = /\/(api|activities|workflows|workers|infra|domain|bench|dev|ops)\//.exec(url);
  if (ours) return `orderflow ${ours[1]}/`;
  return url;
}

const nameOf = (frame: CpuProfile['nodes'][number]['callFrame']) =>
  `${frame.functionName || '(anonymous)'} [${originOf(frame.url, frame.functionName)}${frame.url ? `:${frame.lineNumber + 1}` : ''}]`;

/** Summarises the samples taken `skipMs` or more after the profile started. */
export function summarise(profile: CpuProfile, options: { skipMs?: number; top?: number } = {}) {
  const top = options.top ?? 15;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);

  const origin = new Map<string, number>();
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) =>
    map.set(key, (map.get(key) ?? 0) + ms);

  let elapsedUs = 0;
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || NOT_WORK.has(node.callFrame.functionName)) return;
    if (elapsedUs < (options.skipMs ?? 0) * 1000) return;
    // A sample stands for the time until the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (ms === 0) return;
    busyMs += ms;
    add(origin, originOf(node.callFrame.url, node.callFrame.functionName), ms);
    add(self, nameOf(node.callFrame), ms);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)!.callFrame;
      // Node's and V8's own frames (the microtask loop, event emitters) are on nearly every
      // stack and say nothing of where the time went.
      if (
        !NOT_WORK.has(frame.functionName) &&
        !GENERIC.test(originOf(frame.url, frame.functionName))
      )
        onStack.add(nameOf(frame));
    }
    for (const fn of onStack) add(total, fn, ms);
  });

  const ranked = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return {
    busyMs,
    byOrigin: ranked(origin, top),
    bySelf: ranked(self, top),
    byTotal: ranked(total, top),
  } satisfies ProfileSummary;
}
