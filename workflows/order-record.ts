// The order's state inside its workflow: one snapshot, changed only through `update`, which
// stamps every change with a new revision and the workflow's (deterministic) clock.

import type { OrderRequest, OrderSnapshot, OrderStatus, ProviderEvent } from '../domain/order';
import { emptyAmounts } from '../domain/order';
import { workflowNowIso } from './clock';
import type { OrderWorkflowInput } from './messages';

function detailsOf(
  request: OrderRequest,
): Pick<OrderSnapshot, 'grocery' | 'hotel' | 'teleconsultation'> {
  switch (request.vertical) {
    case 'grocery':
      return { grocery: request.grocery };
    case 'hotel':
      return { hotel: request.hotel };
    case 'teleconsultation':
      return { teleconsultation: request.teleconsultation };
  }
}

export class OrderRecord {
  private state: OrderSnapshot;

  constructor(input: OrderWorkflowInput, total: number) {
    const { request } = input;
    const now = workflowNowIso();
    this.state = {
      orderId: input.orderId,
      vertical: request.vertical,
      status: 'pending_payment',
      customerId: request.customerId,
      ...(input.placedBy ? { placedBy: input.placedBy } : {}),
      providerId: request.providerId,
      currency: request.currency,
      amounts: emptyAmounts(total),
      ...detailsOf(request),
      dispatch: { events: [] },
      createdAt: now,
      updatedAt: now,
      revision: 1,
    };
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
}
