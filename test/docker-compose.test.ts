// The docker compose stack, as `docker-compose config` resolves it: every service is there,
// api and worker share one environment that points at the replica set and at Temporal, they
// set only variables infra/config.ts knows, and without API_TOKENS the file refuses to
// resolve, so no default secret ships. Needs Debian's docker-compose (dev/bootstrap.sh
// --for-tests installs it); no Docker engine is needed.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

test('the stack has Temporal on PostgreSQL with its UI, MongoDB, the API and the worker', () => {
  expect(Object.keys(services).sort()).toEqual([
    'api',
    'mongodb',
    'postgresql',
    'temporal',
    'temporal-search-attributes',
    'temporal-ui',
    'worker',
  ]);
  expect(services.api!.build).toBeDefined();
  expect(services.worker!.build).toBeDefined();
  expect(services.api!.command).toBeUndefined(); // the image's default: node dist/api/server.js
  expect(services.worker!.command).toEqual(['node', 'dist/workers/order-worker.js']);
  expect(services.mongodb!.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
  // Third-party images carry an explicit tag, never an implicit or explicit `latest`.
  for (const name of ['postgresql', 'temporal', 'temporal-ui', 'mongodb']) {
    expect(services[name]!.image).toMatch(/^[^:]+:(?!latest$)[\w.-]+$/);
  }
});

test('api and worker reach the replica set and Temporal through one shared environment', () => {
  const api = services.api!.environment!;
  const worker = services.worker!.environment!;
  for (const env of [api, worker]) {
    expect(env.MONGODB_URI).toMatch(/^mongodb:\/\/mongodb:27017\/\w+\?(.*&)?replicaSet=rs0(&|$)/);
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(env.API_TOKENS).toBe(TEST_TOKENS);
  }
  // The worker's environment is the API's, minus the HTTP listener settings.
  const { HOST, PORT, ...shared } = api;
  expect(worker).toEqual(shared);
  expect(HOST).toBe('0.0.0.0');
  expect(PORT).toBe('3000');
});

test('api and worker set only variables that infra/config.ts reads', () => {
  const known = configSchemaKeys();
  expect([...known]).toEqual(
    expect.arrayContaining(['MONGODB_URI', 'TEMPORAL_ADDRESS', 'API_TOKENS', 'HOST', 'PORT']),
  );
  for (const name of ['api', 'worker']) {
    const unknown = Object.keys(services[name]!.environment ?? {}).filter((key) => !known.has(key));
    expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
  }
});

test('without API_TOKENS the compose file does not resolve: no default secret ships', () => {
  const result = composeConfig({});
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('API_TOKENS');
});
