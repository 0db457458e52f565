import { parseWorkerTaskCounts, workerTasksPerOrder } from './worker-tasks';

// Shaped as a worker's /metrics gives it: the SDK's series per task queue, orderflow's beside.
const METRICS = `# HELP temporal_sticky_cache_hit Count of times the workflow cache was used
# TYPE temporal_sticky_cache_hit counter
temporal_sticky_cache_hit{namespace="default",service_name="temporal-core-sdk",task_queue="orders-grocery"} 269
temporal_sticky_cache_hit{namespace="default",service_name="temporal-core-sdk",task_queue="orders"} 3
temporal_sticky_cache_hit_ratio{task_queue="orders-grocery"} 0.5
temporal_workflow_task_queue_poll_succeed{task_queue="orders-grocery"} 306
temporal_sticky_cache_total_forced_eviction{task_queue="orders-grocery"} 1e0
orderflow_db_commands_total{command="insert"} 120
`;

describe('parseWorkerTaskCounts', () => {
  it('sums each counter over its series, and only its own name', () => {
    expect(parseWorkerTaskCounts(METRICS)).toEqual({
      workflowTasks: 306,
      stickyCacheHits: 272,
      stickyCacheMisses: 0,
      forcedEvictions: 1,
    });
  });

  it('counts nothing in a text without the SDK metrics', () => {
    expect(parseWorkerTaskCounts('orderflow_db_commands_total 3\n')).toEqual({
      workflowTasks: 0,
      stickyCacheHits: 0,
      stickyCacheMisses: 0,
      forcedEvictions: 0,
    });
  });
});

describe('workerTasksPerOrder', () => {
  const before = {
    workflowTasks: 10,
    stickyCacheHits: 8,
    stickyCacheMisses: 0,
    forcedEvictions: 0,
  };
  const after = {
    workflowTasks: 90,
    stickyCacheHits: 78,
    stickyCacheMisses: 3,
    forcedEvictions: 0,
  };

  it('divides what was counted between the readings by the completed orders', () => {
    expect(workerTasksPerOrder(before, after, 10)).toEqual({
      workflowTasks: 8,
      stickyCacheHits: 7,
      stickyCacheMisses: 0.3,
      forcedEvictions: 0,
    });
  });

  it('is not measured without both readings or without orders', () => {
    expect(workerTasksPerOrder(undefined, after, 10)).toBeNull();
    expect(workerTasksPerOrder(before, after, 0)).toBeNull();
  });
});
