// Grocery delivery: the store confirms per item and may have only part of the stock; only
// confirmed items are captured and the rest of the authorisation is released. Dispatch
// assigns a courier, who picks the order up and delivers it. Free cancellation until pickup.

import { log } from '@temporalio/workflow';
import { confirmedGroceryTotal, confirmGroceryLines } from '../../domain/pricing';
import { workflowNowIso } from '../clock';
import { invalidRequest } from '../errors';
import type { VerticalFlow, WaitResult } from './vertical';

export const grocery: VerticalFlow = {
  checkConfirmation(order, decision) {
    if (decision.decision !== 'accept' || !decision.items) return;
    const skus = new Set(order.grocery?.items.map((item) => item.sku));
    const unknown = decision.items.filter((item) => !skus.has(item.sku)).map((item) => item.sku);
    if (unknown.length > 0) {
      throw invalidRequest(
        `items not in this order: ${unknown.join(', ')}`,
        unknown.map((sku) => ({ sku })),
      );
    }
  },

  evaluateConfirmation(order, decision) {
    if (decision.decision === 'reject')
      return { kind: 'rejected', reason: decision.reason ?? 'rejected by the store' };
    const lines = confirmGroceryLines(order.grocery?.items ?? [], decision.items);
    const captureAmount = confirmedGroceryTotal(lines);
    // A store that has none of the items has, in effect, rejected the order.
    if (captureAmount === 0)
      return { kind: 'rejected', reason: decision.reason ?? 'no items available' };
    return {
      kind: 'accepted',
      captureAmount,
      changes: {
        grocery: {
          ...order.grocery!,
          confirmedItems: lines.map((line) => ({
            sku: line.sku,
            confirmedQuantity: line.confirmedQuantity,
          })),
        },
      },
    };
  },

  async fulfil({ input, has, dispatch, order, dispatched, publish, waitFor, msUntil }) {
    const details = order.current.grocery!;
    try {
      const courier = await dispatch.assignCourier({
        orderId: order.current.orderId,
        pickupFrom: order.current.providerId,
        deliverTo: details.deliveryAddress,
      });
      dispatched({ dispatch: { ...order.current.dispatch, courier } });
    } catch {
      return {
        kind: 'failed',
        failure: { code: 'dispatch_failed', message: 'no courier could be assigned' },
      };
    }
    await publish();
    const isDelivered = () => order.status === 'completed';
    let delivered: WaitResult;
    const graceSeconds = input.deliveryOverdueGraceSeconds;
    if (graceSeconds !== undefined && has('delivery-overdue-attention')) {
      // A store that never reports the delivery must not leave the order silently open with
      // the money taken: past the window and its grace, support is asked to look.
      const overdueAt = Date.parse(details.deliveryWindow.end) + graceSeconds * 1000;
      delivered = await waitFor(isDelivered, {
        purpose: 'delivery_overdue',
        ms: msUntil(overdueAt),
      });
      if (delivered === 'timeout') {
        order.update({
          attention: {
            code: 'delivery_overdue',
            reason: `not reported delivered by ${new Date(overdueAt).toISOString()} (delivery window end + ${graceSeconds} s)`,
            since: workflowNowIso(),
          },
        });
        log.warn('delivery overdue: support must look', { orderId: order.current.orderId });
        await publish();
        delivered = await waitFor(isDelivered);
      }
      if (order.current.attention?.code === 'delivery_overdue')
        order.update({ attention: undefined });
    } else {
      delivered = await waitFor(isDelivered);
    }
    return delivered === 'cancelled' ? { kind: 'cancelled' } : { kind: 'completed' };
  },

  events: ['picked_up', 'delivered'],
};
