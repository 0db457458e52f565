// What activities need from the outside world, handed in by the worker (and by tests).

import type { Models } from '../infra/db';
import type { Logger } from '../infra/logger';
import type { PaymentGateway } from '../infra/payments/gateway';
import type { CourierNetwork } from '../infra/dispatch/couriers';
import type { VoucherIssuer } from '../infra/dispatch/vouchers';
import type { VideoSessions } from '../infra/dispatch/video-sessions';
import type { WebhookClient } from '../infra/webhook-client';
import type { ProviderDirectory } from '../infra/provider-directory';
import type { KeptEndpoints } from '../infra/app-endpoints';
import type { ListingCopies } from '../infra/listing-copies';

export interface ActivityDeps {
  models: Models;
  /** The order listing's copies, written in batches after their publications. */
  listing: ListingCopies;
  /** Providers and their secrets, and the app's endpoints, as this process keeps them. */
  providers: ProviderDirectory;
  appEndpoints: KeptEndpoints;
  gateway: PaymentGateway;
  couriers: CourierNetwork;
  vouchers: VoucherIssuer;
  videoSessions: VideoSessions;
  logger: Logger;
  /** Outbound HTTP for provider webhooks, only to allowed targets (infra/webhook-client.ts). */
  webhooks: WebhookClient;
  clock: () => Date;
  /**
   * Backoff between an app event's delivery attempts (config.appEvents), and the task queue
   * the deliveries run on (infra/task-queues.ts).
   */
  appEvents: { retryInitialMs: number; retryMaximumMs: number; taskQueue: string };
  /**
   * Whether the authorised order's answer to checkout is written with its first publication,
   * in one insert (config CHECKOUT_ANSWER_WITH_PUBLICATION, infra/checkout-answers.ts).
   */
  answerWithPublication: boolean;
}
