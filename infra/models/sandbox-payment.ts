// The sandbox payment gateway's own books: one document per authorisation holding its
// balances and its ledger entries. Each money movement is one atomic update of that document,
// guarded by the idempotency key it carries, so a retried call never moves money twice.

import { Schema, type Connection } from 'mongoose';

export const LEDGER_ENTRY_TYPES = [
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
  _id: string; // the authorisation id
  authoriseKey: string;
  orderId: string;
  currency: string;
  token: string;
  /** `reversed`: undone before any authorisation arrived under its key. */
  status: 'declined' | 'authorised' | 'captured' | 'voided' | 'reversed';
  authorised: number;
  captured: number;
  released: number;
  refunded: number;
  /** Keys of the calls already applied; the guard against applying one twice. */
  appliedKeys: string[];
  entries: LedgerEntry[];
  createdAt: Date;
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
    status: { type: String, required: true },
    authorised: { type: Number, required: true },
    captured: { type: Number, required: true },
    released: { type: Number, required: true },
    refunded: { type: Number, required: true },
    appliedKeys: { type: [String], required: true },
    entries: { type: [ledgerEntrySchema], required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'sandbox_payments' },
);

/** How many calls the sandbox saw per idempotency key; drives `tok_flaky`. */
interface SandboxCallCountDocument {
  _id: string;
  calls: number;
}

const sandboxCallCountSchema = new Schema<SandboxCallCountDocument>(
  { _id: { type: String, required: true }, calls: { type: Number, required: true } },
  { versionKey: false, collection: 'sandbox_call_counts' },
);

export function defineSandboxPaymentModels(connection: Connection) {
  return {
    SandboxPayment: connection.model<SandboxPaymentDocument>(
      'SandboxPayment',
      sandboxPaymentSchema,
    ),
    SandboxCallCount: connection.model<SandboxCallCountDocument>(
      'SandboxCallCount',
      sandboxCallCountSchema,
    ),
  };
}
