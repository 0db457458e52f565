// The order's state inside its workflow: one snapshot, changed only through `update` and,
// for its status, `moveTo`, which keeps to the status machine (domain/order-status.ts). Each
// change is stamped with a new revision and the workflow's (deterministic) clock.

import type { OrderSnapshot, OrderStatus, ProviderEvent, RefundRecord } from '../domain/order';
import { canMove } from '../domain/order-status';
import { placedOrder } from '../domain/order';
import { workflowNowIso } from './clock';
import type { OrderWorkflowInput } from './messages';

/** A change to the order other than its status. */
export type OrderChange = Partial<Omit<OrderSnapshot, 'revision' | 'updatedAt' | 'status'>>;

export class OrderRecord {
  /** `onStatusChange` hears every new status (it keeps search attributes current). */
  constructor(
    private state: OrderSnapshot,
    private readonly onStatusChange: (status: OrderStatus) => void = () => undefined,
  ) {}

  /** The order as checkout placed it, before anything happened to it. */
  static placed(
    input: OrderWorkflowInput,
    total: number,
    onStatusChange: (status: OrderStatus) => void,
  ): OrderRecord {
    const placed = placedOrder({
      orderId: input.orderId,
      request: input.request,
      total,
      placedBy: input.placedBy,
      checkoutCallId: input.checkoutCallId,
      now: workflowNowIso(),
    });
    return new OrderRecord(placed, onStatusChange);
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

  /** Changes anything but the status (see `moveTo`). */
  update(change: OrderChange): void {
    this.apply(change);
  }

  /** Moves the order to `status` (with `change`), as the status machine allows, or throws. */
  moveTo(status: OrderStatus, change: OrderChange = {}): void {
    if (!canMove(this.state.status, status))
      throw new Error(`an order cannot move from ${this.state.status} to ${status}`);
    this.apply({ ...change, status });
  }

  private apply(change: OrderChange & { status?: OrderStatus }): void {
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
    const change = {
      dispatch: {
        ...this.state.dispatch,
        events: [...this.state.dispatch.events, { ...event, receivedAt }],
      },
    };
    if (status) this.moveTo(status, change);
    else this.update(change);
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
    const change = {
      dispatch: {
        ...this.state.dispatch,
        events: this.state.dispatch.events.map(({ pending, ...event }) =>
          event.type === type ? event : { ...event, ...(pending ? { pending } : {}) },
        ),
      },
    };
    if (status) this.moveTo(status, change);
    else this.update(change);
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
