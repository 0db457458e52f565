// The embedded payment gateway: a card processor simulation with a real ledger in the
// database, driven by the payment token:
//   tok_ok       succeeds
//   tok_declined is declined (a business failure)
//   tok_flaky    fails transiently on the first two calls of each operation, then succeeds
//   tok_slow     answers after about two seconds
// Any other token is declined as invalid, as a processor would.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError, type Models } from '../db';
import type {
  LedgerEntry,
  LedgerEntryType,
  SandboxPaymentDocument,
} from '../models/sandbox-payment';
import {
  GatewayUnavailableError,
  PaymentDeclinedError,
  PaymentOperationRejectedError,
  type Authorisation,
  type AuthoriseRequest,
  type CaptureRequest,
  type CaptureResult,
  type PaymentGateway,
  type RefundRequest,
  type RefundResult,
  type ReverseAuthorisationRequest,
  type VoidRequest,
  type VoidResult,
} from './gateway';

export const SANDBOX_TOKENS = ['tok_ok', 'tok_declined', 'tok_flaky', 'tok_slow'] as const;

const FLAKY_FAILURES_PER_OPERATION = 2;
const SLOW_RESPONSE_MS = 2000;

type PaymentModels = Pick<Models, 'SandboxPayment' | 'SandboxCallCount'>;

