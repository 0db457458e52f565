// Outbound provider webhooks: new orders and cancellations, POSTed to the provider's URL and
// signed like provider callbacks. A failed delivery throws so Temporal retries it with
// backoff; the workflow bounds the retries by the confirmation deadline.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/activity';
import type { OrderSnapshot } from '../domain/order';
import { SIGNATURE_HEADER, webhookSignatureHeader } from '../infra/signing';
import type { ActivityDeps } from './deps';

export type ProviderWebhookEvent = 'order.created' | 'order.cancelled';

export interface WebhookDelivery {
  delivered: boolean;
  /** Why nothing was sent, e.g. the provider polls instead. */
  skipped?: 'no_webhook_url';
  status?: number;
}

const WEBHOOK_REQUEST_TIMEOUT_MS = 5000;

export function createProviderActivities({ models, fetch, logger, clock }: ActivityDeps) {
  return {
    async notifyProvider(input: {
      event: ProviderWebhookEvent;
      order: OrderSnapshot;
    }): Promise<WebhookDelivery> {
      const { event, order } = input;
      const provider = await models.Provider.findById(order.providerId).lean();
      if (!provider) {
        throw ApplicationFailure.nonRetryable(
          `provider ${order.providerId} does not exist`,
          'UnknownProvider',
        );
      }
      if (!provider.webhookUrl) return { delivered: false, skipped: 'no_webhook_url' };

      const eventId = `${order.orderId}:${event}`;
      const body = JSON.stringify({
        id: eventId,
        type: event,
        createdAt: clock().toISOString(),
        order,
      });
      const attempt = Context.current().info.attempt;
      const response = await fetch(provider.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: webhookSignatureHeader(provider.signingSecret, body, clock()),
          'Orderflow-Event-Id': eventId,
          'Orderflow-Delivery-Attempt': String(attempt),
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS),
      });
      // Drain the body so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) {
        logger.warn(
          { orderId: order.orderId, providerId: provider._id, status: response.status, attempt },
          'webhook refused',
        );
        throw new Error(`provider webhook answered ${response.status}`);
      }
      return { delivered: true, status: response.status };
    },
  };
}
