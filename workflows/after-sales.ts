// An order's after-sales: support's refunds, an admin's decisions on them and the provider's
// late facts, once the order's own workflow has ended with the order. Started by the first
// request that needs it (update-with-start on `refunds-<orderId>`), a run keeps the order's
// books as the order's workflow did, with the same refund rules (workflows/refunds.ts), and
// ends once idle: no refund waits for an admin and no request came for a while. Temporal runs
// one workflow per id at a time, and each run publishes every change before it ends, so the
// next request's run reads the books where the last one left them.

import { allHandlersFinished, condition, patched, setHandler } from '@temporalio/workflow';
import { TERMINAL_STATUSES, type OrderSnapshot, type ProviderEvent } from '../domain/order';
import { localReadModel, orderSteps } from './activities';
import type { Changes } from './changes';
import { workflowNow } from './clock';
import { invalidState } from './errors';
import {
  decideRefundUpdate,
  getOrderQuery,
  reportProviderEventUpdate,
  requestRefundUpdate,
  type AfterSalesInput,
} from './messages';
import { OrderRecord } from './order-record';
import { kindOfEvent } from './provider-facts';
import { readModelPublisher, type ReadModelPublisher } from './read-model';
import { OrderRefunds, type OrderBooks } from './refunds';
import { conditionUntil } from './timers';
import { UpdateTasks } from './update-tasks';
import { verticals } from './verticals';

/**
 * After-sales runs began with every change of the order workflow's publishing in place, but
 * for those made since (each guarded by its patch marker).
 */
const NEWEST: Changes = (change) =>
  change === 'effects-after-update-recorded' ? patched(change) : true;

export async function afterSalesWorkflow(input: AfterSalesInput): Promise<OrderSnapshot> {
  const books = new AfterSalesBooks(input);
  // Installed before the first await: the request that started the run comes with the start.
  setHandler(getOrderQuery, () => books.record.snapshot);
  // Updates that change the order: their effects wait until the history has them.
  const { handle } = books.updateTasks;
  handle(requestRefundUpdate, (request) => books.requestRefund(request), {
    validator: (request) => books.refunds.checkRequest(request),
  });
  handle(decideRefundUpdate, (decision) => books.decideRefund(decision), {
    validator: (decision) => books.refunds.checkDecision(decision),
  });
  handle(reportProviderEventUpdate, (event) => books.recordLateFact(event), {
    validator: (event) => books.checkLateFact(event),
  });

  await books.catchUp();
  await books.stayWhileNeeded();
  await condition(allHandlersFinished);
  return books.record.snapshot;
}

class AfterSalesBooks implements OrderBooks {
  record: OrderRecord;
  publisher: ReadModelPublisher;
  readonly refunds: OrderRefunds;
  readonly updateTasks = new UpdateTasks(NEWEST('effects-after-update-recorded'));
  /** Requests taken so far: a run stays while they keep coming. */
  private requests = 0;
  private caughtUp = false;

  constructor(private readonly input: AfterSalesInput) {
    // The caller's copy of the order, until `catchUp` has read the latest.
    this.record = new OrderRecord(input.order);
    this.publisher = readModelPublisher(this.record, NEWEST, {
      lastPublished: input.order,
      updateTasks: this.updateTasks,
    });
    const watchedAsIs = <T>(_what: string, settle: () => Promise<T>) => settle();
    this.refunds = new OrderRefunds(
      this,
      orderSteps(NEWEST, this.updateTasks).settlement,
      watchedAsIs,
      refundWindowMs(input.order),
    );
  }

  get authorisationId(): string | undefined {
    return this.record.current.authorisationId;
  }

  publish(): Promise<void> {
    return this.publisher.publish();
  }

  /** Takes the books from where the order's last workflow left them (published, numbered). */
  async catchUp(): Promise<void> {
    const latest = await localReadModel.loadPublishedOrder(this.input.order.orderId);
    if (!latest) throw new Error(`order ${this.input.order.orderId} has no published snapshot`);
    this.record = new OrderRecord(latest.order);
    this.publisher = readModelPublisher(this.record, NEWEST, {
      publishedBefore: latest.publications,
      lastPublished: latest.order,
      updateTasks: this.updateTasks,
    });
    this.caughtUp = true;
  }

  /** Until idle: a refund waiting for an admin keeps the run, at most to the window's end. */
  async stayWhileNeeded(): Promise<void> {
    const windowEnds = this.record.current.refundableUntil;
    for (;;) {
      if (windowEnds && this.refunds.awaitingDecision) {
        const msLeft = Math.max(0, Date.parse(windowEnds) - workflowNow().getTime());
        if (await this.refunds.awaitDecisions(msLeft)) return;
        continue;
      }
      const seen = this.requests;
      const stirred = await conditionUntil(
        'after_sales_idle',
        () => this.requests !== seen || this.refunds.awaitingDecision,
        this.input.idleSeconds * 1000,
      );
      if (!stirred) return;
    }
  }

  // ---- The requests: each checked again once the books are the latest ----

  async requestRefund(request: Parameters<OrderRefunds['request']>[0]): Promise<OrderSnapshot> {
    await this.taking();
    this.refunds.checkRequest(request);
    return this.refunds.request(request);
  }

  async decideRefund(decision: Parameters<OrderRefunds['decide']>[0]): Promise<OrderSnapshot> {
    await this.taking();
    this.refunds.checkDecision(decision);
    return this.refunds.decide(decision);
  }

  /** Only a fact of the completed order (or a repeat) may still be recorded. */
  checkLateFact(event: ProviderEvent): void {
    const order = this.record.current;
    if (kindOfEvent(order, verticals[order.vertical], event) === 'news')
      throw invalidState(`the order is ${order.status} and can no longer change`);
  }

  async recordLateFact(event: ProviderEvent): Promise<OrderSnapshot> {
    await this.taking();
    this.checkLateFact(event);
    if (!this.record.hasEvent(event.type)) {
      this.record.recordEvent(event);
      await this.publish();
    }
    return this.publisher.answer();
  }

  /** Counts the request and waits for the latest books; only a closed order has after-sales. */
  private async taking(): Promise<void> {
    this.requests += 1;
    await condition(() => this.caughtUp);
    const { status } = this.record.current;
    if (!TERMINAL_STATUSES.has(status))
      throw invalidState(`the order is ${status}: its own workflow is not finished with it`);
  }
}

/** How long after it closed support may refund the order (none when it kept no money). */
function refundWindowMs(order: OrderSnapshot): number {
  if (!order.refundableUntil || !order.closedAt) return 0;
  return Math.max(0, Date.parse(order.refundableUntil) - Date.parse(order.closedAt));
}
