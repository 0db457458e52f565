// A worker as a process of its own, started with the harness's configuration, so a test can
// stop it the way an operator or a crash would (SIGTERM, SIGKILL) and watch it go.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { diesWithParent } from '../../dev/supervisor';
import { typescriptEntry } from '../../dev/service-entry';
import { TEST_PAYLOAD_KEY, type Harness } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Runs `script` (a path from the repository's root) under node with tsx's loader, as the
 * cluster does, with `env` added to the harness's settings; its output is collected.
 */
export function startWorkerProcess(
  harness: Pick<Harness, 'config'>,
  script: string,
  env: Record<string, string> = {},
) {
  const { config } = harness;
  // Killed with the test's process, however it ends: a test that times out before it stops its
  // worker must not leave one running (and polling) after the run.
  const child = spawn(...diesWithParent(process.execPath, typescriptEntry(script), 'SIGKILL'), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      MONGODB_URI: config.mongodbUri,
      TEMPORAL_ADDRESS: config.temporal.address,
      TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
      WORKFLOW_BUNDLE_PATH: config.worker.workflowBundlePath,
      PAYLOAD_ENCRYPTION_KEYS: `${TEST_PAYLOAD_KEY.id}:${TEST_PAYLOAD_KEY.key}`,
      API_TOKENS: 'unused:app:unused-token-0001',
      REFUND_WINDOW_SECONDS: '0',
      ALLOW_PRIVATE_WEBHOOKS: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}
