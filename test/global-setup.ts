// Starts one Temporal dev server and one FerretDB (dev/stack.ts) for the whole integration run, on free
// ports with throwaway data (FerretDB on EMBEDDED_DB_BACKEND's backend, PostgreSQL by
// default, its cluster in the same temp dir), and bundles the workflow code once for every
// test worker.
// Each test file then uses its own database and task queue (test/support/harness.ts).

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { embeddedDbBackendFromEnv } from '../dev/embedded';
import { startEmbeddedStack } from '../dev/stack';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../infra/telemetry/temporal-tracing';
import { setServers } from './support/servers';

export default async function globalSetup(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orderflow-test-'));
  const [stack, bundle] = await Promise.all([
    startEmbeddedStack({ dataDir, database: { backend: embeddedDbBackendFromEnv() } }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
      logger: silentLogger,
    }),
  ]);
  const temporal = stack.temporal!;
  const ferret = stack.database!;
  const bundlePath = path.join(dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  // Test workers are spawned after global setup and inherit these.
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  process.env.TEST_MONGODB_URI = ferret.uri;
  process.env.TEST_WORKFLOW_BUNDLE_PATH = bundlePath;
  process.env.TEST_DB_BACKEND = ferret.backend;
  process.stderr.write(
    `\nintegration tests: FerretDB on ${ferret.backend} (EMBEDDED_DB_BACKEND)\n`,
  );
  setServers({ dataDir, servers: [stack] });
}

const silent = () => undefined;
const silentLogger = {
  log: silent,
  trace: silent,
  debug: silent,
  info: silent,
  warn: silent,
  error: silent,
};
