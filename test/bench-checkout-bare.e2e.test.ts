// bench:checkout's bare side, so `--bare` cannot rot: the bare workflow's orders placed through
// an in-process worker on this run's Temporal server, and each checkout's phases read off its
// history (bench/lib/checkout-phases.ts). Asserts the shape, not speed.

import { bareWorkflowId } from '../bench/bare/messages';
import { startBareInProcess } from '../bench/lib/bare-in-process';
import { checkoutPhases } from '../bench/lib/checkout-phases';

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
      expect(phases?.map((phase) => phase.name)).toEqual([
        'API before the workflow',
        'handoff to a worker',
        'to the first local activity',
        'authorisePayment, next activation',
        'recordPaymentDecision, last activation, completion',
        'back to the client',
      ]);
      // The SDK's markers carry the scheduling dates the phases end at (without them there
      // would be no phases), and those dates follow each other. Which marker field is read is
      // pinned by the unit test beside the reader.
      for (const phase of phases!) expect(phase.ms).toBeGreaterThanOrEqual(0);
    }
  } finally {
    await bare.close();
  }
});
