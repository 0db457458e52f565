// Placing an order: one call that answers after the payment decision. The order workflow is
// started together with an Update that completes once the payment is authorised or declined
// (update-with-start), so there is no polling.
//
// An Idempotency-Key (scoped to the calling app) maps to one order. A retry racing the first
// call joins the same workflow and Update and gets the same answer; a later retry gets the
// remembered first answer, before any validation, so a retry after a date boundary still
// replays. Only an answer that says "try again" (the gateway or Temporal did not answer in
// time; nothing was charged) frees the key for a fresh order. The workflow id reuse policy
// makes a second order under one order id impossible.

import { createHash, randomBytes } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { confirmationTimeoutSeconds } from '../domain/deadlines';
import type { OrderRequest, OrderSnapshot } from '../domain/order';
import { orderTotal } from '../domain/pricing';
import type { ApiClient } from '../infra/config';
import { isDuplicateKeyError, type Models } from '../infra/db';
import type { IdempotencyDocument } from '../infra/models/idempotency';
import {
  awaitPaymentDecisionUpdate,
  orderWorkflowId,
  type OrderWorkflowInput,
} from '../workflows/messages';
import type { orderWorkflow } from '../workflows/order';
import { ApiError } from './errors';
import { CreateOrderRequestSchema, type CreateOrderRequest } from './schemas';

/** Failure codes of orders that charged nothing and may be placed again under the same key. */
export const RETRYABLE_FAILURES: ReadonlySet<string> = new Set([
  'payment_unavailable',
  'checkout_expired',
]);

export interface CheckoutDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
  maxOrderAmount: number;
  /** How long checkout waits for the payment decision before answering 503. */
  waitMs: number;
  /** How long after checkout a workflow may still start authorising (well beyond waitMs). */
  paymentWindowMs: number;
}

export interface CheckoutResult {
  order: OrderSnapshot;
  /** True when this call's key had been seen before and the first answer is replayed. */
  replayed: boolean;
}

export function newOrderId(): string {
  return `ord_${randomBytes(12).toString('hex')}`;
}

/** A stable hash of a JSON body: key order in the client's JSON does not matter. */
export function requestFingerprint(request: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value as object)
          .sort()
          .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(request)))
    .digest('hex');
}

function toOrderRequest(body: CreateOrderRequest): OrderRequest {
  const { payment, ...rest } = body;
  return { ...rest, paymentToken: payment.token } as OrderRequest;
}

const isRetryable = (order: OrderSnapshot | null | undefined) =>
  !!order &&
  order.status === 'payment_declined' &&
  RETRYABLE_FAILURES.has(order.failure?.code ?? '');

