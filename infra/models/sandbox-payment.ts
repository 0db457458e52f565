// The sandbox payment gateway's own books, append-only: an authorisation header written once,
// and one ledger operation per money movement. Every write is an insert whose primary key
// does the concurrency control (an operation takes the next sequence slot of its
// authorisation; two writers of one slot collide), so the books stay right even on a database
// whose single-document updates are not atomic under concurrency (FerretDB 1.x on SQLite).

import { Schema, type Connection } from 'mongoose';

const LEDGER_ENTRY_TYPES = [
  'authorisation',
  'decline',
  'capture',
  'release',
  'void',
  'refund',
] as const;
export type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];

export interface LedgerEntry {
  /** The idempotency key of the gateway call that made this entry. */
  key: string;
  type: LedgerEntryType;
  amount: number;
  currency: string;
  at: Date;
  reason?: string;
}

export interface SandboxPaymentDocument {
  /** The authorisation id, derived from the authorisation's idempotency key. */
  _id: string;
  authoriseKey: string;
  orderId: string;
  currency: string;
  token: string;
  /** How the authorisation request ended; `reversed`: undone before it arrived. */
  outcome: 'authorised' | 'declined' | 'reversed';
  /** The amount asked for. */
  requested: number;
  /** The amount held (0 unless authorised). */
  authorised: number;
  declineReason?: string;
  createdAt: Date;
}

export interface SandboxOperationDocument {
  /**
   * `<authorisation id>#<seq>`: one writer per slot. Slots are taken in order from 0, so an
   * authorisation whose slot 0 is free has no operation (infra/payments/sandbox.ts relies on it).
   */
  _id: string;
  authorisationId: string;
  orderId: string;
  seq: number;
  key: string;
  operation: 'capture' | 'void' | 'refund';
  entries: LedgerEntry[];
  /** What the call answered, so a repeat of its key answers the same. */
  result: Record<string, number>;
  at: Date;
}

const ledgerEntrySchema = new Schema<LedgerEntry>(
  {
    key: { type: String, required: true },
    type: { type: String, required: true, enum: LEDGER_ENTRY_TYPES },
    amount: { type: Number, required: true },
    currency: { type: String, required: true },
    at: { type: Date, required: true },
    reason: { type: String },
  },
  { _id: false },
);

const sandboxPaymentSchema = new Schema<SandboxPaymentDocument>(
  {
    _id: { type: String, required: true },
    authoriseKey: { type: String, required: true },
    orderId: { type: String, required: true, index: true },
    currency: { type: String, required: true },
    token: { type: String, required: true },
    outcome: { type: String, required: true },
    requested: { type: Number, required: true },
    authorised: { type: Number, required: true },
    declineReason: { type: String },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'sandbox_payments' },
);

const sandboxOperationSchema = new Schema<SandboxOperationDocument>(
  {
    _id: { type: String, required: true },
    authorisationId: { type: String, required: true, index: true },
    orderId: { type: String, required: true, index: true },
    seq: { type: Number, required: true },
    key: { type: String, required: true },
    operation: { type: String, required: true },
    entries: { type: [ledgerEntrySchema], required: true },
    result: { type: Schema.Types.Mixed, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'sandbox_operations' },
);

/** One document per sandbox call slot of an idempotency key; drives `tok_flaky`. */
export interface SandboxCallDocument {
  _id: string; // `<idempotency key>#<call number>`
  key: string;
}

const sandboxCallSchema = new Schema<SandboxCallDocument>(
  { _id: { type: String, required: true }, key: { type: String, required: true, index: true } },
  { versionKey: false, collection: 'sandbox_calls' },
);

export function defineSandboxPaymentModels(connection: Connection) {
  return {
    SandboxPayment: connection.model<SandboxPaymentDocument>(
      'SandboxPayment',
      sandboxPaymentSchema,
    ),
    SandboxOperation: connection.model<SandboxOperationDocument>(
      'SandboxOperation',
      sandboxOperationSchema,
    ),
    SandboxCall: connection.model<SandboxCallDocument>('SandboxCall', sandboxCallSchema),
  };
}
