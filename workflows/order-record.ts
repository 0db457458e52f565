// The order's state inside its workflow: one snapshot, changed only through `update`, which
// stamps every change with a new revision and the workflow's (deterministic) clock.

import type { OrderSnapshot, OrderStatus, ProviderEvent } from '../domain/order';
import type { RefundRecord } from '../domain/refunds';
import { placedOrder } from '../domain/order';
import { workflowNowIso } from './clock';
import type { OrderWorkflowInput } from './messages';

export class OrderRecord {
  private state: OrderSnapshot;

  /** `onStatusChange` hears every new status (it keeps search attributes current). */
  constructor(
    input: OrderWorkflowInput,
    total: number,
    private readonly onStatusChange: (status: OrderStatus) => void = () => undefined,
  ) {
    this.state = placedOrder({
      orderId: input.orderId,
      request: input.request,
      total,
      placedBy: input.placedBy,
      checkoutCallId: input.checkoutCallId,
      now: workflowNowIso(),
    });
  }

  /** A copy: callers (queries, activities) never hold a reference into live state. */
  get snapshot(): OrderSnapshot {
    return JSON.parse(JSON.stringify(this.state)) as OrderSnapshot;
  }

  get status(): OrderStatus {
    return this.state.status;
  }

  get current(): Readonly<OrderSnapshot> {
    return this.state;
  }

  update(change: Partial<Omit<OrderSnapshot, 'revision' | 'updatedAt'>>): void {
    if (change.status && change.status !== this.state.status) this.onStatusChange(change.status);
    this.state = {
      ...this.state,
      ...change,
      updatedAt: workflowNowIso(),
      revision: this.state.revision + 1,
    };
  }

  updateAmounts(change: Partial<OrderSnapshot['amounts']>): void {
    this.update({ amounts: { ...this.state.amounts, ...change } });
  }

  hasEvent(type: ProviderEvent['type']): boolean {
    return this.state.dispatch.events.some((event) => event.type === type);
  }

  /** Records a provider event, moving the order to `status` when given. */
  recordEvent(event: ProviderEvent, status?: OrderStatus): void {
    const receivedAt = workflowNowIso();
    this.update({
      ...(status ? { status } : {}),
      dispatch: {
        ...this.state.dispatch,
        events: [...this.state.dispatch.events, { ...event, receivedAt }],
      },
    });
  }

  /** Keeps an event that arrived before the order reached its step. */
  recordEarlyEvent(event: ProviderEvent): void {
    this.update({
      dispatch: {
        ...this.state.dispatch,
        events: [
          ...this.state.dispatch.events,
          { ...event, receivedAt: workflowNowIso(), pending: true },
        ],
      },
    });
  }

  /** Events kept for a later step, oldest first by when the provider says they happened. */
  get earlyEvents(): ProviderEvent[] {
    return this.state.dispatch.events
      .filter((event) => event.pending)
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  /** Applies a kept event now that the order has reached its step. */
  applyEarlyEvent(type: ProviderEvent['type'], status?: OrderStatus): void {
    this.update({
      ...(status ? { status } : {}),
      dispatch: {
        ...this.state.dispatch,
        events: this.state.dispatch.events.map(({ pending, ...event }) =>
          event.type === type ? event : { ...event, ...(pending ? { pending } : {}) },
        ),
      },
    });
  }

  refund(refundId: string): RefundRecord | undefined {
    return this.state.refunds?.find((refund) => refund.refundId === refundId);
  }

  addRefund(refund: RefundRecord): void {
    this.update({ refunds: [...(this.state.refunds ?? []), refund] });
  }

  updateRefund(refundId: string, change: Partial<RefundRecord>): void {
    this.update({
      refunds: (this.state.refunds ?? []).map((refund) =>
        refund.refundId === refundId ? { ...refund, ...change } : refund,
      ),
    });
  }
}
