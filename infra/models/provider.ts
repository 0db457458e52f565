// Service providers (stores, hotels and clinics) and their signing secrets. Secrets live in
// their own insert-only collection, read and written only through infra/provider-secrets.ts.

import { Schema, type Connection } from 'mongoose';
import type { Vertical } from '../../domain/order';

export interface ProviderDocument {
  _id: string;
  vertical: Vertical;
  name: string;
  webhookUrl?: string;
  /**
   * Legacy: the one secret of providers registered before `provider_secrets` existed. Read by
   * infra/provider-secrets.ts as such a provider's first secret; never written any more.
   */
  signingSecret?: string;
  /** Overrides the vertical's default confirmation deadline. */
  confirmationTimeoutSeconds?: number;
  /** Teleconsultation clinics: overrides the default no-show grace after a slot starts. */
  doctorNoShowGraceSeconds?: number;
  /**
   * The provider's IANA time zone. Absent: UTC (hotels registered before zones were required
   * are flagged to admins as needing one).
   */
  timeZone?: string;
  /** Hotels: local check-in and check-out times, `HH:MM` (absent: 14:00 and 12:00). */
  checkInTime?: string;
  checkOutTime?: string;
  /**
   * Providers of the same vertical an order goes to, in turn, when this one rejects it whole
   * or lets its deadline pass (at most two re-routes an order).
   */
  fallbackProviderIds?: string[];
  /** An inactive provider takes no new orders; its orders in flight finish. Absent = active. */
  active?: boolean;
  createdAt: Date;
  updatedAt?: Date;
}

const providerSchema = new Schema<ProviderDocument>(
  {
    _id: { type: String, required: true },
    vertical: { type: String, required: true },
    name: { type: String, required: true },
    webhookUrl: { type: String },
    signingSecret: { type: String },
    confirmationTimeoutSeconds: { type: Number },
    doctorNoShowGraceSeconds: { type: Number },
    timeZone: { type: String },
    checkInTime: { type: String },
    checkOutTime: { type: String },
    fallbackProviderIds: { type: [String], default: undefined },
    active: { type: Boolean },
    createdAt: { type: Date, required: true, default: () => new Date() },
    updatedAt: { type: Date },
  },
  { versionKey: false, collection: 'providers' },
);
// The admin listing: newest first, optionally by vertical.
providerSchema.index({ createdAt: -1, _id: -1 });

/**
 * One signing secret of a provider, never changed once written (FerretDB 1.x does not make
 * updates atomic; inserts of one `_id` are). A provider's secrets are numbered 1, 2, … in the
 * order they were issued; `_id` is `<providerId>#<seq>`, so two concurrent rotations cannot
 * both take the same number: the loser re-reads and takes the next one.
 */
export interface ProviderSecretDocument {
  _id: string;
  providerId: string;
  seq: number;
  /** The HMAC key as infra/provider-secrets.ts stores it. */
  secret: string;
  createdAt: Date;
  /** When every older secret of the provider stops being valid (createdAt + the rotation's grace). */
  retiresPredecessorsAt: Date;
}

const providerSecretSchema = new Schema<ProviderSecretDocument>(
  {
    _id: { type: String, required: true },
    providerId: { type: String, required: true },
    seq: { type: Number, required: true },
    secret: { type: String, required: true },
    createdAt: { type: Date, required: true },
    retiresPredecessorsAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'provider_secrets' },
);
providerSecretSchema.index({ providerId: 1, seq: -1 });

export function defineProviderModel(connection: Connection) {
  return connection.model<ProviderDocument>('Provider', providerSchema);
}

export function defineProviderSecretModel(connection: Connection) {
  return connection.model<ProviderSecretDocument>('ProviderSecret', providerSecretSchema);
}
