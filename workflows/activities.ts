// Activity proxies for workflow code, one per group of activities that share timeouts and
// retry policies. The numbers are choices; each says why.

import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';

/**
 * Authorisation: the customer is waiting at checkout. Retry transient gateway errors
 * quickly (tok_flaky recovers in about 1.5 s) but give up after 30 s so checkout gets an
 * answer; a slow gateway call (tok_slow, ~2 s) fits well inside one attempt.
 */
export const authorisation = proxyActivities<Pick<OrderActivities, 'authorisePayment'>>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    nonRetryableErrorTypes: ['PaymentDeclined', 'PaymentOperationRejected'],
  },
});

/**
 * Capture, void and refund settle money the order already holds: they must eventually
 * happen, so they retry without an attempt limit, backing off to one try a minute.
 */
export const settlement = proxyActivities<
  Pick<
    OrderActivities,
    'capturePayment' | 'voidAuthorisation' | 'reverseAuthorisation' | 'refundPayment'
  >
>({
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['PaymentOperationRejected'],
  },
});

/**
 * The read model write (and checkout's recorded answer) is a local database write: short
 * timeout, retried until it lands.
 */
const readModelOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} satisfies ActivityOptions & LocalActivityOptions;
type ReadModelActivities = Pick<OrderActivities, 'saveOrderSnapshot' | 'recordPaymentDecision'>;
export const readModel = proxyActivities<ReadModelActivities>(readModelOptions);
/** The same writes as local activities: run by the worker inside the workflow task. */
export const localReadModel = proxyLocalActivities<ReadModelActivities>(readModelOptions);

/**
 * Provider webhooks: one attempt may wait 5 s for the provider's server; failed deliveries
 * back off up to a minute apart. The caller bounds the whole with scheduleToCloseTimeout
 * (the confirmation deadline), see `notifyProviderUntil`.
 */
export const webhookRetry: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['UnknownProvider'],
  },
};

/**
 * Dispatch (courier assignment, voucher, video session): the service may be busy or down
 * for a while (no courier free); retry for up to 10 minutes before the order is compensated.
 */
export const dispatch = proxyActivities<
  Pick<OrderActivities, 'assignCourier' | 'issueVoucher' | 'openVideoSession'>
>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Provider webhooks bounded by a deadline, which differs per order. */
export function notifyProviderUntil(deadlineMs: number) {
  return proxyActivities<Pick<OrderActivities, 'notifyProvider'>>({
    ...webhookRetry,
    scheduleToCloseTimeout: Math.max(deadlineMs, 1000),
  }).notifyProvider;
}
