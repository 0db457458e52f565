// Placing an order: one call that answers after the payment decision. The order workflow is
// started together with an Update that completes once the payment is authorised or declined
// (update-with-start), so there is no polling. An Idempotency-Key maps to exactly one order:
// a retry racing the first call attaches to the same workflow and Update and gets the same
// answer; a later retry gets the remembered first answer. The workflow id reuse policy makes
// a second order for one key impossible.

import { createHash, randomBytes } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { confirmationTimeoutSeconds } from '../domain/deadlines';
import { OPEN_VERTICALS, type OrderRequest, type OrderSnapshot } from '../domain/order';
import { orderTotal } from '../domain/pricing';
import { isDuplicateKeyError, type Models } from '../infra/db';
import type { ApiClient } from '../infra/config';
import {
  awaitPaymentDecisionUpdate,
  orderWorkflowId,
  type OrderWorkflowInput,
} from '../workflows/messages';
import type { orderWorkflow } from '../workflows/order';
import { ApiError } from './errors';
import type { CreateOrderRequest } from './schemas';

export interface CheckoutDeps {
  models: Models;
  temporal: Client;
  taskQueue: string;
  maxOrderAmount: number;
}

export interface CheckoutResult {
  order: OrderSnapshot;
  /** True when this call's key had been seen before and the first answer is replayed. */
  replayed: boolean;
}

export function newOrderId(): string {
  return `ord_${randomBytes(12).toString('hex')}`;
}

/** A stable hash of the validated request: key order in the client's JSON does not matter. */
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

export function createCheckout({ models, temporal, taskQueue, maxOrderAmount }: CheckoutDeps) {
  /** Claims the key for a new order, or finds the order an earlier call with it made. */
  async function claimIdempotencyKey(client: ApiClient, key: string, fingerprint: string) {
    const recordId = `${client.name}:${key}`;
    const orderId = newOrderId();
    try {
      await models.IdempotencyRecord.create({ _id: recordId, requestHash: fingerprint, orderId });
      return { orderId, replayed: false };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
    const existing = await models.IdempotencyRecord.findById(recordId).lean();
    if (!existing) throw new Error(`idempotency record ${recordId} vanished`);
    if (existing.requestHash !== fingerprint) {
      throw new ApiError(
        409,
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request body',
      );
    }
    return { orderId: existing.orderId, replayed: true, firstAnswer: existing.firstAnswer };
  }

  /** Keeps the first answer for the key; concurrent calls all got the same one. */
  async function rememberAnswer(client: ApiClient, key: string, order: OrderSnapshot) {
    await models.IdempotencyRecord.updateOne(
      { _id: `${client.name}:${key}`, firstAnswer: { $exists: false } },
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
      return await temporal.workflow.executeUpdateWithStart(awaitPaymentDecisionUpdate, {
        startWorkflowOperation,
        updateId: 'payment-decision',
      });
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
    body: CreateOrderRequest,
  ): Promise<CheckoutResult> {
    if (!OPEN_VERTICALS.includes(body.vertical)) {
      throw new ApiError(
        422,
        'vertical_not_available',
        `${body.vertical} orders are not open yet`,
        [{ path: 'vertical' }],
      );
    }
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

    const { orderId, replayed, firstAnswer } = await claimIdempotencyKey(
      client,
      idempotencyKey,
      requestFingerprint(body),
    );
    if (firstAnswer) return { order: firstAnswer, replayed };

    const order = await awaitPaymentDecision({
      orderId,
      request,
      confirmationTimeoutSeconds: confirmationTimeoutSeconds(
        body.vertical,
        provider.confirmationTimeoutSeconds,
      ),
      ...(provider.doctorNoShowGraceSeconds != null
        ? { doctorNoShowGraceSeconds: provider.doctorNoShowGraceSeconds }
        : {}),
    });
    await rememberAnswer(client, idempotencyKey, order);
    return { order, replayed };
  };
}
