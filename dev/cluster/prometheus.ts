// Debian's Prometheus for cluster mode, on ops/prometheus/'s config and rules with the
// cluster's own targets (the APIs, each worker's WORKER_METRICS_PORT, the Temporal server):
// in the foreground, its config, data and log in the data directory.

import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  prometheusArgs,
  writePrometheusConfig,
  type ScrapeTargets,
} from '../../ops/prometheus/setup';
import { launch, untilAnswering, type EmbeddedServer } from '../embedded';

const PROMETHEUS = '/usr/bin/prometheus';

export interface PrometheusServer extends EmbeddedServer {
  url: string;
}

export async function startPrometheus(options: {
  dataDir: string;
  port: number;
  targets: ScrapeTargets;
  /** How often each target is scraped; ops/prometheus/prometheus.yml's 15 s by default. */
  scrapeInterval?: string;
}): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS))
    throw new Error(
      "no prometheus: install Debian's prometheus (apt-get install -y prometheus; npm run start:cluster does as root)",
    );
  const dir = path.join(options.dataDir, 'prometheus');
  writePrometheusConfig(dir, options.targets, { scrapeInterval: options.scrapeInterval });
  const listen = `127.0.0.1:${options.port}`;
  const child = launch(
    PROMETHEUS,
    prometheusArgs(dir, listen),
    path.join(options.dataDir, 'prometheus.log'),
    { dataDir: options.dataDir },
  );
  const url = `http://${listen}`;
  await untilAnswering('Prometheus', child, `${url}/-/ready`, 30_000);
  return { url, stop: child.stop };
}
