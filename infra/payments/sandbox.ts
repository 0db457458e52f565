// The embedded payment gateway: a card processor simulation with a real ledger in the
// database, driven by the payment token:
//   tok_ok       succeeds
//   tok_declined is declined (a business failure)
//   tok_flaky    fails transiently on the first two calls of each operation, then succeeds
//   tok_slow     answers after about two seconds (SANDBOX_SLOW_PAYMENT_MS)
//   tok_settlement_outage  authorises and captures, but every void and refund fails
//                transiently (a settlement outage: the order's compensation keeps retrying)
// Any other token is declined as invalid, as a processor would.
//
// This module is the processor's behaviour: the tokens, the network they play, and the rules of
// each operation (what may be captured, voided, refunded). How the books keep each key's money
// moving once under concurrency is sandbox-books.ts.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError, type Models } from '../db';
import type {
  LedgerEntry,
  LedgerEntryType,
  SandboxPaymentDocument,
} from '../models/sandbox-payment';
import {
  createSandboxBooks,
  stateOf,
  type OperationKind,
  type PaymentState,
} from './sandbox-books';
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

const SANDBOX_TOKENS = [
  'tok_ok',
  'tok_declined',
  'tok_flaky',
  'tok_slow',
  'tok_settlement_outage',
] as const;

const FLAKY_FAILURES_PER_OPERATION = 2;

type PaymentModels = Pick<Models, 'SandboxPayment' | 'SandboxOperation' | 'SandboxCall'>;

/**
 * The authorisation's id follows from its idempotency key, so finding the authorisation a
 * key made is a primary-key lookup, and two calls with one key collide on the primary key.
 */
function authorisationIdFor(authoriseKey: string): string {
  return `auth_${createHash('sha256').update(authoriseKey).digest('hex').slice(0, 32)}`;
}

/** Whether a call with this token (for this operation; none: an authorisation) plays network. */
function playsNetwork(token: string, operation?: OperationKind): boolean {
  return (
    token === 'tok_slow' ||
    token === 'tok_flaky' ||
    (token === 'tok_settlement_outage' && (operation === 'void' || operation === 'refund'))
  );
}

function authorisationOf(header: SandboxPaymentDocument): Authorisation {
  if (header.outcome === 'declined')
    throw new PaymentDeclinedError(header.declineReason ?? 'card_declined');
  if (header.outcome === 'reversed') throw new PaymentDeclinedError('reversed');
  return { authorisationId: header._id, amount: header.authorised, currency: header.currency };
}

export interface SandboxGatewayOptions {
  clock?: () => Date;
  /** How long a `tok_slow` call takes (SANDBOX_SLOW_PAYMENT_MS). */
  slowResponseMs?: number;
}

