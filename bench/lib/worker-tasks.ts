// What the workers themselves counted during a run, from the Temporal SDK's metrics on each
// worker's /metrics (a worker with WORKER_METRICS_PORT: the cluster's): workflow tasks taken,
// and whether each found its workflow in the worker's sticky cache. A cache miss means the
// workflow's whole history was fetched and replayed; a forced eviction, that the cache was full.
// Per completed order, they tell whether a topology makes its workers do more work per order
// or only pay more for the same work.
//
// They are not an exact ledger of a history's workflow tasks (sdk-core 1.24): a task the server
// hands back in a completion's answer (events arrived while the worker ran the last one) is a
// cache hit that no poll counted, and a task that reached a worker through the normal queue
// (the sticky queue's schedule-to-start timeout passed, as on a busy machine) carries the whole
// history and counts as neither hit nor miss, though it is replayed.

/** The SDK counters read, each summed over every series (task queue, namespace...). */
const COUNTERS = {
  workflowTasks: 'temporal_workflow_task_queue_poll_succeed',
  stickyCacheHits: 'temporal_sticky_cache_hit',
  stickyCacheMisses: 'temporal_sticky_cache_miss',
  forcedEvictions: 'temporal_sticky_cache_total_forced_eviction',
} as const;

export type WorkerTaskCounts = Record<keyof typeof COUNTERS, number>;

/** The counters in one Prometheus text exposition; a counter not there (never counted) is 0. */
export function parseWorkerTaskCounts(text: string): WorkerTaskCounts {
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value)) byName.set(match[1]!, (byName.get(match[1]!) ?? 0) + value);
  }
  const counts = {} as WorkerTaskCounts;
  for (const [key, name] of Object.entries(COUNTERS) as [keyof WorkerTaskCounts, string][])
    counts[key] = byName.get(name) ?? 0;
  return counts;
}

/** Every worker's counters added up; undefined when there are none or one did not answer. */
export async function readWorkerTaskCounts(
  metricsUrls: readonly string[],
): Promise<WorkerTaskCounts | undefined> {
  if (metricsUrls.length === 0) return undefined;
  try {
    const texts = await Promise.all(
      metricsUrls.map(async (url) => {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        return response.text();
      }),
    );
    return texts.map(parseWorkerTaskCounts).reduce(addCounts);
  } catch {
    return undefined;
  }
}

/** What the workers counted between two readings, per completed order (null: not measured). */
export function workerTasksPerOrder(
  before: WorkerTaskCounts | undefined,
  after: WorkerTaskCounts | undefined,
  orders: number,
): WorkerTaskCounts | null {
  if (!before || !after || orders === 0) return null;
  const perOrder = {} as WorkerTaskCounts;
  for (const key of Object.keys(COUNTERS) as (keyof WorkerTaskCounts)[])
    perOrder[key] = Math.round(((after[key] - before[key]) / orders) * 1000) / 1000;
  return perOrder;
}

function addCounts(a: WorkerTaskCounts, b: WorkerTaskCounts): WorkerTaskCounts {
  const sum = {} as WorkerTaskCounts;
  for (const key of Object.keys(COUNTERS) as (keyof WorkerTaskCounts)[]) sum[key] = a[key] + b[key];
  return sum;
}
