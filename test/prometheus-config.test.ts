// ops/prometheus/ as Prometheus itself reads it: the config laid out by setup.ts (with targets)
// passes `promtool check config`, the rules pass `promtool check rules`, and the alerts fire,
// or stay quiet, on the series of rules.test.yml (`promtool test rules`). promtool is
// Debian's (dev/bootstrap.sh --for-tests installs it). test/worker-metrics.e2e.test.ts runs a
// real Prometheus on this config against a worker.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePrometheusConfig } from '../ops/prometheus/setup';

const PROMETHEUS_DIR = path.resolve(__dirname, '..', 'ops', 'prometheus');

function promtool(...args: string[]) {
  const result = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error)
    throw new Error(
      `could not run promtool (${result.error.message}); install it with bash dev/bootstrap.sh --for-tests`,
    );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-prometheus-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the config with its targets and rules passes promtool check config', () => {
  const config = writePrometheusConfig(dir, {
    apis: ['127.0.0.1:3001', '127.0.0.1:3002'],
    workers: ['127.0.0.1:9465', '127.0.0.1:9466'],
  });
  const result = promtool('check', 'config', config);
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  expect(result.output).toContain('is valid prometheus config file syntax');
});

test('the recording rules and alerts pass promtool check rules', () => {
  const result = promtool('check', 'rules', path.join(PROMETHEUS_DIR, 'rules.yml'));
  expect(result).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS: \d+ rules found/) });
});

test('the alerts fire on the series of rules.test.yml and stay quiet otherwise', () => {
  const result = promtool('test', 'rules', path.join(PROMETHEUS_DIR, 'rules.test.yml'));
  expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
});

test('a broken rule fails promtool, so the checks above can fail', () => {
  const broken = path.join(dir, 'broken-rules.yml');
  writeFileSync(
    broken,
    'groups:\n  - name: x\n    rules:\n      - record: a:b\n        expr: sum(rate(x[5m])\n',
  );
  expect(promtool('check', 'rules', broken).status).not.toBe(0);
});
