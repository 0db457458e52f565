// Which changes to the order workflow a run has. Every change to a workflow that has already
// run is guarded, so recorded histories keep replaying. A run started by today's code has
// every change listed here, recorded once (one patch marker for the lot, not one each); a run
// started by older code replays each change exactly as its history recorded it.
//
// Adding a change: guard it with `has('<new-id>')` and add the id to CHANGES; bump
// CURRENT_GENERATION only together with re-recorded histories (npm run record-histories).

import { patched } from '@temporalio/workflow';

export const CHANGES = [
  'serial-read-model-writes',
  'answers-after-read-model',
  'expiry-notifies-provider',
  'payment-decision-recorded',
  'order-search-attributes',
  'refund-window-after-close',
  'delivery-overdue-attention',
  'local-read-model-writes',
] as const;
export type ChangeId = (typeof CHANGES)[number];

/** Runs started from here on carry every change in CHANGES. */
const CURRENT_GENERATION = 'order-workflow-2026-11-25';

export type Changes = (change: ChangeId) => boolean;

/** Call first thing in the workflow, once per run. */
export function changesOfThisRun(): Changes {
  const current = patched(CURRENT_GENERATION);
  return (change) => current || patched(change);
}
