import { serverTimingMs } from './server-timing';

describe('serverTimingMs', () => {
  test.each([
    ['ours alone', 'app;dur=5012.3', 5012.3],
    ['ours after a proxy’s', 'edge;dur=3, app;dur=41.0', 41],
    ['ours before another', 'app;dur=7,db;dur=2', 7],
  ])('reads %s', (_name, header, ms) => {
    expect(serverTimingMs(header)).toBe(ms);
  });

  test.each([
    ['no header', undefined],
    ['another metric only', 'db;dur=2'],
    ['a metric whose name merely ends like ours', 'webapp;dur=9'],
    ['ours without a duration', 'app'],
  ])('finds nothing in %s', (_name, header) => {
    expect(serverTimingMs(header)).toBeUndefined();
  });
});
