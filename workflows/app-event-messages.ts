// App events' workflows: their inputs and messages, shared by the workflows, the worker that
// starts them and the admin API that retries a delivery. Deliveries recorded since the relay
// change are made by their endpoint's relay (workflows/app-event-relay.ts); older ones by a
// delivery workflow each (workflows/app-event-delivery.ts).

import { defineSignal } from '@temporalio/workflow';
import type { RetryPolicy } from '../domain/app-event-relay';

export interface AppEventDeliveryInput {
  /** The delivery record (infra/models/app-event.ts); also this workflow's id. */
  deliveryId: string;
  /** Backoff between attempts (APP_EVENT_RETRY_INITIAL_SECONDS, APP_EVENT_RETRY_MAX_SECONDS). */
  retry: RetryPolicy;
  /** An admin's retry of a delivery that had failed: the record goes back to pending. */
  again?: boolean;
}

/** Ends the wait before the next attempt: an admin's "send it again now". */
export const retryAppEventSignal = defineSignal<[]>('retryAppEventNow');

export const appEventDeliveryWorkflowId = (endpointId: string, eventId: string): string =>
  `app-event-${endpointId}-${eventId}`;

export interface AppEventRelayInput {
  endpointId: string;
  retry: RetryPolicy;
  /** Deliveries an admin asked to send now that the previous run had not sent yet. */
  retryNow?: string[];
  /** A run continues as new past this many history events (tests make it small). */
  maxHistoryEvents?: number;
}

/** One round of the relay (`relayAppEvents`). */
export interface AppEventRoundInput extends AppEventRelayInput {
  /** Read the endpoint from the database rather than as the worker keeps it (5 s). */
  checkEndpoint?: boolean;
}

/** New deliveries were recorded for the endpoint: run a round now. */
export const appEventsRecordedSignal = defineSignal<[]>('appEventsRecorded');

/** The endpoint was deleted: the relay fails what is still pending and ends. */
export const appEndpointDeletedSignal = defineSignal<[]>('appEndpointDeleted');

/** An admin's "send this delivery again now", whatever its status. */
export const retryAppEventDeliverySignal =
  defineSignal<[deliveryId: string]>('retryAppEventDelivery');

export const appEventRelayWorkflowId = (endpointId: string): string =>
  `app-event-relay-${endpointId}`;

/** The relay's signature, for starting it by name without importing the workflow. */
export type AppEventRelayWorkflow = (input: AppEventRelayInput) => Promise<string>;
