// Compensations (void, reversal, refund) retry until the gateway takes them. One that has not
// gone through after SETTLEMENT_ATTENTION_SECONDS raises `settlement_stuck` so support looks;
// the attention clears once it settles.

import { CancellationScope, log } from '@temporalio/workflow';
import { workflowNowIso } from './clock';
import type { OrderState } from './order-state';
import { sleepFor } from './timers';

export type WatchedSettlement = <T>(what: string, settle: () => Promise<T>) => Promise<T>;

export function settlementWatch(state: OrderState): WatchedSettlement {
  const { input, has, record: order } = state;
  return async (what, settle) => {
    const afterMs = (input.settlementAttentionSeconds ?? 0) * 1000;
    if (afterMs <= 0 || !has('settlement-attention')) return settle();
    const watch = new CancellationScope();
    const raised = watch
      .run(() => sleepFor('settlement_attention', afterMs))
      .then(
        async () => {
          order.update({
            attention: {
              code: 'settlement_stuck',
              reason: `${what} has not gone through after ${input.settlementAttentionSeconds} s; the payment gateway keeps failing and it keeps retrying`,
              since: workflowNowIso(),
            },
          });
          log.warn('settlement stuck: support must look', { orderId: input.orderId, what });
          await state.publish();
        },
        () => undefined, // settled in time: the watch was cancelled
      );
    try {
      return await settle();
    } finally {
      watch.cancel();
      await raised;
      if (order.current.attention?.code === 'settlement_stuck')
        order.update({ attention: undefined });
    }
  };
}
