// Latency summaries for the load generator: nearest-rank percentiles over recorded samples.

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array (undefined when empty). */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function summarise(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: round1(percentile(sorted, 50) ?? 0),
    p95: round1(percentile(sorted, 95) ?? 0),
    p99: round1(percentile(sorted, 99) ?? 0),
    max: round1(sorted[sorted.length - 1] ?? 0),
    mean: round1(sorted.length ? sum / sorted.length : 0),
  };
}

/** `count` per `per`, rounded to 3 decimals (0 when `per` is 0). */
export function ratePer(count: number, per: number): number {
  return per > 0 ? Math.round((count / per) * 1000) / 1000 : 0;
}

export function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}
