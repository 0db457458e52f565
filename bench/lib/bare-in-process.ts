// The bare workflow (bench/bare/) in this process, for `npm run bench:checkout -- --bare`:
// a worker on its own task queue, and a client that places each order as the load generator's
// bare driver does. Checkout's latency at one caller, orderflow's beside the platform's own.

import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createBareActivities } from '../bare/activities';
import { bareCheckout } from './bare-driver';

export interface BareInProcess {
  temporal: Client;
  /** Places the next bare order; resolves with its id once its payment is decided. */
  place(): Promise<string>;
  close(): Promise<void>;
}

export async function startBareInProcess(temporalAddress: string): Promise<BareInProcess> {
  const taskQueue = `bare-checkout-${randomUUID()}`;
  const workerConnection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await Worker.create({
    connection: workerConnection,
    taskQueue,
    workflowsPath: require.resolve('../bare/workflow'),
    activities: createBareActivities(),
  });
  const running = worker.run();
  const temporal = new Client({
    connection: await Connection.connect({ address: temporalAddress }),
  });
  let placed = 0;
  return {
    temporal,
    async place() {
      const seq = placed++;
      const orderId = `checkout-${seq}`;
      await bareCheckout(temporal, taskQueue, orderId, seq);
      return orderId;
    },
    async close() {
      worker.shutdown();
      await running;
      await temporal.connection.close();
      await workerConnection.close();
    },
  };
}
