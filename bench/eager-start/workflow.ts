// The smallest workflows of checkout's shape: one local activity decides; `decisionProbe`
// stays open until an Update has read the decision (as awaitPaymentDecisionUpdate does for
// the order, whose workflow goes on), `startProbe` returns it at once.

import { condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export const decisionUpdate = defineUpdate<number>('decision');

const { decide } = proxyLocalActivities<{ decide(): Promise<number> }>({
  startToCloseTimeout: '5s',
});

export async function startProbe(): Promise<number> {
  return decide();
}

export async function decisionProbe(): Promise<number> {
  const decision = decide();
  let answered = false;
  setHandler(decisionUpdate, async () => {
    const value = await decision;
    answered = true;
    return value;
  });
  await condition(() => answered, '1 minute');
  return decision;
}
