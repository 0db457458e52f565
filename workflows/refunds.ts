// Every refund of an order: support's (requested, held for an admin above the threshold,
// approved or declined) and the one that settles a cancellation or a failure. They go to the
// gateway one at a time, each seeing the last, so together they never exceed what was
// captured. Support may refund for a while after the order closed (the refund window); then
// whatever still waits for an admin is declined and the books close. The order's workflow
// keeps these books while it runs; after it ended, the order's after-sales workflow does
// (workflows/after-sales.ts), one run at a time.

import { condition, log } from '@temporalio/workflow';
import type { OrderSnapshot, RefundDecision, RefundRecord, RefundRequest } from '../domain/order';
import { checkRefund } from '../domain/refunds';
import type { orderSteps } from './activities';
import { workflowNow, workflowNowIso } from './clock';
import { idempotencyConflict, invalidRequest, invalidState, refundNotAllowed } from './errors';
import type { OrderRecord } from './order-record';
import type { ReadModelPublisher } from './read-model';
import type { WatchedSettlement } from './settlement-watch';
import { conditionUntil, sleepFor } from './timers';

type Settlement = ReturnType<typeof orderSteps>['settlement'];

/** What the refunds need of the workflow that keeps the order (OrderState is one). */
export interface OrderBooks {
  readonly record: OrderRecord;
  readonly publisher: ReadModelPublisher;
  /** The gateway's authorisation the captured money is refunded against. */
  readonly authorisationId: string | undefined;
  publish(): Promise<void>;
}

export class OrderRefunds {
  /** Support refunds are taken until the refund window after the order closed has ended. */
  private open = true;
  /** A refund computed from what is left (cancellation, compensation) is at the gateway. */
  private settlementInFlight = false;
  private lastRefund: Promise<unknown> = Promise.resolve();

  /** `windowMs`: how long after the order closed support may still refund. */
  constructor(
    private readonly state: OrderBooks,
    private readonly settlement: Settlement,
    private readonly watched: WatchedSettlement,
    private readonly windowMs: number,
  ) {}

  // ---- Support asks for a refund ----

  checkRequest(request: RefundRequest): void {
    const earlier = this.state.record.refund(request.refundId);
    if (earlier) {
      // Refunds recorded before their fingerprint was kept cannot tell: a repeat, then.
      if (earlier.requestHash !== undefined && earlier.requestHash !== request.requestHash)
        throw idempotencyConflict('this Idempotency-Key was used with a different refund');
      return; // a repeated request is harmless
    }
    if (!this.open) throw refundNotAllowed('the refund window of this order has closed');
    if (this.settlementInFlight)
      throw refundNotAllowed('the order is being settled right now; try again in a moment');
    const order = this.state.record.current;
    const check = checkRefund(order, request.amount, workflowNow(), this.windowMs, order.closedAt);
    if (!check.allowed) throw refundNotAllowed(check.reason);
  }

  async request(request: RefundRequest): Promise<OrderSnapshot> {
    if (!this.state.record.refund(request.refundId)) {
      const { needsApproval, ...refund } = request;
      this.state.record.addRefund({
        ...refund,
        status: needsApproval ? 'pending_approval' : 'refunding',
        requestedAt: workflowNowIso(),
      } satisfies RefundRecord);
      if (needsApproval) await this.state.publish();
      else await this.pay(request.refundId);
    }
    await condition(() => this.settled(request.refundId));
    return this.state.publisher.answer();
  }

  // ---- An admin decides a refund held for approval ----

  checkDecision(decision: RefundDecision): void {
    const refund = this.state.record.refund(decision.refundId);
    if (!refund) throw invalidRequest(`no refund ${decision.refundId} on this order`);
    if (refund.status === 'pending_approval') return;
    const same = decision.approve
      ? refund.status === 'refunding' || refund.status === 'refunded'
      : refund.status === 'declined' && refund.decidedBy !== undefined;
    if (!same) throw invalidState(`the refund is already ${refund.status}`);
  }

  async decide(decision: RefundDecision): Promise<OrderSnapshot> {
    const order = this.state.record;
    const refund = order.refund(decision.refundId)!;
    if (refund.status === 'pending_approval') {
      const decided = {
        decidedBy: decision.decidedBy,
        decidedAt: workflowNowIso(),
        ...(decision.note ? { decisionNote: decision.note } : {}),
      };
      if (decision.approve) {
        order.updateRefund(decision.refundId, { ...decided, status: 'refunding' });
        await this.pay(decision.refundId);
      } else {
        order.updateRefund(decision.refundId, { ...decided, status: 'declined' });
        await this.state.publish();
      }
    }
    await condition(() => this.settled(decision.refundId));
    return this.state.publisher.answer();
  }

