// The docker compose stack, as `docker-compose config` resolves it: cluster mode's topology
// (two APIs behind nginx, workers per vertical queue, Prometheus scraping them all) sharing one
// environment that points at the replica set and at Temporal, setting only variables
// infra/config.ts knows; and without API_TOKENS the file refuses to resolve, so no default
// secret ships. Needs Debian's docker-compose and promtool (dev/bootstrap.sh --for-tests
// installs them); no Docker engine is needed.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..');
const TEST_TOKENS = 'checkout:app:test-checkout-token,desk:support:test-support-token';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: unknown[];
  volumes?: string[];
}

/** Runs `docker-compose -f docker-compose.yml config` with only the given extra variables. */
function composeConfig(extraEnv: Record<string, string>) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv };
  const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) {
    throw new Error(
      `could not run docker-compose (${result.error.message}); install it with bash dev/bootstrap.sh --for-tests`,
    );
  }
  return result;
}

/** The variable names of infra/config.ts's envSchema, read from its source text. */
function configSchemaKeys(): Set<string> {
  const source = readFileSync(path.join(root, 'infra/config.ts'), 'utf8');
  const block = /const envSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!block) throw new Error('envSchema not found in infra/config.ts');
  return new Set([...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]!));
}

let services: Record<string, Service>;

beforeAll(() => {
  const result = composeConfig({ API_TOKENS: TEST_TOKENS });
  if (result.status !== 0) throw new Error(`docker-compose config failed:\n${result.stderr}`);
  services = (parse(result.stdout) as { services: Record<string, Service> }).services;
});

const APIS = ['api-1', 'api-2'];
/** Cluster mode's workers (dev/cluster/topology.ts) and the lanes each polls. */
const WORKERS: Record<string, string> = {
  'worker-grocery-1': 'grocery',
  'worker-grocery-2': 'grocery',
  'worker-hotel': 'hotel',
  'worker-teleconsultation': 'teleconsultation',
  'worker-maintenance': 'maintenance,app-events,legacy',
};

test("the stack is cluster mode's topology: Temporal on PostgreSQL with its UI, MongoDB, two APIs behind nginx, workers per queue, Prometheus", () => {
  expect(Object.keys(services).sort()).toEqual(
    [
      ...APIS,
      ...Object.keys(WORKERS),
      'mongodb',
      'postgresql',
      'prometheus',
      'proxy',
      'temporal',
      'temporal-search-attributes',
      'temporal-ui',
    ].sort(),
  );
  for (const name of [...APIS, ...Object.keys(WORKERS)])
    expect(services[name]!.build).toBeDefined();
  for (const name of APIS) {
    expect(services[name]!.command).toBeUndefined(); // the image's default: node dist/api/server.js
    expect(services[name]!.ports).toBeUndefined(); // reached through the proxy only
  }
  for (const name of Object.keys(WORKERS))
    expect(services[name]!.command).toEqual(['node', 'dist/workers/order-worker.js']);
  expect(services.mongodb!.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
  expect(services.proxy!.ports).toEqual([expect.objectContaining({ published: 3000 })]);
  // Third-party images carry an explicit tag, never an implicit or explicit `latest`.
  for (const name of ['postgresql', 'temporal', 'temporal-ui', 'mongodb', 'proxy', 'prometheus']) {
    expect(services[name]!.image).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
  }
});

test("the proxy's nginx config sends requests to both APIs", () => {
  const conf = readFileSync(path.join(root, 'infra/nginx/orderflow.conf'), 'utf8');
  const upstreams = [...conf.matchAll(/^\s*server (\S+?):3000\b/gm)].map((match) => match[1]);
  expect(upstreams.sort()).toEqual(APIS);
});

test('APIs and workers reach the replica set and Temporal through one shared environment, queues per vertical', () => {
  const api = services['api-1']!.environment!;
  expect(services['api-2']!.environment).toEqual(api);
  expect(api.MONGODB_URI).toMatch(/^mongodb:\/\/mongodb:27017\/\w+\?(.*&)?replicaSet=rs0(&|$)/);
  expect(api.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(api.API_TOKENS).toBe(TEST_TOKENS);
  expect(api.TEMPORAL_TASK_QUEUE_LAYOUT).toBe('per-vertical');
  // A worker's environment is the API's, with its metrics port instead of the API's, plus the
  // queues it polls.
  const { PORT, TRUST_PROXY, ...shared } = api;
  for (const [name, lanes] of Object.entries(WORKERS))
    expect({ name, env: services[name]!.environment }).toEqual({
      name,
      env: { ...shared, WORKER_METRICS_PORT: '9464', WORKER_TASK_QUEUES: lanes },
    });
  const { HOST } = api;
  expect({ HOST, PORT, TRUST_PROXY }).toEqual({
    HOST: '0.0.0.0',
    PORT: '3000',
    TRUST_PROXY: 'uniquelocal',
  });
});

test("Prometheus runs ops/prometheus/'s config and rules, scraping both APIs, every worker and Temporal", () => {
  // The files as the container sees them: each bind mount copied to its target path.
  const root = mkdtempSync(path.join(os.tmpdir(), 'orderflow-compose-prometheus-'));
  try {
    const binds = services.prometheus!.volumes!.filter((volume) => volume.startsWith('/'));
    for (const [source, target] of binds.map((volume) => volume.split(':')))
      cpSync(source!, path.join(root, target!), { recursive: true });
    const config = path.join(root, 'etc/prometheus/prometheus.yml');
    const check = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    if (check.error) throw new Error(`could not run promtool (${check.error.message})`);
    expect({ status: check.status, output: check.stdout }).toEqual({
      status: 0,
      output: expect.stringMatching(/SUCCESS: 1 rule files found/),
    });
    const targets = (file: string) =>
      (
        JSON.parse(readFileSync(path.join(root, 'etc/prometheus/targets', file), 'utf8')) as {
          targets: string[];
        }[]
      ).flatMap((group) => group.targets);
    const apiPort = services['api-1']!.environment!.PORT;
    expect(targets('api.json')).toEqual(APIS.map((name) => `${name}:${apiPort}`));
    expect(targets('workers.json')).toEqual(
      Object.keys(WORKERS).map(
        (name) => `${name}:${services[name]!.environment!.WORKER_METRICS_PORT}`,
      ),
    );
    const temporalMetrics = services.temporal!.environment!.PROMETHEUS_ENDPOINT!;
    expect(targets('temporal.json')).toEqual([`temporal:${temporalMetrics.split(':')[1]}`]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('APIs and workers set only variables that infra/config.ts reads', () => {
  const known = configSchemaKeys();
  expect([...known]).toEqual(
    expect.arrayContaining(['MONGODB_URI', 'TEMPORAL_ADDRESS', 'API_TOKENS', 'HOST', 'PORT']),
  );
  for (const name of [...APIS, ...Object.keys(WORKERS)]) {
    const unknown = Object.keys(services[name]!.environment ?? {}).filter((key) => !known.has(key));
    expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
  }
});

test('without API_TOKENS the compose file does not resolve: no default secret ships', () => {
  const result = composeConfig({});
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('API_TOKENS');
});
