// Service providers: stores, hotels and clinics, with the secret their callbacks are signed with.

import { Schema, type Connection } from 'mongoose';
import type { Vertical } from '../../domain/order';

export interface ProviderDocument {
  _id: string;
  vertical: Vertical;
  name: string;
  webhookUrl?: string;
  /** HMAC-SHA256 key for callbacks and webhooks; shown to the provider once, at registration. */
  signingSecret: string;
  /** Overrides the vertical's default confirmation deadline. */
  confirmationTimeoutSeconds?: number;
  /** Teleconsultation clinics: overrides the default no-show grace after a slot starts. */
  doctorNoShowGraceSeconds?: number;
  createdAt: Date;
}

const providerSchema = new Schema<ProviderDocument>(
  {
    _id: { type: String, required: true },
    vertical: { type: String, required: true },
    name: { type: String, required: true },
    webhookUrl: { type: String },
    signingSecret: { type: String, required: true },
    confirmationTimeoutSeconds: { type: Number },
    doctorNoShowGraceSeconds: { type: Number },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false, collection: 'providers' },
);

export function defineProviderModel(connection: Connection) {
  return connection.model<ProviderDocument>('Provider', providerSchema);
}
