// Payment steps of an order. Each derives its gateway idempotency key from the order and the
// step, so Temporal's retries (and any replay) never move money twice. Gateway business
// refusals become non-retryable ApplicationFailures the workflow can branch on.
//
// Results also name what was asked (the authorisation, the refund and its reason): run as
// local activities their inputs are not in the history, and support's timeline reads them.

import { ApplicationFailure } from '@temporalio/activity';
import {
  PaymentDeclinedError,
  PaymentOperationRejectedError,
  type Authorisation,
  type CaptureResult,
  type RefundResult,
  type VoidResult,
} from '../infra/payments/gateway';
import { refuseIfCheckoutAnswered } from './checkout';
import type { ActivityDeps } from './deps';

const PaymentFailureTypes = {
  declined: 'PaymentDeclined',
  rejected: 'PaymentOperationRejected',
} as const;

const paymentKey = (orderId: string, step: string): string => `order:${orderId}:${step}`;

async function translateGatewayErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof PaymentDeclinedError) {
      throw ApplicationFailure.create({
        type: PaymentFailureTypes.declined,
        message: error.message,
        details: [error.reason],
        nonRetryable: true,
      });
    }
    if (error instanceof PaymentOperationRejectedError) {
      throw ApplicationFailure.create({
        type: PaymentFailureTypes.rejected,
        message: error.message,
        nonRetryable: true,
      });
    }
    throw error; // transient: Temporal retries with backoff
  }
}

export function createPaymentActivities({
  gateway,
  models,
  clock = () => new Date(),
}: Pick<ActivityDeps, 'gateway' | 'models'> & Partial<Pick<ActivityDeps, 'clock'>>) {
  return {
    /**
     * Holds the order's total. Once checkout may have stopped waiting, it first asks whether
     * checkout told the app nothing was charged, and then refuses. Before `checkoutWaitsUntil`
     * it does not ask: checkout is still waiting (unless Temporal failed it at once), and a
     * hold made while checkout answers is given back when the workflow records the payment
     * decision and finds checkout's answer standing (activities/checkout.ts).
     */
    async authorisePayment({
      checkoutWaitsUntil,
      ...input
    }: {
      orderId: string;
      amount: number;
      currency: string;
      token: string;
      checkoutWaitsUntil?: string;
    }): Promise<Authorisation> {
      const checkoutWaits =
        checkoutWaitsUntil !== undefined && clock().getTime() < Date.parse(checkoutWaitsUntil);
      if (!checkoutWaits) await refuseIfCheckoutAnswered(models, input.orderId);
      return translateGatewayErrors(() =>
        gateway.authorise({ ...input, idempotencyKey: paymentKey(input.orderId, 'authorise') }),
      );
    },

    async capturePayment(input: {
      orderId: string;
      authorisationId: string;
      amount: number;
    }): Promise<CaptureResult & { authorisationId: string }> {
      const captured = await translateGatewayErrors(() =>
        gateway.capture({
          idempotencyKey: paymentKey(input.orderId, 'capture'),
          authorisationId: input.authorisationId,
          amount: input.amount,
        }),
      );
      return { ...captured, authorisationId: input.authorisationId };
    },

    async voidAuthorisation(input: {
      orderId: string;
      authorisationId: string;
    }): Promise<VoidResult & { authorisationId: string }> {
      const voided = await translateGatewayErrors(() =>
        gateway.void({
          idempotencyKey: paymentKey(input.orderId, 'void'),
          authorisationId: input.authorisationId,
        }),
      );
      return { ...voided, authorisationId: input.authorisationId };
    },

    /** Releases whatever an unanswered authorisation may have held. */
    async reverseAuthorisation(input: { orderId: string; currency: string }): Promise<VoidResult> {
      return translateGatewayErrors(() =>
        gateway.reverseAuthorisation({
          idempotencyKey: paymentKey(input.orderId, 'reverse-authorisation'),
          authoriseKey: paymentKey(input.orderId, 'authorise'),
          orderId: input.orderId,
          currency: input.currency,
        }),
      );
    },

    /** `refundId` names the refund within the order (e.g. "cancellation", a support request id). */
    async refundPayment(input: {
      orderId: string;
      authorisationId: string;
      amount: number;
      refundId: string;
      reason?: string;
    }): Promise<RefundResult & { refundId: string; reason?: string }> {
      const refunded = await translateGatewayErrors(() =>
        gateway.refund({
          idempotencyKey: paymentKey(input.orderId, `refund:${input.refundId}`),
          authorisationId: input.authorisationId,
          amount: input.amount,
          reason: input.reason,
        }),
      );
      return {
        ...refunded,
        refundId: input.refundId,
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
      };
    },
  };
}
