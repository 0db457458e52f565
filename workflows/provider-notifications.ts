// Telling the provider: the new order (retried until its confirmation deadline, while the
// workflow waits for the answer), the cancellation notice, and support's redelivery of the
// last notification.

import { CancellationScope, isCancellation, log } from '@temporalio/workflow';
import { notifyProviderUntil } from './activities';
import { invalidState } from './errors';
import type { OrderSnapshot } from '../domain/order';
import type { NotificationRedelivery } from './messages';
import type { OrderState } from './order-state';

/** Cancellation notices to providers are retried for up to an hour. */
const CANCELLATION_NOTICE_MS = 60 * 60 * 1000;
/** A redelivery asked for by support answers within this time, delivered or not. */
const REDELIVERY_MS = 30 * 1000;

type ProviderEventName = 'order.created' | 'order.cancelled';

export class ProviderNotifications {
  /** Notices to providers an order moved on from, still being delivered. */
  private readonly reroutedNotices: Promise<void>[] = [];

  constructor(private readonly state: OrderState) {}

  private notify(event: ProviderEventName, withinMs: number, order = this.state.snapshot) {
    return notifyProviderUntil(withinMs)({ event, order });
  }

  /**
   * Sends the new order, retried until `deadlineMs`, in a scope of its own: the story stops it
   * once the provider has answered. `hasOrder` says whether the provider has the order (the
   * webhook arrived, or the provider polls).
   */
  sendNewOrder(deadlineMs: number): { hasOrder(): boolean; stop(): void } {
    const notification = new CancellationScope();
    let delivered = false;
    notification
      .run(() => this.notify('order.created', deadlineMs))
      .then((delivery) => {
        delivered = delivery.delivered || delivery.skipped === 'no_webhook_url';
      })
      .catch((error) => {
        if (!isCancellation(error))
          log.warn('provider notification failed', { error: String(error) });
      });
    return { hasOrder: () => delivered, stop: () => notification.cancel() };
  }

  /** Tells the provider the order will not happen; a notice that never arrives is logged. */
  async orderCancelled(): Promise<void> {
    await this.notify('order.cancelled', CANCELLATION_NOTICE_MS).catch((error) =>
      log.warn('cancellation notice not delivered', { error: String(error) }),
    );
  }

  /**
   * Tells the provider an order was offered to after it that the order went elsewhere (a
   * cancellation notice naming its own offer's outcome), in the background: the next offer
   * does not wait for it.
   */
  orderRerouted(notice: OrderSnapshot): void {
    const sent = this.notify('order.cancelled', CANCELLATION_NOTICE_MS, notice).then(
      () => undefined,
      (error) => log.warn('re-routing notice not delivered', { error: String(error) }),
    );
    this.reroutedNotices.push(sent);
  }

  /** Whether a re-routing notice is still under way (the workflow lets it finish). */
  get noticesUnderWay(): boolean {
    return this.reroutedNotices.length > 0;
  }

  async reroutedNoticesSent(): Promise<void> {
    await Promise.all(this.reroutedNotices);
  }

  checkRedelivery(): void {
    const tellable = ['awaiting_confirmation', 'cancelled', 'expired', 'rejected'];
    const status = this.state.record.status;
    if (!tellable.includes(status))
      throw invalidState(`a ${status} order has no notification to redeliver`);
  }

  /** Support sends the last notification again (same event id: providers dedupe). */
  async redeliver(): Promise<NotificationRedelivery> {
    const event =
      this.state.record.status === 'awaiting_confirmation' ? 'order.created' : 'order.cancelled';
    try {
      const delivery = await this.notify(event, REDELIVERY_MS);
      return {
        event,
        delivered: delivery.delivered,
        ...(delivery.status ? { status: delivery.status } : {}),
        ...(delivery.skipped ? { problem: delivery.skipped } : {}),
      };
    } catch (error) {
      return { event, delivered: false, problem: rootMessage(error) };
    }
  }
}

function rootMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error)
    current = (current as { cause?: unknown }).cause;
  return current instanceof Error ? current.message : String(error);
}