export function createSandboxGateway(
  models: PaymentModels,
  clock: () => Date = () => new Date(),
): PaymentGateway {
  const { SandboxPayment, SandboxCallCount } = models;

  /** Plays the token's network behaviour for one call. */
  async function simulateNetwork(token: string, idempotencyKey: string): Promise<void> {
    if (token === 'tok_slow') await sleep(SLOW_RESPONSE_MS);
    if (token === 'tok_flaky') {
      const counter = await SandboxCallCount.findOneAndUpdate(
        { _id: idempotencyKey },
        { $inc: { calls: 1 } },
        { upsert: true, new: true },
      ).lean();
      if ((counter?.calls ?? 0) <= FLAKY_FAILURES_PER_OPERATION) {
        throw new GatewayUnavailableError('sandbox: simulated network failure (tok_flaky)');
      }
    }
  }

  function entry(
    key: string,
    type: LedgerEntryType,
    amount: number,
    currency: string,
    reason?: string,
  ): LedgerEntry {
    return { key, type, amount, currency, at: clock(), ...(reason ? { reason } : {}) };
  }

  async function loadPayment(authorisationId: string): Promise<SandboxPaymentDocument> {
    const payment = await SandboxPayment.findById(authorisationId).lean();
    if (!payment)
      throw new PaymentOperationRejectedError(`unknown authorisation ${authorisationId}`);
    return payment;
  }

  /**
   * Applies one money movement atomically: the filter holds the preconditions and the guard
   * that this key was not applied yet. Returns the document after the change, or null when a
   * precondition did not hold (the caller then looks at why).
   */
  async function applyOnce(
    authorisationId: string,
    key: string,
    preconditions: Record<string, unknown>,
    change: {
      set?: Partial<SandboxPaymentDocument>;
      inc?: Partial<Record<'refunded', number>>;
      entries: LedgerEntry[];
    },
  ): Promise<SandboxPaymentDocument | null> {
    return SandboxPayment.findOneAndUpdate(
      { _id: authorisationId, appliedKeys: { $ne: key }, ...preconditions },
      {
        ...(change.set ? { $set: change.set } : {}),
        ...(change.inc ? { $inc: change.inc } : {}),
        $push: { appliedKeys: key, entries: { $each: change.entries } },
      },
      { new: true },
    ).lean();
  }

  return {
    async authorise(request: AuthoriseRequest): Promise<Authorisation> {
      const existing = await SandboxPayment.findById(
        authorisationIdFor(request.idempotencyKey),
      ).lean();
      if (existing) return authorisationOf(existing);

      await simulateNetwork(request.token, request.idempotencyKey);
      const declineReason =
        request.token === 'tok_declined'
          ? 'card_declined'
          : SANDBOX_TOKENS.includes(request.token as (typeof SANDBOX_TOKENS)[number])
            ? undefined
            : 'invalid_token';
      const authorised = declineReason ? 0 : request.amount;
      const document: SandboxPaymentDocument = {
        _id: authorisationIdFor(request.idempotencyKey),
        authoriseKey: request.idempotencyKey,
        orderId: request.orderId,
        currency: request.currency,
        token: request.token,
        status: declineReason ? 'declined' : 'authorised',
        authorised,
        captured: 0,
        released: 0,
        refunded: 0,
        appliedKeys: [request.idempotencyKey],
        entries: [
          declineReason
            ? entry(
                request.idempotencyKey,
                'decline',
                request.amount,
                request.currency,
                declineReason,
              )
            : entry(request.idempotencyKey, 'authorisation', authorised, request.currency),
        ],
        createdAt: clock(),
      };
      try {
        await SandboxPayment.create(document);
        return authorisationOf(document);
      } catch (error) {
        // A concurrent call with the same key got there first: answer as it did.
        if (!isDuplicateKeyError(error)) throw error;
        const winner = await SandboxPayment.findById(
          authorisationIdFor(request.idempotencyKey),
        ).lean();
        if (!winner) throw error;
        return authorisationOf(winner);
      }
    },

    async capture(request: CaptureRequest): Promise<CaptureResult> {
      const payment = await loadPayment(request.authorisationId);
      if (payment.appliedKeys.includes(request.idempotencyKey)) {
        return { captured: payment.captured, released: payment.released };
      }
      if (
        !Number.isSafeInteger(request.amount) ||
        request.amount <= 0 ||
        request.amount > payment.authorised
      ) {
        throw new PaymentOperationRejectedError(
          `capture of ${request.amount} is not within the authorised ${payment.authorised}`,
        );
      }
      await simulateNetwork(payment.token, request.idempotencyKey);
      const released = payment.authorised - request.amount;
      const entries = [entry(request.idempotencyKey, 'capture', request.amount, payment.currency)];
      if (released > 0)
        entries.push(entry(request.idempotencyKey, 'release', released, payment.currency));
      const updated = await applyOnce(
        request.authorisationId,
        request.idempotencyKey,
        { status: 'authorised' },
        {
          set: { status: 'captured', captured: request.amount, released },
          entries,
        },
      );
      if (updated) return { captured: updated.captured, released: updated.released };
      return replayOrReject(request.authorisationId, request.idempotencyKey, 'capture', (p) => ({
        captured: p.captured,
        released: p.released,
      }));
    },

    async void(request: VoidRequest): Promise<VoidResult> {
      const payment = await loadPayment(request.authorisationId);
      if (payment.appliedKeys.includes(request.idempotencyKey))
        return { released: payment.released };
      await simulateNetwork(payment.token, request.idempotencyKey);
      const updated = await applyOnce(
        request.authorisationId,
        request.idempotencyKey,
        { status: 'authorised' },
        {
          set: { status: 'voided', released: payment.authorised },
          entries: [entry(request.idempotencyKey, 'void', payment.authorised, payment.currency)],
        },
      );
      if (updated) return { released: updated.released };
      return replayOrReject(request.authorisationId, request.idempotencyKey, 'void', (p) => ({
        released: p.released,
      }));
    },

    async reverseAuthorisation(request: ReverseAuthorisationRequest): Promise<VoidResult> {
      const existing = await SandboxPayment.findById(
        authorisationIdFor(request.authoriseKey),
      ).lean();
      if (existing) {
        if (existing.status !== 'authorised') return { released: existing.released };
        return this.void({ idempotencyKey: request.idempotencyKey, authorisationId: existing._id });
      }
      // Nothing arrived yet: leave a reversed record under the key, so a late authorisation
      // with it finds this and is refused instead of holding money.
      try {
        await SandboxPayment.create({
          _id: authorisationIdFor(request.authoriseKey),
          authoriseKey: request.authoriseKey,
          orderId: request.orderId,
          currency: request.currency,
          token: 'n/a',
          status: 'reversed',
          authorised: 0,
          captured: 0,
          released: 0,
          refunded: 0,
          appliedKeys: [request.idempotencyKey],
          entries: [
            entry(
              request.idempotencyKey,
              'void',
              0,
              request.currency,
              'reversed before authorisation',
            ),
          ],
          createdAt: clock(),
        });
        return { released: 0 };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        return this.reverseAuthorisation(request); // the authorisation landed meanwhile
      }
    },

    async refund(request: RefundRequest): Promise<RefundResult> {
      let payment = await loadPayment(request.authorisationId);
      await simulateNetwork(payment.token, request.idempotencyKey);
      // Optimistic concurrency on `refunded`: concurrent refunds of one payment never
      // together exceed what was captured.
      for (;;) {
        const previous = payment.entries.find(
          (e) => e.key === request.idempotencyKey && e.type === 'refund',
        );
        if (previous) return { refunded: previous.amount, totalRefunded: payment.refunded };
        const refundable = payment.captured - payment.refunded;
        if (
          !Number.isSafeInteger(request.amount) ||
          request.amount <= 0 ||
          request.amount > refundable
        ) {
          throw new PaymentOperationRejectedError(
            `refund of ${request.amount} exceeds the refundable ${refundable}`,
          );
        }
        const updated = await applyOnce(
          request.authorisationId,
          request.idempotencyKey,
          { status: 'captured', refunded: payment.refunded },
          {
            inc: { refunded: request.amount },
            entries: [
              entry(
                request.idempotencyKey,
                'refund',
                request.amount,
                payment.currency,
                request.reason,
              ),
            ],
          },
        );
        if (updated) return { refunded: request.amount, totalRefunded: updated.refunded };
        payment = await loadPayment(request.authorisationId);
        if (payment.status !== 'captured') {
          throw new PaymentOperationRejectedError(
            `cannot refund a payment that is ${payment.status}`,
          );
        }
      }
    },

    async ledger(orderId: string): Promise<LedgerEntry[]> {
      const payments = await SandboxPayment.find({ orderId }).sort({ createdAt: 1 }).lean();
      return payments.flatMap((p) => p.entries).sort((a, b) => a.at.getTime() - b.at.getTime());
    },
  };

  /** After a guarded update matched nothing: either this key was applied already, or the state forbids it. */
  async function replayOrReject<T>(
    authorisationId: string,
    key: string,
    operation: string,
    result: (payment: SandboxPaymentDocument) => T,
  ): Promise<T> {
    const payment = await loadPayment(authorisationId);
    if (payment.appliedKeys.includes(key)) return result(payment);
    throw new PaymentOperationRejectedError(
      `cannot ${operation} a payment that is ${payment.status}`,
    );
  }
}

/**
 * The authorisation's id follows from its idempotency key, so finding the authorisation a
 * key made is a primary-key lookup, and two calls with one key collide on the primary key.
 */
function authorisationIdFor(authoriseKey: string): string {
  return `auth_${createHash('sha256').update(authoriseKey).digest('hex').slice(0, 32)}`;
}

function authorisationOf(payment: SandboxPaymentDocument): Authorisation {
  if (payment.status === 'declined') {
    throw new PaymentDeclinedError(payment.entries[0]?.reason ?? 'card_declined');
  }
  if (payment.status === 'reversed') throw new PaymentDeclinedError('reversed');
  return { authorisationId: payment._id, amount: payment.authorised, currency: payment.currency };
}
