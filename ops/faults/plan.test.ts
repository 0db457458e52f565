import { FAULT_KINDS, faultCount, makePlan, STACK_FAULT_KINDS } from './plan';

describe('the fault suite plan', () => {
  it('is the same for the same seed and differs for another', () => {
    const options = { seed: 7, orders: 50, short: false };
    expect(makePlan(options)).toEqual(makePlan(options));
    expect(makePlan({ ...options, seed: 8 }).orders).not.toEqual(makePlan(options).orders);
  });

  it.each([
    { short: true, orders: 30 },
    { short: false, orders: 300 },
  ])(
    'injects every kind of fault, one after the other, within the load ($orders orders)',
    ({ short, orders }) => {
      const plan = makePlan({ seed: 1, orders, short });
      expect(plan.kinds).toEqual(STACK_FAULT_KINDS);
      for (const kind of STACK_FAULT_KINDS)
        expect(plan.faults.filter((f) => f.kind === kind)).toHaveLength(faultCount(kind, short));
      const moments = plan.faults.map((f) => f.atMs);
      expect(moments).toEqual([...moments].sort((a, b) => a - b));
      expect(Math.max(...moments)).toBeLessThan(plan.loadMs);
      const outage = plan.faults.find((f) => f.kind === 'database_outage')!;
      expect(outage.downMs).toBe(short ? 5_000 : 15_000);
    },
  );

  it('kills the worker at least three times in a full run', () => {
    expect(faultCount('worker_kill', false)).toBeGreaterThanOrEqual(3);
  });

  it("in cluster mode injects the kinds asked for, and keeps a killed worker down for seconds (its queue's other worker carries on)", () => {
    const plan = makePlan({ seed: 1, orders: 30, short: true, kinds: FAULT_KINDS, cluster: true });
    expect(new Set(plan.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    const kill = plan.faults.find((f) => f.kind === 'worker_kill')!;
    expect(kill.downMs).toBeGreaterThanOrEqual(3_000);
    const restart = plan.faults.find((f) => f.kind === 'temporal_database_restart')!;
    expect(restart.downMs).toBeGreaterThanOrEqual(1_000);
  });

  it('places orders of all three verticals with distinct keys, within the load', () => {
    const plan = makePlan({ seed: 3, orders: 5, short: true });
    expect(new Set(plan.orders.map((o) => o.vertical))).toEqual(
      new Set(['grocery', 'hotel', 'teleconsultation']),
    );
    expect(new Set(plan.orders.map((o) => o.key)).size).toBe(5);
    for (const order of plan.orders) {
      expect(order.atMs).toBeGreaterThanOrEqual(0);
      expect(order.atMs).toBeLessThan(plan.loadMs);
    }
  });

  it('leaves out doctors who never show up from a short run (too slow to find out)', () => {
    const plan = makePlan({ seed: 1, orders: 400, short: true });
    expect(plan.orders.some((o) => o.scenario === 'doctor_absent')).toBe(false);
    expect(
      makePlan({ seed: 1, orders: 400, short: false }).orders.some(
        (o) => o.scenario === 'doctor_absent',
      ),
    ).toBe(true);
  });
});
