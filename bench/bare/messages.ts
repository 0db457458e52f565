// The bare workflow's messages, shared by the workflow and the load generator's bare driver.
// Named like the order workflow's, so the two histories read alike.

import { defineQuery, defineUpdate } from '@temporalio/workflow';

export interface BareOrderInput {
  orderId: string;
  /** The provider's deadline, as an order carries it (the confirmation timer). */
  confirmationTimeoutSeconds: number;
  /** How long the delivery may take before attention is raised (the second timer). */
  deliveryOverdueSeconds: number;
}

export type BareEventType = 'picked_up' | 'delivered';

export const bareWorkflowId = (orderId: string): string => `bare-${orderId}`;

/** Sent with the start (update-with-start); answered once the first activity has run. */
export const awaitPaymentDecisionUpdate = defineUpdate<string>('awaitPaymentDecision');
export const confirmOrderUpdate = defineUpdate<string, [{ decision: 'accept' }]>('confirmOrder');
export const reportProviderEventUpdate = defineUpdate<string, [{ type: BareEventType }]>(
  'reportProviderEvent',
);

/** The order's status, for a driver whose last answer came before the order ended. */
export const getStatusQuery = defineQuery<string>('getStatus');
