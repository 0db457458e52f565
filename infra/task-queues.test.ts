// Pins where each kind of work runs in both layouts, and what a worker's lanes poll.

import { loadConfig } from './config';
import {
  appEventTaskQueue,
  maintenanceTaskQueue,
  orderTaskQueue,
  workerTaskQueues,
} from './task-queues';

const base = {
  MONGODB_URI: 'mongodb://127.0.0.1:27017/orderflow',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  API_TOKENS: 'checkout:app:0123456789abcdef',
};

describe('the single layout (the default)', () => {
  const { temporal } = loadConfig(base);

  test('runs everything on TEMPORAL_TASK_QUEUE but app events, which have their own', () => {
    expect(temporal.queueLayout).toBe('single');
    expect(orderTaskQueue(temporal, 'grocery')).toBe('orders');
    expect(orderTaskQueue(temporal, 'hotel')).toBe('orders');
    expect(maintenanceTaskQueue(temporal)).toBe('orders');
    expect(appEventTaskQueue(temporal)).toBe('orders-app-events');
  });

  test('one worker polls the one queue, whatever its lanes, and the app events when asked', () => {
    expect(workerTaskQueues(temporal)).toEqual(['orders', 'orders-app-events']);
    expect(workerTaskQueues(temporal, ['hotel', 'maintenance'])).toEqual(['orders']);
  });
});

describe('the per-vertical layout', () => {
  const { temporal } = loadConfig({
    ...base,
    TEMPORAL_TASK_QUEUE: 'shop',
    TEMPORAL_TASK_QUEUE_LAYOUT: 'per-vertical',
  });

  test("starts each vertical's orders on its own queue and maintenance on another", () => {
    expect(orderTaskQueue(temporal, 'grocery')).toBe('shop-grocery');
    expect(orderTaskQueue(temporal, 'hotel')).toBe('shop-hotel');
    expect(orderTaskQueue(temporal, 'teleconsultation')).toBe('shop-teleconsultation');
    expect(maintenanceTaskQueue(temporal)).toBe('shop-maintenance');
    expect(appEventTaskQueue(temporal)).toBe('shop-app-events');
  });

  test('a worker polls its lanes; with none, every queue and the old single one', () => {
    expect(workerTaskQueues(temporal, ['grocery'])).toEqual(['shop-grocery']);
    expect(workerTaskQueues(temporal, ['maintenance', 'legacy'])).toEqual([
      'shop-maintenance',
      'shop',
    ]);
    expect(workerTaskQueues(temporal)).toEqual([
      'shop-grocery',
      'shop-hotel',
      'shop-teleconsultation',
      'shop-maintenance',
      'shop-app-events',
      'shop',
    ]);
  });
});

describe('configuration', () => {
  test('WORKER_TASK_QUEUES reads lanes and refuses unknown ones, naming the variable', () => {
    expect(loadConfig({ ...base, WORKER_TASK_QUEUES: 'grocery, hotel' }).worker.lanes).toEqual([
      'grocery',
      'hotel',
    ]);
    expect(loadConfig({ ...base, WORKER_TASK_QUEUES: '' }).worker.lanes).toBeUndefined();
    expect(() => loadConfig({ ...base, WORKER_TASK_QUEUES: 'grocery,pharmacy' })).toThrow(
      /WORKER_TASK_QUEUES: unknown lane pharmacy/,
    );
  });

  test('TEMPORAL_TASK_QUEUE_LAYOUT takes only the two layouts', () => {
    expect(() => loadConfig({ ...base, TEMPORAL_TASK_QUEUE_LAYOUT: 'per-provider' })).toThrow(
      /TEMPORAL_TASK_QUEUE_LAYOUT/,
    );
  });
});
