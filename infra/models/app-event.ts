// App events' endpoints, deliveries and delivery attempts (../shared/API.md, "App events").
// FerretDB 1.x makes no update atomic, so each document has one writer: an endpoint is
// written by the admin API (registered, then at most marked deleted), a delivery only by its
// endpoint's relay after the worker inserted it (one recorded before the relay: by its own
// delivery workflow), and attempts are insert-only.

import { randomUUID } from 'node:crypto';
import { Schema, type Connection } from 'mongoose';
import type { AppEventType } from '../../domain/app-events';

export interface AppEndpointDocument {
  /** `ep_<random>`. */
  _id: string;
  url: string;
  description?: string;
  /** `whsec_<base64 key>` as infra/app-endpoints.ts stores it (encrypted at rest). */
  secret: string;
  createdAt: Date;
  /** Deleted endpoints get no new events; their deliveries stay listed. */
  deletedAt?: Date;
}

const appEndpointSchema = new Schema<AppEndpointDocument>(
  {
    _id: { type: String, required: true },
    url: { type: String, required: true },
    description: { type: String },
    secret: { type: String, required: true },
    createdAt: { type: Date, required: true },
    deletedAt: { type: Date },
  },
  { versionKey: false, collection: 'app_endpoints' },
);
appEndpointSchema.index({ createdAt: -1, _id: -1 });

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event to one endpoint. Made by the endpoint's relay, which schedules it with the
 * `RelaySchedule` fields (domain/app-event-relay.ts); a delivery recorded before the relay has
 * none of them and is made by its own delivery workflow, whose id is its `_id`.
 */
export interface AppEventDeliveryDocument {
  _id: string;
  endpointId: string;
  eventId: string;
  type: AppEventType;
  orderId: string;
  sequence: number;
  /** The exact body sent on every attempt (the app's view of the order, as JSON). */
  body: string;
  status: DeliveryStatus;
  createdAt: Date;
  updatedAt: Date;
  nextAttemptAt?: Date;
  retryWaitMs?: number;
  giveUpAt?: Date;
}

const appEventDeliverySchema = new Schema<AppEventDeliveryDocument>(
  {
    _id: { type: String, required: true },
    endpointId: { type: String, required: true },
    eventId: { type: String, required: true },
    type: { type: String, required: true },
    orderId: { type: String, required: true },
    sequence: { type: Number, required: true },
    body: { type: String, required: true },
    status: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    nextAttemptAt: { type: Date },
    retryWaitMs: { type: Number },
    giveUpAt: { type: Date },
  },
  { versionKey: false, collection: 'app_event_deliveries' },
);
// A relay's round: its endpoint's pending deliveries, the earliest due first.
appEventDeliverySchema.index({ endpointId: 1, status: 1, nextAttemptAt: 1 });
// The admin listing: an endpoint's deliveries, newest first, optionally by status.
appEventDeliverySchema.index({ endpointId: 1, createdAt: -1 });
// The support console: an order's deliveries.
appEventDeliverySchema.index({ orderId: 1 });
// The backlog the API's /metrics counts (orderflow_app_event_deliveries_pending).
appEventDeliverySchema.index({ status: 1 });

/** One try to deliver: what the endpoint answered, or why nothing came back. */
export interface AppEventAttemptDocument {
  _id: string;
  deliveryId: string;
  at: Date;
  /** The endpoint's HTTP status, when it answered. */
  httpStatus?: number;
  /** Why the attempt failed without an answer (timeout, refused target...). */
  error?: string;
  delivered: boolean;
  durationMs: number;
}

const appEventAttemptSchema = new Schema<AppEventAttemptDocument>(
  {
    _id: { type: String, required: true, default: () => randomUUID() },
    deliveryId: { type: String, required: true },
    at: { type: Date, required: true },
    httpStatus: { type: Number },
    error: { type: String },
    delivered: { type: Boolean, required: true },
    durationMs: { type: Number, required: true },
  },
  { versionKey: false, collection: 'app_event_attempts' },
);
appEventAttemptSchema.index({ deliveryId: 1, at: 1 });

export function defineAppEventModels(connection: Connection) {
  return {
    AppEndpoint: connection.model<AppEndpointDocument>('AppEndpoint', appEndpointSchema),
    AppEventDelivery: connection.model<AppEventDeliveryDocument>(
      'AppEventDelivery',
      appEventDeliverySchema,
    ),
    AppEventAttempt: connection.model<AppEventAttemptDocument>(
      'AppEventAttempt',
      appEventAttemptSchema,
    ),
  };
}
