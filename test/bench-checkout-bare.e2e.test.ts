// bench:checkout's bare side, so `--bare` cannot rot: the bare workflow's orders placed through
// an in-process worker on this run's Temporal server, and each checkout's phases read off its
// history (bench/lib/checkout-phases.ts). Asserts the shape, not speed.

import { bareWorkflowId } from '../bench/bare/messages';
import { startBareInProcess } from '../bench/lib/bare-in-process';
import { checkoutPhases } from '../bench/lib/checkout-phases';
import { GROCERY_CHECKOUT_PHASES } from './support/checkout-phases';

test('bare checkouts answer after their payment decision and split into wall-clock phases', async () => {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run through jest');
  const bare = await startBareInProcess(address);
  try {
    for (let order = 0; order < 3; order++) {
      const sentMs = Date.now();
      const orderId = await bare.place();
      const answeredMs = Date.now();
      const history = await bare.temporal.workflow
        .getHandle(bareWorkflowId(orderId))
        .fetchHistory();
      const phases = checkoutPhases(history.events ?? [], sentMs, answeredMs);
      expect(phases?.map((phase) => phase.name)).toEqual(GROCERY_CHECKOUT_PHASES);
      // The SDK's markers carry the scheduling dates the phases end at (without them there
      // would be no phases), and those dates follow each other. Which marker field is read is
      // pinned by the unit test beside the reader.
      for (const phase of phases!) expect(phase.ms).toBeGreaterThanOrEqual(0);
    }
  } finally {
    await bare.close();
  }
});
