// The audit trail of staff actions on orders (refunds, approvals, cancellations,
// redeliveries) and the log of provider callbacks received for them, accepted or refused.
// Both are insert-only: written once, never changed.

import { Schema, type Connection } from 'mongoose';

export interface AuditEntryDocument {
  _id: string;
  orderId: string;
  /** e.g. `refund.requested`, `refund.approved`, `order.cancelled`, `notification.redelivered` */
  action: string;
  actor: { name: string; role: string };
  reason?: string;
  requestId: string;
  /** The HTTP answer the actor got. */
  result: { status: number; code?: string };
  details?: Record<string, unknown>;
  at: Date;
}

export interface CallbackLogDocument {
  _id: string;
  orderId: string;
  providerId: string;
  /** `confirmation` or `events` */
  kind: string;
  method: string;
  requestId: string;
  /** The body as received when it parsed as JSON (never the signature). */
  body?: unknown;
  status: number;
  /** The error code when refused: invalid_signature, invalid_order_state, validation_failed… */
  code?: string;
  message?: string;
  at: Date;
}

const auditEntrySchema = new Schema<AuditEntryDocument>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true, index: true },
    action: { type: String, required: true },
    actor: { type: Schema.Types.Mixed, required: true },
    reason: { type: String },
    requestId: { type: String, required: true },
    result: { type: Schema.Types.Mixed, required: true },
    details: { type: Schema.Types.Mixed },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'audit_entries' },
);

const callbackLogSchema = new Schema<CallbackLogDocument>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true, index: true },
    providerId: { type: String, required: true },
    kind: { type: String, required: true },
    method: { type: String, required: true },
    requestId: { type: String, required: true },
    body: { type: Schema.Types.Mixed },
    status: { type: Number, required: true },
    code: { type: String },
    message: { type: String },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'provider_callbacks' },
);

export function defineAuditModels(connection: Connection) {
  return {
    AuditEntry: connection.model<AuditEntryDocument>('AuditEntry', auditEntrySchema),
    CallbackLog: connection.model<CallbackLogDocument>('CallbackLog', callbackLogSchema),
  };
}
