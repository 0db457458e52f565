// The embedded payment gateway: a card processor simulation with a real ledger in the
// database, driven by the payment token:
//   tok_ok       succeeds
//   tok_declined is declined (a business failure)
//   tok_flaky    fails transiently on the first two calls of each operation, then succeeds
//   tok_slow     answers after about two seconds
//   tok_settlement_outage  authorises and captures, but every void and refund fails
//                transiently (a settlement outage: the order's compensation keeps retrying)
// Any other token is declined as invalid, as a processor would.
//
// The books are append-only (see models/sandbox-payment.ts): an operation is applied by
// inserting it into the next sequence slot of its authorisation after checking the limits
// against everything before that slot. A writer that loses the slot to another looks again,
// so an idempotency key is applied once and the limits hold under any concurrency. Slots are
// taken in order (0, 1, 2…), so a won slot 0 also proves the authorisation had no operation
// before: an authorisation's first operation needs no read of its books (see applyOnce).

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDuplicateKeyError, type Models } from '../db';
import type {
  LedgerEntry,
  LedgerEntryType,
  SandboxOperationDocument,
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

export const SANDBOX_TOKENS = [
  'tok_ok',
  'tok_declined',
  'tok_flaky',
  'tok_slow',
  'tok_settlement_outage',
] as const;

const FLAKY_FAILURES_PER_OPERATION = 2;
const SLOW_RESPONSE_MS = 2000;

type PaymentModels = Pick<Models, 'SandboxPayment' | 'SandboxOperation' | 'SandboxCall'>;

/** An authorisation as its books say it stands now. */
interface PaymentState {
  header: SandboxPaymentDocument;
  operations: SandboxOperationDocument[];
  status: 'authorised' | 'captured' | 'voided';
  captured: number;
  released: number;
  refunded: number;
}

function stateOf(
  header: SandboxPaymentDocument,
  operations: SandboxOperationDocument[],
): PaymentState {
  const total = (type: LedgerEntryType) =>
    operations
      .flatMap((op) => op.entries)
      .filter((e) => e.type === type)
      .reduce((sum, e) => sum + e.amount, 0);
  const did = (operation: SandboxOperationDocument['operation']) =>
    operations.some((op) => op.operation === operation);
  return {
    header,
    operations,
    status: did('void') ? 'voided' : did('capture') ? 'captured' : 'authorised',
    captured: total('capture'),
    released: total('release') + total('void'),
    refunded: total('refund'),
  };
}

/**
 * The authorisation's id follows from its idempotency key, so finding the authorisation a
 * key made is a primary-key lookup, and two calls with one key collide on the primary key.
 */
function authorisationIdFor(authoriseKey: string): string {
  return `auth_${createHash('sha256').update(authoriseKey).digest('hex').slice(0, 32)}`;
}

/** Whether a call with this token (for this operation; none: an authorisation) plays network. */
function playsNetwork(token: string, operation?: SandboxOperationDocument['operation']): boolean {
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

export function createSandboxGateway(
  models: PaymentModels,
  clock: () => Date = () => new Date(),
): PaymentGateway {
  const { SandboxPayment, SandboxOperation, SandboxCall } = models;

  /** Plays the token's network behaviour for one call (`playsNetwork` says whether it has any). */
  async function simulateNetwork(
    token: string,
    idempotencyKey: string,
    operation?: SandboxOperationDocument['operation'],
  ): Promise<void> {
    if (!playsNetwork(token, operation)) return;
    if (token === 'tok_slow') await sleep(SLOW_RESPONSE_MS);
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

  /** The authorisation's header; only an authorised one takes operations. */
  async function authorisedHeader(authorisationId: string): Promise<SandboxPaymentDocument> {
    const header = await SandboxPayment.findById(authorisationId).lean();
    if (!header || header.outcome !== 'authorised') {
      throw new PaymentOperationRejectedError(`no authorisation ${authorisationId}`);
    }
    return header;
  }

  /** The authorisation's operations, in slot order. */
  async function operationsOf(authorisationId: string): Promise<SandboxOperationDocument[]> {
    return SandboxOperation.find({ authorisationId }).sort({ seq: 1 }).lean();
  }

  /**
   * Applies the operation `plan` makes of the current state, once per key: a key already in
   * the books answers from them; otherwise the operation takes the next slot, and a lost race
   * for the slot means planning again on the newer state.
   *
   * Every read of the books is a database round trip on the payment's path (and, on FerretDB
   * without the embedded PostgreSQL's GIN indexes, a scan of the collection: docs/BENCHMARKS.md,
   * "Queries as data grows"), so the operations are read only when needed. The first attempt
   * plans on no operations at all, which is an authorisation's state
   * before its first operation (its capture or void, most calls): operations fill slots 0, 1,
   * 2… in order, so winning slot 0 proves there were none. A taken slot 0 (a repeat, or a later
   * operation) or a refusal made on that guess reads the books and plans again, as before.
   */
  async function applyOnce<T extends Record<string, number>>(
    request: { authorisationId: string; idempotencyKey: string },
    kind: SandboxOperationDocument['operation'],
    plan: (state: PaymentState) => LedgerEntry[],
    result: (after: PaymentState, entries: LedgerEntry[]) => T,
  ): Promise<T> {
    const { authorisationId, idempotencyKey: key } = request;
    // Written once, never changed: read once.
    const header = await authorisedHeader(authorisationId);
    await simulateNetwork(header.token, key, kind);
    let operations: SandboxOperationDocument[] = [];
    let read = false;
    for (;;) {
      const state = stateOf(header, operations);
      const previous = operations.find((op) => op.key === key);
      if (previous) {
        // A repeat answers exactly as the first call did; a key is never reused across kinds.
        if (previous.operation !== kind) {
          throw new PaymentOperationRejectedError(
            `key ${key} was used for a ${previous.operation}`,
          );
        }
        return previous.result as T;
      }
      let entries: LedgerEntry[];
      try {
        entries = plan(state);
      } catch (error) {
        // Refused on the guess: decide on the books.
        if (read) throw error;
        operations = await operationsOf(authorisationId);
        read = true;
        continue;
      }
      const seq = operations.length;
      const operation: SandboxOperationDocument = {
        _id: `${authorisationId}#${String(seq).padStart(6, '0')}`,
        authorisationId,
        orderId: header.orderId,
        seq,
        key,
        at: clock(),
        operation: kind,
        entries,
        result: {},
      };
      operation.result = result(stateOf(header, [...operations, operation]), operation.entries);
      try {
        await SandboxOperation.create(operation);
        return operation.result as T;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      operations = await operationsOf(authorisationId);
      read = true;
    }
  }

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
        const existing = await SandboxPayment.findById(authorisationId).lean();
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
      try {
        await SandboxPayment.create(header);
        return authorisationOf(header);
      } catch (error) {
        // A concurrent call with the same key (or a reversal) got there first: answer as it did.
        if (!isDuplicateKeyError(error)) throw error;
        const winner = await SandboxPayment.findById(authorisationId).lean();
        if (!winner) throw error;
        return authorisationOf(winner);
      }
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
      let header = await SandboxPayment.findById(authorisationId).lean();
      if (!header) {
        // Nothing arrived yet: a reversed header under the key makes a late authorisation
        // with it collide and be refused instead of holding money.
        try {
          await SandboxPayment.create({
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
          return { released: 0 };
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          header = await SandboxPayment.findById(authorisationId).lean();
        }
      }
      if (!header || header.outcome !== 'authorised') return { released: 0 };
      const state = stateOf(header, await operationsOf(authorisationId));
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

    async ledger(orderId: string): Promise<LedgerEntry[]> {
      const [headers, operations] = await Promise.all([
        SandboxPayment.find({ orderId }).sort({ createdAt: 1 }).lean(),
        SandboxOperation.find({ orderId }).sort({ at: 1, seq: 1 }).lean(),
      ]);
      const opened = headers.flatMap((header): LedgerEntry[] => {
        if (header.outcome === 'reversed') return [];
        const declined = header.outcome === 'declined';
        return [
          {
            key: header.authoriseKey,
            type: declined ? 'decline' : 'authorisation',
            amount: declined ? header.requested : header.authorised,
            currency: header.currency,
            at: header.createdAt,
            ...(declined ? { reason: header.declineReason } : {}),
          },
        ];
      });
      // Oldest first; an operation's own entries keep their order (capture before release).
      return [...opened, ...operations.flatMap((op) => op.entries)]
        .map((entry, index) => ({ entry, index }))
        .sort((a, b) => a.entry.at.getTime() - b.entry.at.getTime() || a.index - b.index)
        .map(({ entry }) => entry);
    },
  };
  return gateway;
}
