import { SHARED_WORKERS } from '../../dev/cluster/topology';
import { workerGroup } from './cluster-runtime';

test('a worker of one vertical is measured with that vertical’s group', () => {
  expect(workerGroup(['grocery'])).toBe('worker-grocery');
  expect(workerGroup(['teleconsultation'])).toBe('worker-teleconsultation');
  expect(workerGroup(['maintenance', 'app-events', 'legacy'])).toBe('worker-maintenance');
});

test('a worker serving several verticals is measured as the dev server’s one worker is', () => {
  expect(workerGroup(['grocery', 'hotel'])).toBe('worker');
  for (const spec of SHARED_WORKERS) expect(workerGroup(spec.lanes)).toBe('worker');
});