export function createCheckout(deps: CheckoutDeps) {
  const { models, temporal, taskQueue, maxOrderAmount } = deps;
  const recordIdOf = (client: ApiClient, key: string) => `${client.name}:${key}`;

  /** The earlier call's record for this key, or 409 when it came with another body. */
  async function earlierCall(recordId: string, fingerprint: string) {
    const existing = await models.IdempotencyRecord.findById(recordId).lean();
    if (existing && existing.requestHash !== fingerprint) {
      throw new ApiError(
        409,
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request body',
      );
    }
    return existing;
  }

  /** The order id this key stands for, claiming the key for a new order if it is free. */
  async function claimKey(
    recordId: string,
    fingerprint: string,
    earlier: IdempotencyDocument | null,
  ): Promise<{ orderId: string; replayed: boolean }> {
    if (earlier) {
      const previous =
        earlier.firstAnswer ?? (await models.Order.findById(earlier.orderId).lean<OrderSnapshot>());
      if (!isRetryable(previous)) return { orderId: earlier.orderId, replayed: true };
      // The earlier order charged nothing and said "try again": this key now means a new one.
      const orderId = newOrderId();
      const repointed = await models.IdempotencyRecord.updateOne(
        { _id: recordId, orderId: earlier.orderId },
        { $set: { orderId }, $unset: { firstAnswer: 1 } },
      );
      if (repointed.modifiedCount === 1) return { orderId, replayed: false };
      const current = await earlierCall(recordId, fingerprint);
      return { orderId: current!.orderId, replayed: true }; // a concurrent retry re-pointed it
    }
    const orderId = newOrderId();
    try {
      await models.IdempotencyRecord.create({ _id: recordId, requestHash: fingerprint, orderId });
      return { orderId, replayed: false };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const winner = await earlierCall(recordId, fingerprint);
      return { orderId: winner!.orderId, replayed: true };
    }
  }

  /** Keeps the first answer for the key; concurrent calls all got the same one. */
  async function rememberAnswer(recordId: string, order: OrderSnapshot) {
    await models.IdempotencyRecord.updateOne(
      { _id: recordId, orderId: order.orderId, firstAnswer: { $exists: false } },
      { $set: { firstAnswer: order } },
    );
  }

  /** Starts the order's workflow, or joins it, and waits for the payment decision. */
  async function awaitPaymentDecision(input: OrderWorkflowInput): Promise<OrderSnapshot> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof orderWorkflow>(
      'orderWorkflow',
      {
        workflowId: orderWorkflowId(input.orderId),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // An order's workflow id is never reused: a key can never start a second order.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      },
    );
    try {
      // Bounded: with no worker polling, Temporal would accept the start and wait for ever.
      return await temporal.connection.withDeadline(Date.now() + deps.waitMs, () =>
        temporal.workflow.executeUpdateWithStart(awaitPaymentDecisionUpdate, {
          startWorkflowOperation,
          updateId: 'payment-decision',
        }),
      );
    } catch (error) {
      // The workflow has finished (a first call died before remembering its answer): the
      // read model holds the order.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const finished = await models.Order.findById(input.orderId).lean<OrderSnapshot>();
      if (!finished) throw error;
      return finished;
    }
  }

  return async function placeOrder(
    client: ApiClient,
    idempotencyKey: string,
    rawBody: unknown,
  ): Promise<CheckoutResult> {
    if (typeof rawBody !== 'object' || rawBody === null || Array.isArray(rawBody)) {
      throw new ApiError(
        400,
        'malformed_json',
        'the request body must be a JSON object sent as application/json',
      );
    }
    const recordId = recordIdOf(client, idempotencyKey);
    const fingerprint = requestFingerprint(rawBody);
    const earlier = await earlierCall(recordId, fingerprint);
    if (earlier?.firstAnswer && !isRetryable(earlier.firstAnswer)) {
      return { order: earlier.firstAnswer, replayed: true };
    }

    const body = CreateOrderRequestSchema.parse(rawBody);
    const provider = await models.Provider.findById(body.providerId).lean();
    if (!provider) throw new ApiError(404, 'provider_not_found', 'no such provider');
    if (provider.vertical !== body.vertical) {
      throw new ApiError(
        422,
        'provider_vertical_mismatch',
        `provider ${provider._id} serves ${provider.vertical} orders`,
        [{ path: 'providerId' }],
      );
    }
    const request = toOrderRequest(body);
    let total: number;
    try {
      total = orderTotal(request);
    } catch {
      total = Number.POSITIVE_INFINITY;
    }
    if (total <= 0 || total > maxOrderAmount) {
      throw new ApiError(
        422,
        'amount_out_of_range',
        `the order total must be between 1 and ${maxOrderAmount} minor units`,
      );
    }

    const { orderId, replayed } = await claimKey(recordId, fingerprint, earlier);
    const order = await awaitPaymentDecision({
      orderId,
      request,
      placedBy: client.name,
      payBy: new Date(Date.now() + deps.paymentWindowMs).toISOString(),
      confirmationTimeoutSeconds: confirmationTimeoutSeconds(
        body.vertical,
        provider.confirmationTimeoutSeconds,
      ),
      ...(provider.doctorNoShowGraceSeconds != null
        ? { doctorNoShowGraceSeconds: provider.doctorNoShowGraceSeconds }
        : {}),
    });
    await rememberAnswer(recordId, order);
    return { order, replayed };
  };
}
