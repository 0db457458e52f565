// Lays out a Prometheus for a running orderflow in `dir`: this folder's prometheus.yml and
// rules.yml, and the scrape targets (host:port) as file_sd files, so whoever starts the
// processes (npm run start:cluster) tells Prometheus where they are without editing the config.

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ScrapeTargets {
  /** The API processes (their /metrics). */
  apis: readonly string[];
  /** The workers' WORKER_METRICS_PORT addresses. */
  workers: readonly string[];
  /** The Temporal server's metrics address, if it serves one. */
  temporal?: readonly string[];
}

const TARGET_FILES = { apis: 'api.json', workers: 'workers.json', temporal: 'temporal.json' };

const DEFAULT_INTERVAL = 'scrape_interval: 15s';

/**
 * Writes (or rewrites: Prometheus re-reads target files) the config into `dir`; its path.
 * `scrapeInterval` (e.g. '5s') replaces the default 15 s, for short runs.
 */
export function writePrometheusConfig(
  dir: string,
  targets: ScrapeTargets,
  options: { scrapeInterval?: string } = {},
): string {
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  const config = readFileSync(path.join(__dirname, 'prometheus.yml'), 'utf8');
  if (!config.includes(DEFAULT_INTERVAL))
    throw new Error(`prometheus.yml has no ${DEFAULT_INTERVAL}`);
  const interval = options.scrapeInterval ?? '15s';
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    config.replace(DEFAULT_INTERVAL, `scrape_interval: ${interval}`),
  );
  copyFileSync(path.join(__dirname, 'rules.yml'), path.join(dir, 'rules.yml'));
  for (const [kind, file] of Object.entries(TARGET_FILES)) {
    const list = targets[kind as keyof ScrapeTargets] ?? [];
    const groups = list.length > 0 ? [{ targets: [...list] }] : [];
    writeFileSync(path.join(dir, 'targets', file), `${JSON.stringify(groups, null, 2)}\n`);
  }
  return path.join(dir, 'prometheus.yml');
}

/** The `prometheus` command line for the config in `dir`, its data beside it. */
export function prometheusArgs(dir: string, listen = '127.0.0.1:9090'): string[] {
  return [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${listen}`,
  ];
}
