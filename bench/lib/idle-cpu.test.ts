import { idleRates, idleReport, netOfIdle } from './idle-cpu';

type Name = 'api' | 'worker' | 'generator';

test('idle rates are each process’s CPU seconds per second between the snapshots', () => {
  const rates = idleRates<Name>(
    { api: 10, worker: 20, generator: 1 },
    { api: 10.5, worker: 22, generator: 1.2 },
    20,
  );
  expect(rates).toEqual({ api: 0.025, worker: 0.1, generator: expect.closeTo(0.01, 10) });
});

test('a process missing from either snapshot has no idle rate', () => {
  expect(idleRates<Name>({ api: 1 }, { api: 2, worker: 5 }, 10)).toEqual({ api: 0.1 });
  expect(idleRates<Name>({ api: 1 }, { api: 2 }, 0)).toEqual({});
});

test('each process’s idle over the run comes off its CPU before dividing by the orders', () => {
  // 60 s of run: the API idled at 0.01 CPU s/s (0.6 s of its 3.6), the worker at 0.05 (3 of 12).
  const net = netOfIdle<Name>(
    { api: 3.6, worker: 12, generator: 2 },
    { api: 0.01, worker: 0.05, generator: 0 },
    60,
    180,
  );
  expect(net.api).toBeCloseTo(3 / 180, 10);
  expect(net.worker).toBeCloseTo(9 / 180, 10);
  expect(net.generator).toBeCloseTo(2 / 180, 10);
  // The serving processes together: the generator is not one of them.
  expect(net.server).toBeCloseTo(12 / 180, 10);
});

test('without every serving process’s idle rate there is no total to compare', () => {
  const net = netOfIdle<Name>({ api: 3, worker: 12, generator: 2 }, { api: 0.01 }, 60, 100);
  expect(net.api).toBeCloseTo(2.4 / 100, 10);
  expect(net).not.toHaveProperty('worker');
  expect(net).not.toHaveProperty('server');
});

test('no orders, no figures per order', () => {
  expect(netOfIdle<Name>({ api: 3 }, { api: 0.01 }, 60, 0)).toEqual({});
});

test('the report rounds the rates to 0.1 ms a second and the net figures to 1 ms an order', () => {
  expect(
    idleReport<Name>(20, { api: 0.012345, worker: 0.05 }, { api: 3.6, worker: 12 }, 60, 180),
  ).toEqual({
    seconds: 20,
    cpuSecondsPerSecond: { api: 0.0123, worker: 0.05 },
    cpuSecondsPerOrderNetOfIdle: { api: 0.016, worker: 0.05, server: 0.066 },
  });
});
