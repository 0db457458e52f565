// The app-event backlog gauge counts in the database at scrape time, but at most once every
// few seconds however often it is scraped, and a count the database fails reads as NaN
// (unknown; prom-client writes `Nan`, which Prometheus parses), not 0 and not an error that
// would fail the whole /metrics.
// test/app-events.e2e.test.ts sees it count a real pending delivery.

import { createApiMetrics } from './metrics';

const backlogOf = async (metrics: ReturnType<typeof createApiMetrics>) =>
  (await metrics.registry.getSingleMetricAsString('orderflow_app_event_deliveries_pending'))
    .split('\n')
    .at(-1);

afterEach(() => jest.useRealTimers());

test('scrapes within five seconds share one count; the next scrape counts again', async () => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  const metrics = createApiMetrics();
  let counts = 0;
  let pending = 3;
  metrics.observeAppEventBacklog(async () => {
    counts++;
    return pending;
  });
  const [first, second] = await Promise.all([backlogOf(metrics), backlogOf(metrics)]);
  expect([first, second, counts]).toEqual([
    'orderflow_app_event_deliveries_pending 3',
    'orderflow_app_event_deliveries_pending 3',
    1,
  ]);
  pending = 7;
  jest.advanceTimersByTime(4_000);
  expect([await backlogOf(metrics), counts]).toEqual([
    'orderflow_app_event_deliveries_pending 3',
    1,
  ]);
  jest.advanceTimersByTime(1_000);
  expect([await backlogOf(metrics), counts]).toEqual([
    'orderflow_app_event_deliveries_pending 7',
    2,
  ]);
});

test('a count the database fails or does not answer reads as NaN, and /metrics still answers', async () => {
  const failing = createApiMetrics();
  failing.observeAppEventBacklog(() => Promise.reject(new Error('database down')));
  expect(await backlogOf(failing)).toMatch(/^orderflow_app_event_deliveries_pending NaN$/i);
  expect(await failing.registry.metrics()).toContain('process_cpu_user_seconds_total');

  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  const hanging = createApiMetrics();
  hanging.observeAppEventBacklog(() => new Promise<number>(() => undefined));
  const scrape = backlogOf(hanging);
  await jest.advanceTimersByTimeAsync(2_000);
  expect(await scrape).toMatch(/^orderflow_app_event_deliveries_pending NaN$/i);
});
