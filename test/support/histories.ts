// Recording workflow histories for the replay test. `npm run record-histories` re-runs the
// scenarios with RECORD_HISTORIES=1, which writes each one to test/histories/<name>.json.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { orderWorkflowId } from '../../workflows/messages';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');

/** Records the order's workflow, or another (its after-sales run: `workflowId`, `runId`). */
export async function recordHistory(
  temporal: Client,
  orderId: string,
  name: string,
  run: { workflowId: string; runId?: string } = { workflowId: orderWorkflowId(orderId) },
): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const handle = temporal.workflow.getHandle(run.workflowId, run.runId);
  await handle.result().catch(() => undefined); // record finished workflows only
  const history = await handle.fetchHistory();
  writeFileSync(
    path.join(HISTORIES_DIR, `${name}.json`),
    `${JSON.stringify(toPlainObject(history), null, 1)}\n`,
  );
}

// Stored with protobufjs's own object form (enums by name, 64-bit ints and bytes as strings),
// which `loadHistory` turns back into the identical protobuf message.
const plainOptions = { enums: String, longs: String, bytes: String } as const;

function toPlainObject(history: proto.api.history.v1.IHistory): object {
  return proto.api.history.v1.History.toObject(
    proto.api.history.v1.History.fromObject(history),
    plainOptions,
  );
}

export function loadHistory(json: unknown): proto.api.history.v1.History {
  return proto.api.history.v1.History.fromObject(json as object);
}
