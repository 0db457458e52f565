// Provider callbacks (signed): confirm or reject an order, report dispatch progress, and
// list orders for providers that poll. Decisions are workflow Updates, so the provider
// hears at once whether its callback changed the order.

import { Router, type RequestHandler } from 'express';
import type { Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { ZodType } from 'zod';
import type { Models } from '../../infra/db';
import type { OrderSnapshot } from '../../domain/order';
import { eventScheduleProblem } from '../../domain/schedule';
import { confirmOrderUpdate, reportProviderEventUpdate } from '../../workflows/messages';
import { ApiError } from '../errors';
import { requireJsonBody } from '../middleware/body';
import { logProviderCallbacks, type CallbackLog } from '../middleware/callback-log';
import { providerOf } from '../middleware/signature';
import { updateOrderWorkflow, type AfterSalesSettings } from '../order-updates';
import { toOrderView, type OrderView } from '../order-view';
import {
  ConfirmationRequestSchema,
  ProviderEventRequestSchema,
  ProviderOrderParamsSchema,
  ProviderOrdersQuerySchema,
} from './schemas';

export function providersRouter(deps: {
  models: Models;
  temporal: Client;
  /** A late fact of an order whose workflow has ended is recorded by its after-sales workflow. */
  afterSales: AfterSalesSettings;
  verifySignature: RequestHandler[];
  callbackLog: CallbackLog;
}): Router {
  const router = Router();
  const { models, temporal } = deps;

  /**
   * A signed callback that becomes a workflow Update on the provider's own order. The order's
   * workflow checks whose order it is, and the event's time against its schedule, in the
   * Update's validator (no read here); an order whose workflow has ended is checked here.
   */
  function orderUpdateRoute<Body>(
    kind: 'confirmation' | 'events',
    bodySchema: ZodType<Body>,
    update: UpdateDefinition<OrderSnapshot, [Body]>,
    alreadyApplied: (order: OrderSnapshot, body: Body) => boolean,
    checkAgainst: (order: OrderSnapshot, body: Body) => void = () => undefined,
    afterSales = false,
  ) {
    const path = `/v1/providers/:providerId/orders/:orderId/${kind}`;
    router.post(
      path,
      logProviderCallbacks(deps.callbackLog, kind),
      requireJsonBody,
      ...deps.verifySignature,
      async (req, res) => {
        const { providerId, orderId } = ProviderOrderParamsSchema.parse(req.params);
        const body = bodySchema.parse(req.body);
        const order = await updateOrderWorkflow(
          { temporal, models, afterSales: deps.afterSales },
          orderId,
          update,
          // The workflow refuses an answer from a provider the order has moved on from.
          { ...body, providerId },
          'invalid_order_state',
          (latest) => alreadyApplied(latest, body),
          {
            afterSales,
            checkOrder: (latest) => checkAgainst(providersOrder(latest, providerId), body),
          },
        );
        res.json(asSeenBy(providerId, toOrderView(order)));
      },
    );
  }

  orderUpdateRoute(
    'confirmation',
    ConfirmationRequestSchema,
    confirmOrderUpdate,
    (order, decision) => order.confirmation?.decision === decision.decision,
  );
  orderUpdateRoute(
    'events',
    ProviderEventRequestSchema,
    reportProviderEventUpdate,
    (order, event) => order.dispatch.events.some((e) => e.type === event.type),
    (order, event) => {
      // As the order's workflow checks it (workflows/provider-facts.ts).
      const outOfSchedule = eventScheduleProblem(order, event);
      if (outOfSchedule) {
        throw new ApiError(422, 'event_out_of_schedule', outOfSchedule, [
          { path: 'at', message: outOfSchedule },
        ]);
      }
    },
    true,
  );

  router.get('/v1/providers/:providerId/orders', ...deps.verifySignature, async (req, res) => {
    const { status, limit } = ProviderOrdersQuerySchema.parse(req.query);
    const provider = providerOf(res);
    const orders = await models.Order.find({ providerId: provider._id, status })
      .sort({ createdAt: -1 })
      .limit(limit)
      .lean<OrderSnapshot[]>();
    res.json({ orders: orders.map(toOrderView) });
  });

  return router;
}

const offeredBefore = (order: OrderSnapshot, providerId: string) =>
  order.routing?.some((offer) => offer.providerId === providerId) ?? false;

/**
 * The provider's own order, or 404: a provider never learns about other providers' orders.
 * A provider the order was offered to before it was re-routed is told so (409).
 */
function providersOrder(order: OrderSnapshot | null, providerId: string): OrderSnapshot {
  if (order && order.providerId !== providerId && offeredBefore(order, providerId))
    throw new ApiError(409, 'order_rerouted', 'the order was offered to another provider');
  if (!order || order.providerId !== providerId)
    throw new ApiError(404, 'order_not_found', 'no such order');
  return order;
}

/** A provider whose answer moved the order on sees that it did, not where it went. */
function asSeenBy(providerId: string, view: OrderView): Partial<OrderView> {
  if (view.providerId === providerId) return view;
  const { providerId: _next, routing: _routing, ...rest } = view;
  return rest;
}
