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
//
// Checkout's answer is recorded once per order, by whoever decides first: the workflow when
// the payment is authorised, or checkout when it stops waiting. An answer that says nothing
// was charged is therefore never contradicted by a late authorisation (the workflow releases
// it), and when neither can be recorded the app hears that the outcome is unknown.
//
// Every call answers within CHECKOUT_WAIT_SECONDS, whatever is down: its database calls and
// its wait for the workflow share one deadline, with a little kept back to record the answer.

import { createHash, randomBytes } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { isRetryableAnswer, PAYMENT_UNAVAILABLE, timedOutCheckoutAnswer } from '../domain/checkout';
import { horizonProblems } from '../domain/horizons';
import { placedOrder, type OrderRequest, type OrderSnapshot, type Vertical } from '../domain/order';
import { orderTotal } from '../domain/pricing';
import type { ApiClient } from '../infra/config';
import { isDuplicateKeyError, type Models } from '../infra/db';
import { insertValidated } from '../infra/insert-validated';
import type { ProviderDirectory } from '../infra/provider-directory';
import { readCheckoutAnswer, recordCheckoutGaveUp } from '../infra/checkout-answers';
import { attemptOrderId, type IdempotencyDocument } from '../infra/models/idempotency';
import {
  awaitPaymentDecisionUpdate,
  orderWorkflowId,
  type OrderWorkflowInput,
} from '../workflows/messages';
import type { orderWorkflow } from '../workflows/order';
import { Deadline } from './deadline';
import { ApiError, toApiError } from './errors';
import { orderWorkflowInput, startingSearchAttributes, withLocalTimes } from './order-input';
import { CreateOrderRequestSchema, type CreateOrderRequest } from './schemas';
import { readOrder } from '../infra/read-model';

export interface CheckoutDeps {
  models: Models;
  /** Providers as kept by this process (infra/provider-directory.ts). */
  providers: ProviderDirectory;
  temporal: Client;
  /** The task queue an order of this vertical starts on (infra/task-queues.ts). */
  taskQueueFor: (vertical: Vertical) => string;
  maxOrderAmount: number;
  /** How long checkout waits for the payment decision before answering 503. */
  waitMs: number;
  /** How long after checkout a workflow may still start authorising (well beyond waitMs). */
  paymentWindowMs: number;
  /** Fixed into each order at checkout, like its confirmation deadline. */
  refundWindowSeconds: number;
  deliveryOverdueGraceSeconds: number;
  settlementAttentionSeconds: number;
}

/**
 * Told how long each step of one checkout took (ms), as it ends: `validation` (the body and
 * its provider), `idempotency` (the key's record and its current order), `payment` (starting
 * or joining the workflow and waiting for its decision). The route puts them in Server-Timing.
 */
export type CheckoutStepTimer = (
  step: 'validation' | 'idempotency' | 'payment',
  ms: number,
) => void;

/** Runs `work`, telling `timer` how long it took, whether it succeeded or threw. */
async function timed<T>(
  timer: CheckoutStepTimer | undefined,
  step: Parameters<CheckoutStepTimer>[0],
  work: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timer?.(step, performance.now() - started);
  }
}

export interface CheckoutResult {
  order: OrderSnapshot;
  /** True when this call's key had been seen before and the first answer is replayed. */
  replayed: boolean;
}

