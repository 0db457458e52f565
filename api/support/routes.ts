// Support staff (roles `support`, `admin`, mounted at /v1/support/orders): find orders, read
// an order's whole record, and act on it. Every action is a workflow Update, so the order's
// history tells the story, and every action is audited with who, why and what came of it.

import { createHash, randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import type { OrderSnapshot, RefundRecord, StaffActor } from '../../domain/order';
import { deliveryView, withAttempts } from '../../infra/app-event-deliveries';
import type { Models } from '../../infra/db';
import type { LedgerEntry } from '../../infra/models/sandbox-payment';
import {
  cancelOrderUpdate,
  decideRefundUpdate,
  orderWorkflowId,
  redeliverNotificationUpdate,
  requestRefundUpdate,
} from '../../workflows/messages';
import { requestFingerprint } from '../checkout';
import { ApiError, toApiError } from '../errors';
import { apiClientOf } from '../middleware/auth';
import { updateOrderWorkflow, type AfterSalesSettings } from '../order-updates';
import { cancellationQuote } from '../cancellation-quote';
import { cancellationResult, toOrderView } from '../order-view';
import { IdempotencyKeySchema, OrderIdParamsSchema } from '../schemas';
import {
  RefundDecisionBodySchema,
  RefundParamsSchema,
  RefundRequestBodySchema,
  SupportCancelBodySchema,
  StaffSchema,
  SupportOrdersQuerySchema,
} from './order-schemas';
import { attentionOf, encodeCursor, SEARCH_SORT, searchFilter } from './order-search';
import { WorkflowNotFoundError } from '@temporalio/common';
import { readOrder } from '../../infra/read-model';

/** `GET /v1/support/me`: who the token belongs to, so the console shows admin-only actions to admins alone. */
export const whoAmI: RequestHandler = (_req, res) => {
  const { name, role } = apiClientOf(res);
  res.json(StaffSchema.parse({ name, role }));
};

export interface SupportDeps {
  models: Models;
  temporal: Client;
  /** Refunds of an order whose workflow has ended run in its after-sales workflow. */
  afterSales: AfterSalesSettings;
  /** The payment gateway's entries for an order (the sandbox's books on the embedded default). */
  paymentLedger: (orderId: string) => Promise<LedgerEntry[]>;
  refundApprovalThreshold: number;
}

export function supportRouter(deps: SupportDeps): Router {
  const router = Router();
  const { models, temporal } = deps;

  async function knownOrder(orderId: string): Promise<OrderSnapshot> {
    const order = await readOrder(models, orderId);
    if (!order) throw new ApiError(404, 'order_not_found', 'no such order');
    return order;
  }

  const staffOf = (res: Response): StaffActor => {
    const client = apiClientOf(res);
    return { name: client.name, role: client.role === 'admin' ? 'admin' : 'support' };
  };

  /** Runs a staff action and records it in the audit trail, whatever its outcome. */
  async function audited(
    req: Request,
    res: Response,
    entry: { orderId: string; action: string; reason?: string },
    act: () => Promise<{ status: number; body: unknown; details?: Record<string, unknown> }>,
  ): Promise<void> {
    const record = (result: { status: number; code?: string }, details?: Record<string, unknown>) =>
      models.AuditEntry.create({
        _id: randomUUID(),
        ...entry,
        actor: staffOf(res),
        requestId: String(req.id),
        result,
        ...(details ? { details } : {}),
        at: new Date(),
      }).catch((error: unknown) => req.log.error({ err: error, ...entry }, 'audit entry lost'));
    let outcome: Awaited<ReturnType<typeof act>>;
    try {
      outcome = await act();
    } catch (error) {
      const failure = toApiError(error);
      await record({ status: failure?.status ?? 500, code: failure?.code ?? 'internal_error' });
      throw error;
    }
    await record({ status: outcome.status }, outcome.details);
    res.status(outcome.status).json(outcome.body);
  }

  router.get('/', async (req, res) => {
    const query = SupportOrdersQuerySchema.parse(req.query);
    const now = new Date();
    const page = await models.Order.find(searchFilter(query, now))
      .sort(SEARCH_SORT)
      .limit(query.limit + 1)
      .lean<OrderSnapshot[]>();
    const orders = page.slice(0, query.limit);
    const last = orders[orders.length - 1];
    res.json({
      orders: orders.map((order) => {
        const attention = attentionOf(order, now);
        return { ...toOrderView(order), ...(attention ? { attention } : {}) };
      }),
      nextCursor:
        page.length > query.limit && last
          ? encodeCursor({ createdAt: last.createdAt, orderId: last.orderId })
          : null,
    });
  });

  router.get('/:orderId', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    const order = await knownOrder(orderId);
    const [ledger, callbacks, audit, appEvents] = await Promise.all([
      deps.paymentLedger(orderId),
      models.CallbackLog.find({ orderId }).sort({ at: 1 }).lean(),
      models.AuditEntry.find({ orderId }).sort({ at: 1 }).lean(),
      models.AppEventDelivery.find({ orderId })
        .sort({ createdAt: 1, sequence: 1 })
        .lean()
        .then((deliveries) => withAttempts(models, deliveries)),
    ]);
    const attention = attentionOf(order, new Date());
    res.json({
      order: { ...toOrderView(order), ...(attention ? { attention } : {}) },
      ledger: ledger.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
      callbacks: callbacks.map(({ _id, orderId: _order, providerId: _p, method: _m, ...c }) => ({
        ...c,
        accepted: c.status < 300,
        at: c.at.toISOString(),
      })),
      audit: audit.map(({ _id, orderId: _order, ...a }) => ({ ...a, at: a.at.toISOString() })),
      appEvents: appEvents.map(deliveryView),
    });
  });

  router.get('/:orderId/cancellation-quote', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    res.json(cancellationQuote(await knownOrder(orderId), new Date()));
  });

  router.post('/:orderId/refunds', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    const key = IdempotencyKeySchema.safeParse(req.get('Idempotency-Key'));
    if (!key.success) {
      throw new ApiError(
        400,
        'idempotency_key_missing',
        'refunds need an Idempotency-Key header of 1-255 printable ASCII characters',
      );
    }
    const body = RefundRequestBodySchema.parse(req.body);
    await knownOrder(orderId);
    const staff = staffOf(res);
    // One refund per staff member and key; the id is what the gateway's key is built from.
    const refundId = `rf_${createHash('sha256').update(`${staff.name}:${key.data}`).digest('hex').slice(0, 20)}`;
    const requestHash = requestFingerprint(body);
    const needsApproval = staff.role === 'support' && body.amount > deps.refundApprovalThreshold;
    await audited(
      req,
      res,
      { orderId, action: 'refund.requested', reason: body.reason },
      async () => {
        const order = await updateOrderWorkflow(
          deps,
          orderId,
          requestRefundUpdate,
          {
            refundId,
            amount: body.amount,
            reason: body.reason,
            ...(body.note ? { note: body.note } : {}),
            requestedBy: staff,
            needsApproval,
            requestHash,
          },
          'refund_not_allowed',
          (latest) => {
            const earlier = refundOf(latest, refundId);
            // Refunds recorded before their fingerprint was kept match any repeat.
            const sameRequest = (earlier?.requestHash ?? requestHash) === requestHash;
            return earlier !== undefined && earlier.status !== 'refunding' && sameRequest;
          },
          // Temporal answers a repeated update id with the first outcome, unvalidated: the id
          // names the body too, so the same key with another body reaches the validator.
          { updateId: `refund:${refundId}:${requestHash.slice(0, 16)}`, afterSales: true },
        );
        const refund = refundOf(order, refundId)!;
        return {
          status: refund.status === 'pending_approval' ? 202 : 201,
          body: { refund, order: toOrderView(order) },
          details: { refundId, amount: body.amount, refundStatus: refund.status },
        };
      },
    );
  });

  for (const verdict of ['approve', 'decline'] as const) {
    router.post(`/:orderId/refunds/:refundId/${verdict}`, async (req, res) => {
      if (apiClientOf(res).role !== 'admin') {
        throw new ApiError(403, 'forbidden', 'only an admin approves or declines refunds');
      }
      const { orderId, refundId } = RefundParamsSchema.parse(req.params);
      const body = RefundDecisionBodySchema.parse(req.body ?? {});
      const before = refundOf(await knownOrder(orderId), refundId);
      if (!before) throw new ApiError(404, 'refund_not_found', 'no such refund on this order');
      const approve = verdict === 'approve';
      await audited(
        req,
        res,
        { orderId, action: approve ? 'refund.approved' : 'refund.declined' },
        async () => {
          const order = await updateOrderWorkflow(
            deps,
            orderId,
            decideRefundUpdate,
            {
              refundId,
              approve,
              decidedBy: staffOf(res),
              ...(body.note ? { note: body.note } : {}),
            },
            'refund_not_allowed',
            (latest) => {
              const status = refundOf(latest, refundId)?.status;
              return approve ? status === 'refunded' : status === 'declined';
            },
            { updateId: `refund-${verdict}:${refundId}`, afterSales: true },
          );
          const refund = refundOf(order, refundId)!;
          return {
            status: 200,
            body: { refund, order: toOrderView(order) },
            details: { refundId, amount: refund.amount, refundStatus: refund.status },
          };
        },
      );
    });
  }

  router.post('/:orderId/cancel', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    const body = SupportCancelBodySchema.parse(req.body);
    await knownOrder(orderId);
    await audited(
      req,
      res,
      { orderId, action: 'order.cancelled', reason: body.reason },
      async () => {
        const order = await updateOrderWorkflow(
          deps,
          orderId,
          cancelOrderUpdate,
          {
            reason: body.reason,
            requestedBy: 'support',
            staff: staffOf(res),
            ...(body.waiveFee ? { waiveFee: true } : {}),
          },
          'not_cancellable',
          (latest) => latest.cancellation !== undefined,
        );
        const result = cancellationResult(order);
        return {
          status: 200,
          body: result,
          details: { fee: result.fee, refunded: result.refunded, released: result.released },
        };
      },
    );
  });

  router.post('/:orderId/notifications/redeliver', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    await knownOrder(orderId);
    await audited(req, res, { orderId, action: 'notification.redelivered' }, async () => {
      const handle = temporal.workflow.getHandle(orderWorkflowId(orderId));
      try {
        const delivery = await handle.executeUpdate(redeliverNotificationUpdate, {
          args: [{ requestedBy: staffOf(res) }],
        });
        return { status: 200, body: delivery, details: { ...delivery } };
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        throw new ApiError(409, 'invalid_order_state', 'the order is closed: nothing to redeliver');
      }
    });
  });

  return router;
}

function refundOf(order: OrderSnapshot, refundId: string): RefundRecord | undefined {
  return order.refunds?.find((refund) => refund.refundId === refundId);
}