  // ---- Settling the order: the undo of a capture ----

  /**
   * Refunds what is captured and not yet refunded, less a kept fee. A support refund still
   * waiting for an admin is superseded: this refund settles the money.
   */
  refundRemaining(refundId: string, reason: string, fee = 0): Promise<void> {
    return this.oneAtATime(async () => {
      const order = this.state.record;
      for (const refund of order.current.refunds ?? []) {
        if (refund.status !== 'pending_approval') continue;
        order.updateRefund(refund.refundId, {
          status: 'declined',
          decisionNote: 'superseded: the order was cancelled and its money settled',
        });
      }
      const { captured, refunded } = order.current.amounts;
      const amount = captured - refunded - fee;
      if (amount <= 0) return;
      this.settlementInFlight = true;
      const { totalRefunded } = await this.watched('refunding the customer', () =>
        this.settlement.refundPayment({
          orderId: this.state.record.current.orderId,
          authorisationId: this.state.authorisationId!,
          amount,
          refundId,
          reason,
        }),
      );
      this.settlementInFlight = false;
      order.updateAmounts({ refunded: totalRefunded });
    });
  }

  /**
   * Runs of earlier generations: after the order closed, support may still refund what it
   * kept for the refund window; then whatever still waits for an admin is declined.
   */
  async stayOpenForRefunds(): Promise<void> {
    const { amounts } = this.state.record.current;
    const kept = amounts.captured - amounts.refunded;
    if (kept <= 0 || this.windowMs <= 0) return;
    await sleepFor('refund_window', this.windowMs);
    this.closeWindow();
    await this.declineUndecided('the refund window closed before an admin decided');
  }

  /** A support refund waits for an admin's decision. */
  get awaitingDecision(): boolean {
    return (this.state.record.current.refunds ?? []).some((r) => r.status === 'pending_approval');
  }

  /**
   * Waits until no refund waits for an admin, or the refund window ends (`msLeft` from now):
   * then whatever still waits is declined and no refund is taken any more. True if the
   * window ended.
   */
  async awaitDecisions(msLeft: number): Promise<boolean> {
    if (!this.awaitingDecision) return false;
    const decided = await conditionUntil('refund_window', () => !this.awaitingDecision, msLeft);
    if (decided) return false;
    this.closeWindow();
    await this.declineUndecided('the refund window closed before an admin decided');
    return true;
  }

  /** No support refund is taken any more. */
  closeWindow(): void {
    this.open = false;
  }

  private async declineUndecided(note: string): Promise<void> {
    const order = this.state.record;
    const undecided = (order.current.refunds ?? []).filter((r) => r.status === 'pending_approval');
    if (undecided.length === 0) return;
    for (const refund of undecided)
      order.updateRefund(refund.refundId, { status: 'declined', decisionNote: note });
    await this.state.publish();
  }

  /** Pays a support refund accepted earlier, after any refund ahead of it. */
  private pay(refundId: string): Promise<void> {
    return this.oneAtATime(async () => {
      const order = this.state.record;
      const refund = order.refund(refundId)!;
      try {
        const { totalRefunded } = await this.settlement.refundPayment({
          orderId: this.state.record.current.orderId,
          authorisationId: this.state.authorisationId!,
          amount: refund.amount,
          refundId: `support:${refundId}`,
          reason: refund.reason,
        });
        order.updateRefund(refundId, { status: 'refunded', refundedAt: workflowNowIso() });
        order.updateAmounts({ refunded: totalRefunded });
      } catch (error) {
        // Only a gateway refusal ends here (transient errors retry): the refund is declined.
        log.error('support refund refused by the gateway', { refundId, error: String(error) });
        order.updateRefund(refundId, {
          status: 'declined',
          decisionNote: `the payment gateway refused the refund: ${String(error)}`,
        });
      }
      await this.state.publish();
    });
  }

  private settled(refundId: string): boolean {
    return this.state.record.refund(refundId)?.status !== 'refunding';
  }

  private oneAtATime<T>(refund: () => Promise<T>): Promise<T> {
    const next = this.lastRefund.then(refund, refund);
    this.lastRefund = next;
    return next;
  }
}
