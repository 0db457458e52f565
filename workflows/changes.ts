// Which changes to the order workflow a run has. Every change to a workflow that has already
// run is guarded, so recorded histories keep replaying. A run records, when it starts, the
// newest generation: one patch marker standing for every change that generation lists, not
// one each. A change made since then is guarded on its own (`patched`, one marker) until the
// next generation takes it in; runs of older generations replay as they were recorded.
//
// Adding a change: guard it with `has('<new-id>')` and add the id to LaterChange. Starting a
// generation: add it first in GENERATIONS with the previous generation's changes and
// LaterChange's (never edit an existing generation: runs of it are out there), empty
// LaterChange, move the recorded histories under test/histories/earlier/ and re-record them.

import { patched } from '@temporalio/workflow';

/** The first generation: every change made before generations existed. Never edit it. */
const FIRST_GENERATION = {
  id: 'order-workflow-2026-11-25',
  changes: [
    'serial-read-model-writes',
    'answers-after-read-model',
    'expiry-notifies-provider',
    'payment-decision-recorded',
    'order-search-attributes',
    'refund-window-after-close',
    'delivery-overdue-attention',
    'local-read-model-writes',
  ],
} as const;

/** The second generation (2026-11-26). Never edit it: runs of it are out there. */
const SECOND_GENERATION = {
  id: 'order-workflow-2026-11-26',
  changes: [...FIRST_GENERATION.changes, 'settlement-attention', 'local-payment-and-dispatch'],
} as const;

/** Newest first; each takes in every change of the one before it and those made since. */
const GENERATIONS = [
  {
    // One marker per order instead of one per change asked on its path (four on a grocery
    // order's happy path): fewer history events for every order.
    id: 'order-workflow-2026-12-03',
    changes: [
      ...SECOND_GENERATION.changes,
      'hotel-same-day-bookings',
      'after-sales-workflow',
      'reroute-to-fallback',
      'effects-after-update-recorded',
      'decline-after-lost-publications',
      'late-start-keeps-accepted-order',
      'final-step-published-by-close',
    ],
  },
  SECOND_GENERATION,
  FIRST_GENERATION,
] as const;

/**
 * Changes made since the newest generation, each guarded by its own patch marker. Runs of
 * older generations check the changes they lack this way too (and find no marker).
 */
type LaterChange = never;

export type ChangeId = (typeof GENERATIONS)[number]['changes'][number] | LaterChange;

export type Changes = (change: ChangeId) => boolean;

/** Call first thing in the workflow, once per run. */
export function changesOfThisRun(): Changes {
  // Newest first: a new run records the newest generation and looks no further; a replayed
  // run finds the generation it recorded (or none, if it started before generations).
  const generation = GENERATIONS.find((candidate) => patched(candidate.id));
  const inGeneration: ReadonlySet<string> = new Set(generation?.changes ?? []);
  return (change) => inGeneration.has(change) || patched(change);
}
