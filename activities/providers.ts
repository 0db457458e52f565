// Outbound provider webhooks: new orders and cancellations, POSTed to the provider's URL and
// signed like provider callbacks, with every secret valid at the time (one `v1=` each, so a
// provider can switch to a rotated secret at its own pace). A failed delivery throws so
// Temporal retries it with backoff; the workflow bounds the retries by the confirmation
// deadline. A URL that points where webhooks may not go (infra/webhook-targets.ts; a provider
// registered before the rules, or a name that now resolves elsewhere) fails for good at once.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/activity';
import { confirmationTimeoutSeconds } from '../domain/deadlines';
import type { HotelDetails, OrderSnapshot, TeleconsultationDetails } from '../domain/order';
import { DEFAULT_TIME_ZONE, hotelClock, stayTimes } from '../infra/local-time';
import { SIGNATURE_HEADER, webhookSignatureHeader } from '../infra/signing';
import { DELIVERY_ATTEMPT_HEADER, targetRefusalOf } from '../infra/webhook-client';
import type { ActivityDeps } from './deps';

export type ProviderWebhookEvent = 'order.created' | 'order.cancelled';

export interface WebhookDelivery {
  delivered: boolean;
  /** Why nothing was sent, e.g. the provider polls instead. */
  skipped?: 'no_webhook_url';
  status?: number;
}

const WEBHOOK_REQUEST_TIMEOUT_MS = 5000;

export function createProviderActivities({
  models,
  providers,
  webhooks,
  logger,
  clock,
}: ActivityDeps) {
  return {
    async notifyProvider(input: {
      event: ProviderWebhookEvent;
      order: OrderSnapshot;
    }): Promise<WebhookDelivery> {
      const { event, order } = input;
      const attempt = Context.current().info.attempt;
      // A retry reads the provider afresh: its URL or secrets may have changed since.
      const entry = await providers.lookup(order.providerId, { fresh: attempt > 1 });
      if (!entry) {
        throw ApplicationFailure.nonRetryable(
          `provider ${order.providerId} does not exist`,
          'UnknownProvider',
        );
      }
      const { provider } = entry;
      if (!provider.webhookUrl) return { delivered: false, skipped: 'no_webhook_url' };
      const now = clock();
      const secrets = entry.secrets.validAt(now);
      // Only a registration cut short leaves none; rotating a secret in gets deliveries going.
      if (secrets.length === 0) throw new Error(`provider ${provider._id} has no signing secret`);

      const eventId = `${order.orderId}:${event}`;
      const body = JSON.stringify({
        id: eventId,
        type: event,
        createdAt: now.toISOString(),
        order,
      });
      const response = await webhooks
        .post(provider.webhookUrl, {
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: webhookSignatureHeader(
              secrets.map((s) => s.secret),
              body,
              now,
            ),
            'Orderflow-Event-Id': eventId,
            [DELIVERY_ATTEMPT_HEADER]: String(attempt),
          },
          body,
          timeoutMs: WEBHOOK_REQUEST_TIMEOUT_MS,
        })
        .catch((error: unknown) => {
          const refusal = targetRefusalOf(error);
          if (!refusal) throw error;
          logger.warn(
            { orderId: order.orderId, providerId: provider._id, reason: refusal.message },
            'webhook target refused',
          );
          throw ApplicationFailure.nonRetryable(
            `webhook not sent: ${refusal.message}`,
            'WebhookTargetRefused',
          );
        });
      if (response.status < 200 || response.status > 299) {
        logger.warn(
          { orderId: order.orderId, providerId: provider._id, status: response.status, attempt },
          'webhook refused',
        );
        throw new Error(`provider webhook answered ${response.status}`);
      }
      return { delivered: true, status: response.status };
    },

    /**
     * What a fallback provider would take a re-routed order on: its deadline and settings (a
     * stay's times in its own zone), or why it is skipped.
     */
    async fallbackTerms(input: {
      providerId: string;
      order: OrderSnapshot;
    }): Promise<FallbackTerms> {
      const { providerId, order } = input;
      const provider = await models.Provider.findById(providerId).lean();
      if (!provider) return { providerId, skipped: 'unknown provider' };
      if (provider.active === false) return { providerId, skipped: 'inactive' };
      if (provider.vertical !== order.vertical)
        return { providerId, skipped: `serves ${provider.vertical} orders` };
      return {
        providerId,
        confirmationTimeoutSeconds: confirmationTimeoutSeconds(
          order.vertical,
          provider.confirmationTimeoutSeconds,
        ),
        ...(provider.doctorNoShowGraceSeconds != null
          ? { doctorNoShowGraceSeconds: provider.doctorNoShowGraceSeconds }
          : {}),
        ...(order.hotel
          ? { hotel: { ...order.hotel, ...stayTimes(order.hotel, hotelClock(provider)) } }
          : {}),
        ...(order.teleconsultation
          ? {
              teleconsultation: {
                ...order.teleconsultation,
                timeZone: provider.timeZone ?? DEFAULT_TIME_ZONE,
              },
            }
          : {}),
      };
    },
  };
}

/** A fallback's terms for a re-routed order, or why the order skips it. */
export type FallbackTerms =
  | {
      providerId: string;
      skipped?: undefined;
      confirmationTimeoutSeconds: number;
      doctorNoShowGraceSeconds?: number;
      hotel?: HotelDetails;
      teleconsultation?: TeleconsultationDetails;
    }
  | { providerId: string; skipped: string };
