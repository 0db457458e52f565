// What the order workflow knows and how it answers the provider and the customer: the order
// record, the flags the story raises, and the handlers of the provider's decision, its events
// and the customer's cancellation (each a validator that refuses without changing anything,
// and a handler that changes the order). The workflow installs them as one-line calls.

import { condition, upsertSearchAttributes } from '@temporalio/workflow';
import { decideCancellation } from '../domain/cancellation';
import {
  TERMINAL_STATUSES,
  type CancellationRequest,
  type ConfirmationDecision,
  type OrderSnapshot,
  type ProviderEvent,
} from '../domain/order';
import { EVENT_EFFECTS } from '../domain/order-status';
import { orderTotal } from '../domain/pricing';
import type { Changes } from './changes';
import { workflowNow, workflowNowIso } from './clock';
import { invalidState, notCancellable, notProvidersOrder, orderRerouted } from './errors';
import type { OrderWorkflowInput } from './messages';
import { OrderRecord } from './order-record';
import { kindOfEvent } from './provider-facts';
import { readModelPublisher, type ReadModelPublisher } from './read-model';
import type { UpdateTasks } from './update-tasks';
import { OrderStatusAttribute } from './search-attributes';
import { verticals } from './verticals';
import type { VerticalFlow } from './verticals/vertical';

export class OrderState {
  readonly record: OrderRecord;
  readonly vertical: VerticalFlow;
  readonly publisher: ReadModelPublisher;
  /** Raised once the workflow closes the order's books: nothing else may change it then. */
  closing = false;
  /** Checkout's Update answers once this is set. */
  paymentDecided = false;
  /** The gateway's authorisation, once the money is held. */
  authorisationId: string | undefined;
  /** The settings of the provider asked now (a fallback's, once the order is re-routed). */
  providerSettings: Pick<
    OrderWorkflowInput,
    'confirmationTimeoutSeconds' | 'doctorNoShowGraceSeconds'
  >;

  constructor(
    readonly input: OrderWorkflowInput,
    readonly has: Changes,
    updateTasks?: UpdateTasks,
  ) {
    this.vertical = verticals[input.request.vertical];
    // Older runs kept no search attributes (checkout did not set them at start either).
    const searchable = has('order-search-attributes');
    this.record = OrderRecord.placed(input, orderTotal(input.request), (status) => {
      if (searchable) upsertSearchAttributes([{ key: OrderStatusAttribute, value: status }]);
    });
    this.publisher = readModelPublisher(this.record, has, { updateTasks });
    this.providerSettings = {
      confirmationTimeoutSeconds: input.confirmationTimeoutSeconds,
      ...(input.doctorNoShowGraceSeconds !== undefined
        ? { doctorNoShowGraceSeconds: input.doctorNoShowGraceSeconds }
        : {}),
    };
  }

  /** The provider's deadline: its own, but never past the slot or the check-in day (≥ 1 s). */
  confirmationDeadlineMs(): number {
    const latest = this.vertical.confirmBefore?.(this.record.current, this.has);
    return Math.min(
      this.providerSettings.confirmationTimeoutSeconds * 1000,
      latest === undefined ? Infinity : Math.max(1000, latest - workflowNow().getTime()),
    );
  }

  get snapshot(): OrderSnapshot {
    return this.record.snapshot;
  }

  get cancelRequested(): boolean {
    return this.record.current.cancellation !== undefined;
  }

  publish(): Promise<void> {
    return this.publisher.publish();
  }

  // ---- The provider's decision ----

  checkConfirmation(decision: ConfirmationDecision): void {
    const order = this.record;
    this.checkAskedProvider(decision.providerId);
    const previous = order.current.confirmation;
    if (previous) {
      if (previous.decision === decision.decision) return; // a repeated callback is harmless
      throw invalidState(`the provider already answered "${previous.decision}"`);
    }
    if (order.status !== 'awaiting_confirmation' || this.cancelRequested || this.closing) {
      throw invalidState(`the order is ${order.status}, not awaiting confirmation`);
    }
    // The deadline's timer may not have run yet (the workers were down): the clock decides.
    const confirmBy = order.current.confirmBy;
    if (confirmBy && workflowNow().getTime() > Date.parse(confirmBy))
      throw invalidState(`the confirmation deadline (${confirmBy}) has passed`);
    this.vertical.checkConfirmation(order.current, decision);
  }

