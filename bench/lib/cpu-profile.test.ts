import { originOf, summarise, type CpuProfile } from './cpu-profile';

// root → handler (orderflow api/) → find (mongoose) → serialize (bson); idle beside them.
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3, 6] },
    { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    {
      id: 3,
      callFrame: { functionName: 'handler', url: 'file:///w/api/routes/orders.ts', lineNumber: 9 },
      children: [4],
    },
    {
      id: 4,
      callFrame: {
        functionName: 'find',
        url: 'file:///w/node_modules/mongoose/lib/query.js',
        lineNumber: 99,
      },
      children: [5],
    },
    {
      id: 5,
      callFrame: {
        functionName: 'serialize',
        url: 'file:///w/node_modules/bson/lib/bson.cjs',
        lineNumber: 0,
      },
    },
    { id: 6, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
  ],
  startTime: 0,
  // Each sample stands for the delta that follows it: 2 ms, 3 ms, 1 ms, 4 ms, 10 ms, 5 ms.
  samples: [3, 4, 5, 5, 2, 6, 3],
  timeDeltas: [0, 2000, 3000, 1000, 4000, 10000, 5000],
};

describe('a CPU profile summary', () => {
  it('counts busy time only, by origin and by function, self and total', () => {
    const summary = summarise(PROFILE);
    // handler 2 + find 3 + serialize 1 + 4 + GC 5; idle's 10 ms and the last sample's 0 left out.
    expect(summary.busyMs).toBe(15);
    expect(summary.byOrigin).toEqual([
      ['bson', 5],
      ['V8: garbage collector', 5],
      ['mongoose', 3],
      ['orderflow api/', 2],
    ]);
    expect(summary.bySelf[0]).toEqual(['serialize [bson:1]', 5]);
    // handler was on the stack of its own, find's and serialize's samples.
    expect(summary.byTotal[0]).toEqual(['handler [orderflow api/:10]', 10]);
    expect(summary.byTotal).toContainEqual(['find [mongoose:100]', 8]);
  });

  it('leaves out the samples before skipMs (start-up)', () => {
    // Samples at 0, 2, 5, 6, 10, 20, 25 ms: from 6 ms on, serialize's 4 ms and GC's 5 ms.
    const summary = summarise(PROFILE, { skipMs: 6 });
    expect(summary.busyMs).toBe(9);
    expect(summary.byOrigin.map(([origin]) => origin)).toEqual(['V8: garbage collector', 'bson']);
  });
});

describe('where code comes from', () => {
  it.each([
    ['file:///w/node_modules/@temporalio/worker/lib/worker.js', 'run', '@temporalio/worker'],
    ['node:internal/crypto/cipher', 'createCipher', 'node internals'],
    ['evalmachine.<anonymous>', 'x', 'workflow sandbox (vm)'],
    ['file:///tmp/d/workflow-bundle-ab12.js', 'order', 'workflow bundle'],
    ['file:///w/infra/payments/sandbox.ts', 'applyOnce', 'orderflow infra/'],
    ['', 'postMessage', 'native: postMessage'],
  ])('%s %s → %s', (url, fn, origin) => {
    expect(originOf(url, fn)).toBe(origin);
  });
});
