// App checkout (role `app`, mounted at /v1/orders): place an order and read it back, at once
// or once it changes (a long poll, ./order-waits.ts).

import { Router, type Response } from 'express';
import type { Models } from '../../infra/db';
import type { OrderSnapshot } from '../../domain/order';
import { apiClientOf } from '../middleware/auth';
import { addServerTiming } from '../middleware/server-timing';
import { ApiError } from '../errors';
import { IdempotencyKeySchema, OrderIdParamsSchema } from '../schemas';
import { CancelOrderRequestSchema, OrderWaitQuerySchema } from './schemas';
import type { OrderWaits } from './order-waits';
import { cancellationResult, toOrderView } from '../order-view';
import { updateOrderWorkflow } from '../order-updates';
import { cancelOrderUpdate } from '../../workflows/messages';
import type { Client } from '@temporalio/client';
import type { CheckoutResult, createCheckout } from '../checkout';
import { RETRYABLE_FAILURES } from '../../domain/checkout';
import type { Admission } from '../admission';
import type { ApiMetrics } from '../metrics';
import { cancellationQuote } from '../cancellation-quote';
import { readOrder } from '../../infra/read-model';

export function ordersRouter(deps: {
  models: Models;
  temporal: Client;
  placeOrder: ReturnType<typeof createCheckout>;
  admission: Admission<CheckoutResult>;
  metrics: ApiMetrics;
  orderWaits: OrderWaits;
}): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const key = req.get('Idempotency-Key');
    if (key === undefined)
      throw new ApiError(400, 'idempotency_key_missing', 'the Idempotency-Key header is required');
    const parsedKey = IdempotencyKeySchema.safeParse(key);
    if (!parsedKey.success) {
      throw new ApiError(
        400,
        'idempotency_key_invalid',
        'Idempotency-Key must be 1-255 printable ASCII characters',
      );
    }
    const { order, replayed } = await deps.admission.admit(() =>
      deps.placeOrder(apiClientOf(res), parsedKey.data, req.body, String(req.id), (step, ms) =>
        addServerTiming(res, step, ms),
      ),
    );
    deps.metrics.checkouts.inc({ vertical: order.vertical, status: order.status });
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    if (order.status === 'payment_declined') {
      // Declined is the customer's card (402). Unavailable or expired means the gateway or
      // Temporal did not answer in time (503): nothing was charged and the same key may retry.
      const retryable = RETRYABLE_FAILURES.has(order.failure?.code ?? '');
      throw new ApiError(
        retryable ? 503 : 402,
        order.failure?.code ?? 'payment_declined',
        order.failure?.message ?? 'the payment was declined',
        [{ orderId: order.orderId, status: order.status }],
      );
    }
    res.status(201).location(`/v1/orders/${order.orderId}`).json(toOrderView(order));
  });

  /** The calling app's own order, or 404: an app never learns about another app's orders. */
  async function appOrder(res: Response, orderId: string): Promise<OrderSnapshot> {
    const order = await readOrder(deps.models, orderId);
    const placedByOther = order?.placedBy !== undefined && order.placedBy !== apiClientOf(res).name;
    if (!order || placedByOther) throw new ApiError(404, 'order_not_found', 'no such order');
    return order;
  }

  router.post('/:orderId/cancel', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    const { reason } = CancelOrderRequestSchema.parse(req.body);
    await appOrder(res, orderId);
    const order = await updateOrderWorkflow(
      deps,
      orderId,
      cancelOrderUpdate,
      { reason, requestedBy: 'customer' },
      'not_cancellable',
      (latest) => latest.cancellation !== undefined,
    );
    res.json(cancellationResult(order));
  });

  router.get('/:orderId/cancellation-quote', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    res.json(cancellationQuote(await appOrder(res, orderId), new Date()));
  });

  router.get('/:orderId', async (req, res) => {
    const { orderId } = OrderIdParamsSchema.parse(req.params);
    const wait = OrderWaitQuerySchema.parse(req.query);
    if (!wait) {
      res.json(toOrderView(await appOrder(res, orderId)));
      return;
    }
    res.locals.routeVariant = '(long poll)';
    // The client leaving frees its wait (its listener and timer) at once.
    const left = new AbortController();
    res.once('close', () => left.abort());
    const order = await deps.orderWaits.untilRevisionAbove(
      orderId,
      wait.afterRevision,
      wait.waitMs,
      () => appOrder(res, orderId),
      left.signal,
    );
    if (order) res.json(toOrderView(order));
  });

  return router;
}
