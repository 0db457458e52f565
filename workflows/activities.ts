// Activity proxies for workflow code, one per group of activities that share timeouts and
// retry policies. The numbers are choices; each says why.

import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import type { Changes } from './changes';
import { UpdateTasks } from './update-tasks';

/**
 * Authorisation: the customer is waiting at checkout. Retry transient gateway errors
 * quickly (tok_flaky recovers in about 1.5 s) but give up after 30 s so checkout gets an
 * answer; a slow gateway call (tok_slow, ~2 s) fits well inside one attempt.
 */
const authorisationOptions = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '30s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    nonRetryableErrorTypes: ['PaymentDeclined', 'PaymentOperationRejected'],
  },
} satisfies ActivityOptions & LocalActivityOptions;
type AuthorisationActivities = Pick<OrderActivities, 'authorisePayment'>;

/**
 * Capture, void and refund settle money the order already holds: they must eventually
 * happen, so they retry without an attempt limit, backing off to one try a minute.
 */
const settlementOptions = {
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: ['PaymentOperationRejected'],
  },
} satisfies ActivityOptions & LocalActivityOptions;
type SettlementActivities = Pick<
  OrderActivities,
  'capturePayment' | 'voidAuthorisation' | 'reverseAuthorisation' | 'refundPayment'
>;

/**
 * The read model write (and checkout's recorded answer) is a local database write: short
 * timeout, retried until it lands.
 */
const readModelOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
} satisfies ActivityOptions & LocalActivityOptions;
type ReadModelActivities = Pick<
  OrderActivities,
  'saveOrderSnapshot' | 'recordPaymentDecision' | 'loadPublishedOrder'
>;
export const readModel = proxyActivities<ReadModelActivities>(readModelOptions);
/** The same writes as local activities: run by the worker inside the workflow task. */
export const localReadModel = proxyLocalActivities<ReadModelActivities>(readModelOptions);

/** A fallback provider's terms for a re-routed order: a database read, retried until it answers. */
type RoutingActivities = Pick<OrderActivities, 'fallbackTerms'>;
export const routing = proxyLocalActivities<RoutingActivities>(readModelOptions);

/**
 * Provider webhooks: one attempt may wait 5 s for the provider's server; failed deliveries
 * back off up to a minute apart. The caller bounds the whole with scheduleToCloseTimeout
 * (the confirmation deadline), see `notifyProviderUntil`.
 */
const webhookRetry: ActivityOptions = {
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
const dispatchOptions = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '10m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
} satisfies ActivityOptions & LocalActivityOptions;
type DispatchActivities = Pick<
  OrderActivities,
  'assignCourier' | 'issueVoucher' | 'openVideoSession'
>;

/**
 * The payment and dispatch steps of a run. They are short calls to a gateway or a service,
 * each made idempotent by its key, so newer runs make them as local activities: the worker
 * runs them inside the workflow task, without a round trip through the task queue (one
 * history event instead of six, and checkout's answer in one workflow task). A failing call
 * retries the same way; past a minute between attempts the worker waits on a durable timer.
 * Older runs made them as activities; newer ones still do in a workflow task that accepted an
 * Update (`updateTasks`).
 */
export function orderSteps(has: Changes, updateTasks = new UpdateTasks(false)) {
  const queued = {
    authorisation: proxyActivities<AuthorisationActivities>(authorisationOptions),
    settlement: proxyActivities<SettlementActivities>(settlementOptions),
    dispatch: proxyActivities<DispatchActivities>(dispatchOptions),
  };
  if (!has('local-payment-and-dispatch')) return queued;
  // While a local activity runs or waits to retry, the workflow task stays open and the
  // order's Updates (callbacks, support) wait for it: a retry more than 2 s away waits on a
  // durable timer instead, and the workflow task closes meanwhile.
  const local = { localRetryThreshold: '2s' } satisfies LocalActivityOptions;
  // A task that accepted an Update moves money only through the queue (workflows/update-tasks.ts).
  return {
    authorisation: updateTasks.route(
      proxyLocalActivities<AuthorisationActivities>({ ...authorisationOptions, ...local }),
      queued.authorisation,
    ),
    settlement: updateTasks.route(
      proxyLocalActivities<SettlementActivities>({ ...settlementOptions, ...local }),
      queued.settlement,
    ),
    dispatch: updateTasks.route(
      proxyLocalActivities<DispatchActivities>({ ...dispatchOptions, ...local }),
      queued.dispatch,
    ),
  };
}

/** Every activity the order workflow calls (support's timeline words each one). */
export type OrderWorkflowActivity =
  | keyof AuthorisationActivities
  | keyof SettlementActivities
  | keyof ReadModelActivities
  | keyof DispatchActivities
  | keyof NotifyActivities
  | keyof RoutingActivities;

type NotifyActivities = Pick<OrderActivities, 'notifyProvider'>;

/** Provider webhooks bounded by a deadline, which differs per order. */
export function notifyProviderUntil(deadlineMs: number) {
  return proxyActivities<NotifyActivities>({
    ...webhookRetry,
    scheduleToCloseTimeout: Math.max(deadlineMs, 1000),
  }).notifyProvider;
}
