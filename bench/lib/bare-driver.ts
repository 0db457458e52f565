// The bare run: orders of the grocery shape with empty bodies (bench/bare/), started with
// update-with-start and driven by updates sent straight through the Temporal client, at the
// same delays as orderflow's providers. Its worker is a child process with the same settings.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  CustomerIdAttribute,
  OrderStatusAttribute,
  ProviderIdAttribute,
  VerticalAttribute,
} from '../../workflows/search-attributes';
import {
  awaitPaymentDecisionUpdate,
  bareWorkflowId,
  confirmOrderUpdate,
  getStatusQuery,
  reportProviderEventUpdate,
  type BareEventType,
} from '../bare/messages';
import type { bareOrderWorkflow } from '../bare/workflow';
import { errorName, OrderTimeout, wait, type Driver } from './driver';
import { workerSizing } from './orderflow-env';
import type { LoadOptions } from './plan';
import { spawnService, waitUntilReady, workersPolling, type Servers } from './runtime';

const EVENTS: readonly BareEventType[] = ['picked_up', 'delivered'];

/**
 * Places bare order `orderId` as orderflow's checkout does (update-with-start, answered after
 * the payment decision), with the same starting search attributes; `seq` picks its customer.
 */
export function bareCheckout(client: Client, taskQueue: string, orderId: string, seq: number) {
  return client.workflow.executeUpdateWithStart(awaitPaymentDecisionUpdate, {
    updateId: 'payment-decision',
    startWorkflowOperation: new WithStartWorkflowOperation<typeof bareOrderWorkflow>(
      'bareOrderWorkflow',
      {
        workflowId: bareWorkflowId(orderId),
        taskQueue,
        args: [{ orderId, confirmationTimeoutSeconds: 600, deliveryOverdueSeconds: 86_400 }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: OrderStatusAttribute, value: 'pending_payment' },
          { key: VerticalAttribute, value: 'grocery' },
          { key: ProviderIdAttribute, value: 'bare-store' },
          { key: CustomerIdAttribute, value: `cust_load_${seq % 500}` },
        ],
      },
    ),
  });
}

export async function startBareDriver(
  servers: Servers,
  options: LoadOptions,
  runId: string,
): Promise<Driver> {
  const taskQueue = `bare-load-${runId}`;
  const { client } = servers;
  const worker = spawnService(
    'bare-worker',
    'bench/bare/worker.ts',
    {
      LOG_LEVEL: options.logLevel,
      // The configuration module wants these; the bare worker uses neither.
      MONGODB_URI: `${servers.mongodbUri}/unused`,
      API_TOKENS: 'unused:app:unused-token-0001',
      TEMPORAL_ADDRESS: servers.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...workerSizing(),
    },
    servers.dataDir,
    options,
  );
  try {
    await waitUntilReady(worker, () => workersPolling(client, taskQueue), 120_000, servers.dataDir);
  } catch (error) {
    await worker.stop();
    throw error;
  }

  /** Sends one update within the order's deadline (performance.now() ms); its latency. */
  const timed = async <T>(deadline: number, send: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    if (started >= deadline) throw new OrderTimeout();
    try {
      const result = await client.connection.withDeadline(Date.now() + deadline - started, send);
      return [result, performance.now() - started];
    } catch (error) {
      if (performance.now() >= deadline) throw new OrderTimeout();
      throw error;
    }
  };

  return {
    kind: 'bare',
    verticals: ['grocery'],
    pids: { worker: worker.pid },
    workflowIdOf: (record) => bareWorkflowId(`${runId}-${record.seq}`),
    stop: () => worker.stop(),
    async play(record, log, signal) {
      const orderId = `${runId}-${record.seq}`;
      const workflowId = bareWorkflowId(orderId);
      const deadline = record.startedAt + options.orderTimeoutMs;
      let step = 'checkout';
      try {
        const sentMs = Date.now();
        const [, checkoutMs] = await timed(deadline, () =>
          bareCheckout(client, taskQueue, orderId, record.seq),
        );
        record.checkoutMs = checkoutMs;
        record.checkoutAt = { sentMs, answeredMs: Date.now() };
        record.orderId = orderId;
        const handle = client.workflow.getHandle(workflowId);
        await wait(record, options.confirmDelayMs, signal);
        step = 'confirmation';
        const [, confirmationMs] = await timed(deadline, () =>
          handle.executeUpdate(confirmOrderUpdate, { args: [{ decision: 'accept' }] }),
        );
        record.confirmationMs = confirmationMs;
        let status = '';
        for (const type of EVENTS) {
          await wait(record, options.eventDelayMs, signal);
          step = 'event';
          const [answer, eventMs] = await timed(deadline, () =>
            handle.executeUpdate(reportProviderEventUpdate, { args: [{ type }] }),
          );
          record.eventMs.push(eventMs);
          status = answer;
        }
        // An event reported before the courier was assigned is applied once it is.
        for (let pause = 100; status !== 'completed'; pause = Math.min(2_000, pause * 2)) {
          if (performance.now() >= deadline) throw new OrderTimeout();
          await sleep(pause, undefined, { signal });
          status = await handle.query(getStatusQuery);
        }
        record.completedAt = performance.now();
        record.outcome = 'completed';
      } catch (error) {
        const kind = errorName(error);
        record.outcome = kind === 'aborted' || kind === 'order_timeout' ? kind : `${step}_${kind}`;
        log.add(record, record.outcome);
      }
    },
  };
}
