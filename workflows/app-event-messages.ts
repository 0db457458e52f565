// The app-event delivery workflow's input and messages, shared by the workflow, the worker
// that starts it and the admin API that retries it.

import { defineSignal } from '@temporalio/workflow';

export interface AppEventDeliveryInput {
  /** The delivery record (infra/models/app-event.ts); also this workflow's id. */
  deliveryId: string;
  /** Backoff between attempts (APP_EVENT_RETRY_INITIAL_SECONDS, APP_EVENT_RETRY_MAX_SECONDS). */
  retry: { initialMs: number; maximumMs: number };
  /** An admin's retry of a delivery that had failed: the record goes back to pending. */
  again?: boolean;
}

/** Ends the wait before the next attempt: an admin's "send it again now". */
export const retryAppEventSignal = defineSignal<[]>('retryAppEventNow');

export const appEventDeliveryWorkflowId = (endpointId: string, eventId: string): string =>
  `app-event-${endpointId}-${eventId}`;
