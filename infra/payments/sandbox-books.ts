// The sandbox gateway's books: what it holds for each authorisation, kept so that money moves
// once per idempotency key under any concurrency on a database whose single-document updates
// are not atomic (FerretDB 1.x; see models/sandbox-payment.ts).
//
// Nothing is ever updated. An authorisation is one header document, written once, whose id
// follows from its key. Each later operation (capture, void, refund) is inserted into the next
// sequence slot of its authorisation after its limits were checked against everything before
// that slot; a writer that loses the slot to another looks again. Slots are taken in order
// (0, 1, 2…), so a won slot 0 also proves the authorisation had no operation before: its first
// operation needs no read of the operations (see applyOnce).

import { isDuplicateKeyError, type Models } from '../db';
import { insertValidated } from '../insert-validated';
import type {
  LedgerEntry,
  LedgerEntryType,
  SandboxOperationDocument,
  SandboxPaymentDocument,
} from '../models/sandbox-payment';
import { PaymentOperationRejectedError } from './gateway';

export type OperationKind = SandboxOperationDocument['operation'];

/** An authorisation as its books say it stands now. */
export interface PaymentState {
  header: SandboxPaymentDocument;
  operations: SandboxOperationDocument[];
  status: 'authorised' | 'captured' | 'voided';
  captured: number;
  released: number;
  refunded: number;
}

export function stateOf(
  header: SandboxPaymentDocument,
  operations: SandboxOperationDocument[],
): PaymentState {
  const total = (type: LedgerEntryType) =>
    operations
      .flatMap((op) => op.entries)
      .filter((e) => e.type === type)
      .reduce((sum, e) => sum + e.amount, 0);
  const did = (operation: OperationKind) => operations.some((op) => op.operation === operation);
  return {
    header,
    operations,
    status: did('void') ? 'voided' : did('capture') ? 'captured' : 'authorised',
    captured: total('capture'),
    released: total('release') + total('void'),
    refunded: total('refund'),
  };
}

export function createSandboxBooks(
  models: Pick<Models, 'SandboxPayment' | 'SandboxOperation'>,
  clock: () => Date,
) {
  const { SandboxPayment, SandboxOperation } = models;

  /** The authorisation's header, whatever its outcome, if there is one. */
  async function header(authorisationId: string): Promise<SandboxPaymentDocument | null> {
    return SandboxPayment.findById(authorisationId).lean();
  }

  /**
   * Writes an authorisation's header, unless one stands under its id already: then that one
   * is answered (`opened: false`), and nothing is written.
   */
  async function open(
    candidate: SandboxPaymentDocument,
  ): Promise<{ opened: boolean; header: SandboxPaymentDocument }> {
    try {
      await insertValidated(SandboxPayment, candidate);
      return { opened: true, header: candidate };
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const standing = await header(candidate._id);
      if (!standing) throw error;
      return { opened: false, header: standing };
    }
  }

  /** The authorisation's header; only an authorised one takes operations. */
  async function authorisedHeader(authorisationId: string): Promise<SandboxPaymentDocument> {
    const found = await header(authorisationId);
    if (!found || found.outcome !== 'authorised') {
      throw new PaymentOperationRejectedError(`no authorisation ${authorisationId}`);
    }
    return found;
  }

  /** The authorisation's operations, in slot order. */
  async function operationsOf(authorisationId: string): Promise<SandboxOperationDocument[]> {
    return SandboxOperation.find({ authorisationId }).sort({ seq: 1 }).lean();
  }

  /**
   * Applies the operation `plan` makes of the current state, once per key: a key already in
   * the books answers from them; otherwise the operation takes the next slot, and a lost race
   * for the slot means planning again on the newer state. `beforeApplying` runs once the
   * header is known (the sandbox plays its network there).
   *
   * Every read of the books is a database round trip on the payment's path, so the operations
   * are read only when needed. The first attempt plans on no operations at all, which is an
   * authorisation's state before its first operation (its capture or void, most calls): winning
   * slot 0 proves there were none. A taken slot 0 (a repeat, or a later operation) or a
   * refusal made on that guess reads the operations and plans again.
   */
  async function applyOnce<T extends Record<string, number>>(
    request: { authorisationId: string; idempotencyKey: string },
    kind: OperationKind,
    plan: (state: PaymentState) => LedgerEntry[],
    result: (after: PaymentState, entries: LedgerEntry[]) => T,
    beforeApplying: (header: SandboxPaymentDocument) => Promise<void> = async () => undefined,
  ): Promise<T> {
    const { authorisationId, idempotencyKey: key } = request;
    // Written once, never changed: read once.
    const authorised = await authorisedHeader(authorisationId);
    await beforeApplying(authorised);
    let operations: SandboxOperationDocument[] = [];
    let read = false;
    for (;;) {
      const state = stateOf(authorised, operations);
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
        orderId: authorised.orderId,
        seq,
        key,
        at: clock(),
        operation: kind,
        entries,
        result: {},
      };
      operation.result = result(stateOf(authorised, [...operations, operation]), entries);
      try {
        await insertValidated(SandboxOperation, operation);
        return operation.result as T;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      operations = await operationsOf(authorisationId);
      read = true;
    }
  }

  /** Every entry of an order's books, oldest first. */
  async function ledger(orderId: string): Promise<LedgerEntry[]> {
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
    // An operation's own entries keep their order (capture before release).
    return [...opened, ...operations.flatMap((op) => op.entries)]
      .map((entry, index) => ({ entry, index }))
      .sort((a, b) => a.entry.at.getTime() - b.entry.at.getTime() || a.index - b.index)
      .map(({ entry }) => entry);
  }

  return { header, open, authorisedHeader, operationsOf, applyOnce, ledger };
}