function newOrderId(): string {
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

/** Checkout's answers when the database did not answer (api/errors.ts, recordAnswer). */
const DEPENDENCY_DOWN_CODES: ReadonlySet<string> = new Set([
  'dependency_unavailable',
  'checkout_outcome_unknown',
]);

/**
 * Whether a checkout's outcome says a dependency was down (the database, or the payment
 * gateway), not that this process was busy: admission control (api/admission.ts) does not read
 * its latency as load. A timeout waiting for the workflow is not among them: a worker that
 * falls behind is load, and from here Temporal being away looks the same.
 */
export function dependencyWasDown(outcome: PromiseSettledResult<CheckoutResult>): boolean {
  if (outcome.status === 'rejected')
    return DEPENDENCY_DOWN_CODES.has(toApiError(outcome.reason)?.code ?? '');
  return outcome.value.order.failure?.code === PAYMENT_UNAVAILABLE.code;
}

/** A key whose orders keep answering "try again" stops being retried after this many. */
const MAX_ATTEMPTS_PER_KEY = 20;

/** Kept back from the wait for the payment decision to record checkout's answer. */
export const answerReserveMs = (waitMs: number) => Math.min(1_000, waitMs / 5);

export function createCheckout(deps: CheckoutDeps) {
  const { models, temporal, taskQueueFor, maxOrderAmount } = deps;
  const recordIdOf = (client: ApiClient, key: string) => `${client.name}:${key}`;

  /** The earlier call's record for this key, or 409 when it came with another body. */
  async function earlierCall(deadline: Deadline, recordId: string, fingerprint: string) {
    const existing = await deadline.within(
      models.IdempotencyRecord.findById(recordId).lean().exec(),
      answerReserveMs(deps.waitMs),
    );
    if (existing && existing.requestHash !== fingerprint) {
      throw new ApiError(
        409,
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request body',
      );
    }
    return existing;
  }

  /** The key's record, created with a fresh first order id when the key is new. */
  async function claimKey(deadline: Deadline, recordId: string, fingerprint: string) {
    try {
      const record: IdempotencyDocument = {
        _id: recordId,
        requestHash: fingerprint,
        orderId: newOrderId(),
        createdAt: new Date(),
      };
      await deadline.within(
        insertValidated(models.IdempotencyRecord, record),
        answerReserveMs(deps.waitMs),
      );
      return { record, created: true };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return { record: (await earlierCall(deadline, recordId, fingerprint))!, created: false };
    }
  }

  /** What checkout answered (or would have) for an order, once its payment was decided. */
  async function answerFor(deadline: Deadline, orderId: string): Promise<OrderSnapshot | null> {
    const reserve = answerReserveMs(deps.waitMs);
    const kept = await deadline.within(readCheckoutAnswer(models, orderId), reserve);
    if (kept) return kept;
    // A caller that died before keeping its answer: the read model has the decided order.
    const order = await deadline.within(readOrder(models, orderId), reserve);
    return order && order.status !== 'pending_payment' ? order : null;
  }

  /**
   * The key's current order: the first attempt whose payment is undecided (to start or join),
   * or the decided answer to replay. "Try again" answers move on to the next attempt.
   */
  async function currentAttempt(
    deadline: Deadline,
    record: IdempotencyDocument,
  ): Promise<{ orderId: string; answer: OrderSnapshot | null; attempt: number }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS_PER_KEY; attempt++) {
      const orderId = attemptOrderId(record.orderId, attempt);
      const answer = await answerFor(deadline, orderId);
      if (!answer || !isRetryableAnswer(answer)) return { orderId, answer, attempt };
    }
    throw new ApiError(
      409,
      'idempotency_key_exhausted',
      'this Idempotency-Key has been retried too often; use a new key',
    );
  }

  /** Records `order` (nothing charged) as checkout's answer, or learns the one that stands. */
  async function recordAnswer(
    deadline: Deadline,
    order: OrderSnapshot,
    cause?: unknown,
  ): Promise<OrderSnapshot> {
    try {
      return await deadline.within(recordCheckoutGaveUp(models, order));
    } catch (error) {
      const why = cause ?? error;
      throw new ApiError(
        503,
        'checkout_outcome_unknown',
        'the payment decision could not be confirmed; retry with the same Idempotency-Key to learn it',
        [{ orderId: order.orderId, cause: why instanceof Error ? why.name : 'unknown' }],
      );
    }
  }

  /**
   * Checkout could not hear the payment decision (it waited too long, or Temporal failed).
   * It records that nothing was charged, which the workflow keeps to, unless the workflow
   * recorded its decision first; if neither can be said for sure, the outcome is unknown.
   */
  async function stopWaiting(
    deadline: Deadline,
    input: OrderWorkflowInput,
    cause: unknown,
  ): Promise<OrderSnapshot> {
    const now = new Date().toISOString();
    const placed = placedOrder({ ...input, total: orderTotal(input.request), now });
    return recordAnswer(deadline, timedOutCheckoutAnswer(placed, now), cause);
  }

  /** Starts the order's workflow, or joins it, and waits for the payment decision. */
  async function awaitPaymentDecision(
    deadline: Deadline,
    input: OrderWorkflowInput,
  ): Promise<OrderSnapshot> {
    const reserve = answerReserveMs(deps.waitMs);
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof orderWorkflow>(
      'orderWorkflow',
      {
        workflowId: orderWorkflowId(input.orderId),
        taskQueue: taskQueueFor(input.request.vertical),
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: startingSearchAttributes(input.request),
        // An order's workflow id is never reused: a key can never start a second order.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      },
    );
    try {
      // Bounded twice. The gRPC deadline ends the call on the server too: with no worker
      // polling, Temporal would accept the start and wait for ever. The race is the bound the
      // caller relies on: while Temporal restarts, the SDK's retry of an unavailable server
      // waits out its backoff whatever the deadline (@temporalio/client grpc-retry), and one
      // call came back after 8.8 s of a 5 s wait (test/cluster-faults), too late to record
      // its answer.
      return await deadline.within(
        temporal.connection.withDeadline(deadline.at - reserve, () =>
          temporal.workflow.executeUpdateWithStart(awaitPaymentDecisionUpdate, {
            startWorkflowOperation,
            updateId: 'payment-decision',
          }),
        ),
        reserve,
      );
    } catch (error) {
      // The workflow has finished (a first call died before remembering its answer): the
      // read model holds the order.
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        const finished = await deadline
          .within(readOrder(models, input.orderId), reserve)
          .catch(() => null);
        if (finished) return finished;
      }
      return stopWaiting(deadline, input, error);
    }
  }

  /** The request as the workflow takes it, or 404/422 when it cannot be an order. */
  async function validOrder(deadline: Deadline, rawBody: object) {
    const body = CreateOrderRequestSchema.parse(rawBody);
    const provider = (
      await deadline.within(deps.providers.lookup(body.providerId), answerReserveMs(deps.waitMs))
    )?.provider;
    if (!provider) throw new ApiError(404, 'provider_not_found', 'no such provider');
    if (provider.active === false)
      throw new ApiError(422, 'provider_inactive', `provider ${provider._id} takes no new orders`);
    if (provider.vertical !== body.vertical) {
      throw new ApiError(
        422,
        'provider_vertical_mismatch',
        `provider ${provider._id} serves ${provider.vertical} orders`,
        [{ path: 'providerId' }],
      );
    }
    const request = withLocalTimes(toOrderRequest(body), provider);
    const outOfHorizon = horizonProblems(request, new Date());
    if (outOfHorizon.length > 0) {
      throw new ApiError(
        422,
        'out_of_horizon',
        `${outOfHorizon.map((p) => `${p.path} ${p.message}`).join('; ')}: nothing was charged`,
        outOfHorizon,
      );
    }
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
    return { request, provider };
  }

  return async function placeOrder(
    client: ApiClient,
    idempotencyKey: string,
    rawBody: unknown,
    requestId: string,
    timer?: CheckoutStepTimer,
  ): Promise<CheckoutResult> {
    if (typeof rawBody !== 'object' || rawBody === null || Array.isArray(rawBody)) {
      throw new ApiError(
        400,
        'malformed_json',
        'the request body must be a JSON object sent as application/json',
      );
    }
    const deadline = Deadline.in(deps.waitMs);
    const recordId = recordIdOf(client, idempotencyKey);
    const fingerprint = requestFingerprint(rawBody);
    const validation = await timed(timer, 'validation', () => validOrder(deadline, rawBody)).then(
      (valid) => ({ valid }),
      (invalid: unknown) => ({ invalid }),
    );
    if ('invalid' in validation) {
      // A retry of a decided call replays its answer whatever the validation says now (a date
      // may have passed since).
      const earlier = await earlierCall(deadline, recordId, fingerprint);
      const { answer } = earlier ? await currentAttempt(deadline, earlier) : { answer: null };
      if (answer) return { order: answer, replayed: true };
      throw validation.invalid;
    }
    const { request, provider } = validation.valid;
    // The key is claimed by writing its record, and read only when that finds it taken: a new
    // key, nearly every checkout, costs one insert.
    const current = await timed(timer, 'idempotency', async () => {
      const { record, created } = await claimKey(deadline, recordId, fingerprint);
      // A key created by this call has a brand-new first order: nothing can have answered it.
      return created
        ? { orderId: record.orderId, answer: null }
        : await currentAttempt(deadline, record);
    });
    if (current.answer) return { order: current.answer, replayed: true };
    // Unique even when a client sends the same X-Request-Id with each retry.
    const callId = `${requestId}#${randomBytes(4).toString('hex')}`;
    const input = orderWorkflowInput({
      orderId: current.orderId,
      request,
      provider,
      settings: deps,
      placedBy: client.name,
      checkoutCallId: callId,
      now: Date.now(),
    });
    const decided = await timed(timer, 'payment', () => awaitPaymentDecision(deadline, input));
    // The workflow recorded what it answered (or kept to checkout's earlier answer): nothing
    // more to record here.
    // Joining a call that started the order is a replay; starting it (even on a retry) is not.
    return { order: decided, replayed: decided.checkoutCallId !== callId };
  };
}