  async confirm(decision: ConfirmationDecision): Promise<OrderSnapshot> {
    if (!this.record.current.confirmation) {
      this.record.update({ confirmation: { ...decision, receivedAt: workflowNowIso() } });
    }
    // Answer once the workflow has acted on the decision (captured, released, or re-routed).
    const asked = this.record.current.providerId;
    await condition(
      () =>
        this.record.status !== 'awaiting_confirmation' || this.record.current.providerId !== asked,
    );
    return this.publisher.answer();
  }

  /** A provider the order was offered to earlier has no say in it any more. */
  private checkAskedProvider(providerId: string | undefined): void {
    const order = this.record.current;
    if (providerId === undefined || providerId === order.providerId) return;
    if (order.routing?.some((offer) => offer.providerId === providerId))
      throw orderRerouted('the order was offered to another provider after yours');
    // Answered as for an order that does not exist: a provider learns nothing of others' orders.
    throw notProvidersOrder('no such order');
  }

  // ---- Provider events: facts. One that arrives before the order reaches its step (a store
  // reporting the pickup while the courier is still being assigned, or before its own
  // acceptance has reached us) is kept and applied, in the order the provider says things
  // happened, once the order gets there. One that arrives after the order completed but
  // happened before (a retried pickup overtaken by the delivery) is recorded, changing nothing.

  checkEvent(event: ProviderEvent): void {
    const order = this.record;
    this.checkAskedProvider(event.providerId);
    if (kindOfEvent(order.current, this.vertical, event) !== 'news') return;
    if (this.closing || TERMINAL_STATUSES.has(order.status))
      throw invalidState(`the order is ${order.status} and can no longer change`);
    if (this.cancelRequested) throw invalidState('the order is being cancelled');
    const confirmation = order.current.confirmation;
    if (confirmation?.decision === 'reject')
      throw invalidState(`the order was rejected: ${event.type} cannot have happened`);
    if (!confirmation && order.status !== 'awaiting_confirmation')
      throw invalidState(`${event.type} cannot be reported before the order is confirmed`);
    // Applies now, or is kept until the order reaches its step.
  }

  async reportEvent(event: ProviderEvent): Promise<OrderSnapshot> {
    const order = this.record;
    if (!order.hasEvent(event.type)) {
      const effect = EVENT_EFFECTS[event.type];
      if (TERMINAL_STATUSES.has(order.status)) {
        order.recordEvent(event);
        await this.publish();
      } else if (effect.from.includes(order.status)) {
        order.recordEvent(event, effect.to);
        if (!effect.to) await condition(() => TERMINAL_STATUSES.has(order.status));
        else await this.publishStep();
      } else {
        order.recordEarlyEvent(event);
        await this.publish();
      }
    }
    return this.publisher.answer();
  }

  /** Applies kept events as the order reaches their steps, until the order closes. */
  async applyEarlyEvents(): Promise<void> {
    const order = this.record;
    const next = () =>
      order.earlyEvents.find((event) => EVENT_EFFECTS[event.type].from.includes(order.status));
    for (;;) {
      await condition(() => this.closing || next() !== undefined);
      if (this.closing) return;
      const event = next()!;
      order.applyEarlyEvent(event.type, EVENT_EFFECTS[event.type].to);
      await this.publishStep();
    }
  }

  /**
   * Publishes the step a provider's event moved the order to, unless that step ends the order:
   * the workflow closes it at once, and the close's publication shows it (one write, not two
   * a few milliseconds apart). Older runs published both.
   */
  private async publishStep(): Promise<void> {
    if (TERMINAL_STATUSES.has(this.record.status) && this.has('final-step-published-by-close'))
      return;
    await this.publish();
  }

  // ---- The customer's (or support's) cancellation ----

  checkCancellation(_request: CancellationRequest): void {
    if (this.cancelRequested) return; // a repeated cancellation is harmless
    if (this.closing) throw notCancellable('the order is already being closed');
    const decision = decideCancellation(this.record.current, workflowNow());
    if (!decision.allowed) throw notCancellable(decision.reason);
  }

  async cancel(request: CancellationRequest): Promise<OrderSnapshot> {
    if (!this.cancelRequested) {
      // The validator accepted this request in this same workflow task: same order, same time.
      const decision = decideCancellation(this.record.current, workflowNow());
      const fee = decision.allowed && !request.waiveFee ? decision.fee : 0;
      this.record.update({ cancellation: { ...request, requestedAt: workflowNowIso(), fee } });
    }
    await condition(() => TERMINAL_STATUSES.has(this.record.status));
    return this.publisher.answer();
  }
}