export function createSandboxGateway(
  models: PaymentModels,
  { clock = () => new Date(), slowResponseMs = 2000 }: SandboxGatewayOptions = {},
): PaymentGateway {
  const { SandboxCall } = models;
  const books = createSandboxBooks(models, clock);

  /** Plays the token's network behaviour for one call (`playsNetwork` says whether it has any). */
  async function simulateNetwork(
    token: string,
    idempotencyKey: string,
    operation?: OperationKind,
  ): Promise<void> {
    if (!playsNetwork(token, operation)) return;
    if (token === 'tok_slow') await sleep(slowResponseMs);
    if (token === 'tok_settlement_outage' && (operation === 'void' || operation === 'refund'))
      throw new GatewayUnavailableError(
        `sandbox: settlement outage (${operation} refused for now)`,
      );
    if (token !== 'tok_flaky') return;
    // Each call claims the next call slot of its key; the first ones fail.
    for (let call = 1; call <= FLAKY_FAILURES_PER_OPERATION; call++) {
      try {
        await SandboxCall.create({ _id: `${idempotencyKey}#${call}`, key: idempotencyKey });
        throw new GatewayUnavailableError(`sandbox: simulated network failure ${call} (tok_flaky)`);
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    }
    await SandboxCall.create({
      _id: `${idempotencyKey}#${FLAKY_FAILURES_PER_OPERATION + 1}`,
      key: idempotencyKey,
    }).catch((error: unknown) => {
      if (!isDuplicateKeyError(error)) throw error;
    });
  }

  const entry = (
    key: string,
    type: LedgerEntryType,
    amount: number,
    currency: string,
    reason?: string,
  ): LedgerEntry => ({
    key,
    type,
    amount,
    currency,
    at: clock(),
    ...(reason ? { reason } : {}),
  });

  /** Applies an operation once per key (sandbox-books.ts), after playing the token's network. */
  const applyOnce = <T extends Record<string, number>>(
    request: { authorisationId: string; idempotencyKey: string },
    kind: OperationKind,
    plan: (state: PaymentState) => LedgerEntry[],
    result: (after: PaymentState, entries: LedgerEntry[]) => T,
  ) =>
    books.applyOnce(request, kind, plan, result, (header) =>
      simulateNetwork(header.token, request.idempotencyKey, kind),
    );

  function requireAmount(amount: number, limit: number, what: string) {
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > limit) {
      throw new PaymentOperationRejectedError(
        `${what} of ${amount} is not within the available ${limit}`,
      );
    }
  }

  const gateway: PaymentGateway = {
    async authorise(request: AuthoriseRequest): Promise<Authorisation> {
      const authorisationId = authorisationIdFor(request.idempotencyKey);
      if (playsNetwork(request.token)) {
        // A repeat answers at once, without playing the network again.
        const existing = await books.header(authorisationId);
        if (existing) return authorisationOf(existing);
        await simulateNetwork(request.token, request.idempotencyKey);
      }
      // Otherwise straight to the insert: its primary key says whether the key came before
      // (a read first would be one more round trip, see applyOnce).
      const declineReason =
        request.token === 'tok_declined'
          ? 'card_declined'
          : SANDBOX_TOKENS.includes(request.token as (typeof SANDBOX_TOKENS)[number])
            ? undefined
            : 'invalid_token';
      const header: SandboxPaymentDocument = {
        _id: authorisationId,
        authoriseKey: request.idempotencyKey,
        orderId: request.orderId,
        currency: request.currency,
        token: request.token,
        outcome: declineReason ? 'declined' : 'authorised',
        requested: request.amount,
        authorised: declineReason ? 0 : request.amount,
        ...(declineReason ? { declineReason } : {}),
        createdAt: clock(),
      };
      // A concurrent call with the same key (or a reversal) may have got there first: then
      // this answers as that one did.
      return authorisationOf((await books.open(header)).header);
    },

    async capture(request: CaptureRequest): Promise<CaptureResult> {
      return applyOnce(
        request,
        'capture',
        ({ header, ...state }) => {
          if (state.status !== 'authorised') {
            throw new PaymentOperationRejectedError(
              `cannot capture a payment that is ${state.status}`,
            );
          }
          requireAmount(request.amount, header.authorised, 'capture');
          const released = header.authorised - request.amount;
          const entries = [
            entry(request.idempotencyKey, 'capture', request.amount, header.currency),
          ];
          if (released > 0)
            entries.push(entry(request.idempotencyKey, 'release', released, header.currency));
          return entries;
        },
        (state) => ({ captured: state.captured, released: state.released }),
      );
    },

    async void(request: VoidRequest): Promise<VoidResult> {
      return applyOnce(
        request,
        'void',
        ({ header, ...state }) => {
          if (state.status !== 'authorised') {
            throw new PaymentOperationRejectedError(
              `cannot void a payment that is ${state.status}`,
            );
          }
          return [entry(request.idempotencyKey, 'void', header.authorised, header.currency)];
        },
        (state) => ({ released: state.released }),
      );
    },

    async reverseAuthorisation(request: ReverseAuthorisationRequest): Promise<VoidResult> {
      const authorisationId = authorisationIdFor(request.authoriseKey);
      // If nothing arrived yet, a reversed header under the key makes a late authorisation with
      // it collide and be refused instead of holding money (and nothing is held to release).
      const existing = await books.header(authorisationId);
      const { header } = existing
        ? { header: existing }
        : await books.open({
            _id: authorisationId,
            authoriseKey: request.authoriseKey,
            orderId: request.orderId,
            currency: request.currency,
            token: 'n/a',
            outcome: 'reversed',
            requested: 0,
            authorised: 0,
            createdAt: clock(),
          });
      if (header.outcome !== 'authorised') return { released: 0 };
      const state = stateOf(header, await books.operationsOf(authorisationId));
      if (state.status !== 'authorised') return { released: state.released };
      return gateway.void({ idempotencyKey: request.idempotencyKey, authorisationId });
    },

    async refund(request: RefundRequest): Promise<RefundResult> {
      return applyOnce(
        request,
        'refund',
        ({ header, ...state }) => {
          if (state.status !== 'captured') {
            throw new PaymentOperationRejectedError(
              `cannot refund a payment that is ${state.status}`,
            );
          }
          requireAmount(request.amount, state.captured - state.refunded, 'refund');
          return [
            entry(
              request.idempotencyKey,
              'refund',
              request.amount,
              header.currency,
              request.reason,
            ),
          ];
        },
        (after, entries) => ({ refunded: entries[0]!.amount, totalRefunded: after.refunded }),
      );
    },

    ledger: (orderId: string): Promise<LedgerEntry[]> => books.ledger(orderId),
  };
  return gateway;
}
