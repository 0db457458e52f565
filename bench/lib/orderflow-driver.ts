// orderflow under load, played as its real clients play it: the app places orders over HTTP
// with an Idempotency-Key (retrying a 503 with the same key), and each provider receives its
// signed webhook, checks the signature, answers 204, then after a delay confirms and reports
// its events through signed callbacks. The API and the order worker run as child processes.

import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverTimings } from '../../api/middleware/server-timing';
import { freePort } from '../../dev/embedded';
import { createAdminClient } from '../../dev/admin-client';
import {
  dateFromToday,
  SAMPLE_GROCERY_ITEMS,
  sampleGroceryOrder,
  sampleHotelOrder,
  sampleTeleconsultationOrder,
} from '../../dev/sample-orders';
import { createProviderClient, type ProviderResponse } from '../../dev/provider-client';
import { createOrderflowClient } from '../../clients/app/client';
import { TERMINAL_STATUSES, type OrderStatus, type Vertical } from '../../domain/order';
import { VIDEO_SESSION_LEAD_MS } from '../../domain/schedule';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../infra/signing';
import { orderWorkflowId } from '../../workflows/messages';
import { errorName, OrderTimeout, wait, type Driver, type OrderflowProcesses } from './driver';
import { orderflowSettings } from './orderflow-env';
import type { LoadOptions } from './plan';
import type { ErrorLog, OrderRecord } from './record';
import { spawnService, waitUntilReady, workersPolling, type Servers } from './runtime';

const CHECKOUT_ATTEMPTS = 5;
const CALLBACK_ATTEMPTS = 5;
/** Reading an order that has not ended yet backs off from this to 2 s between reads. */
const FOLLOW_FIRST_MS = 250;
/** A teleconsultation's doctor starts this long after the video session has opened. */
const AFTER_SESSION_OPENS_MS = 250;

/** What each vertical's provider reports after accepting, in order. */
const EVENTS: Record<Vertical, readonly string[]> = {
  grocery: ['picked_up', 'delivered'],
  hotel: ['checked_in', 'checked_out'],
  teleconsultation: ['consultation_started', 'consultation_completed'],
};

/** A checkout body; a consultation's slot is set so its video session opens within seconds. */
function orderBody(vertical: Vertical, providerId: string, seq: number, options: LoadOptions) {
  const customer = { customerId: `cust_load_${seq % 500}`, token: options.paymentToken };
  switch (vertical) {
    case 'grocery': {
      const order = sampleGroceryOrder(providerId, {
        ...customer,
        deliveryAddress: '1 Load Road, Hangzhou',
      });
      // The sample's items as the generated client types them (the helper also takes the
      // malformed items tests send, so it types them loosely).
      const items = SAMPLE_GROCERY_ITEMS.map((item) => ({ ...item }));
      return { ...order, grocery: { ...order.grocery, items } };
    }
    case 'hotel':
      // Today: the hotel reports the check-in at once, and a stay cannot begin before its day.
      return sampleHotelOrder(providerId, {
        ...customer,
        roomType: 'double',
        checkIn: dateFromToday(0),
        nights: 2,
      });
    case 'teleconsultation': {
      // The session opens VIDEO_SESSION_LEAD_MS before the slot: just after the doctor has
      // confirmed and the first event's delay has passed.
      const opensIn = options.confirmDelayMs + options.eventDelayMs + 500;
      return sampleTeleconsultationOrder(providerId, {
        ...customer,
        specialty: 'general practice',
        slotStart: new Date(Date.now() + VIDEO_SESSION_LEAD_MS + opensIn),
        fee: 20_000,
      });
    }
  }
}

function confirmationOf(vertical: Vertical, orderId: string): Record<string, unknown> {
  switch (vertical) {
    case 'grocery':
      return {
        decision: 'accept',
        items: [
          { sku: 'apple', availableQuantity: 2 },
          { sku: 'milk', availableQuantity: 1 },
        ],
      };
    case 'hotel':
      return { decision: 'accept', confirmationCode: `HTL-${orderId.slice(-8)}` };
    case 'teleconsultation':
      return { decision: 'accept' };
  }
}

/** Races `promise` against the order's deadline (performance.now() ms) and the run's abort. */
async function beforeDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  signal: AbortSignal,
): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(Math.max(0, deadline - performance.now()), undefined, {
        signal: AbortSignal.any([signal, timer.signal]),
      }).then(() => {
        throw new OrderTimeout();
      }),
    ]);
  } finally {
    timer.abort();
  }
}

const errorCode = (body: unknown): string =>
  (body as { error?: { code?: string } } | undefined)?.error?.code ?? 'unknown';

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

interface Provider {
  providerId: string;
  signingSecret: string;
  client: ReturnType<typeof createProviderClient>;
}

/** The providers' webhook endpoint: verifies each webhook, answers 204, notes when it came. */
async function startWebhookReceiver(providers: Map<string, Provider>, onBadSignature: () => void) {
  const arrivals = new Map<string, { at?: number; resolve?: (at: number) => void }>();
  let appEvents = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The app's backend: takes every event (the bench does not judge them).
      if (req.method === 'POST' && req.url?.startsWith('/app-events/')) {
        appEvents += 1;
        res.writeHead(204).end();
        return;
      }
      const provider = providers.get(/^\/webhooks\/([^/]+)$/.exec(req.url ?? '')?.[1] ?? '');
      const raw = Buffer.concat(chunks);
      if (req.method !== 'POST' || !provider) {
        res.writeHead(404).end();
        return;
      }
      const header = req.headers[SIGNATURE_HEADER.toLowerCase()];
      const check = verifyWebhookSignature(
        typeof header === 'string' ? header : undefined,
        provider.signingSecret,
        raw,
        300,
      );
      if (!check.valid) {
        onBadSignature();
        res.writeHead(401).end();
        return;
      }
      res.writeHead(204).end();
      const webhook = parse(raw.toString('utf8')) as
        { type?: string; order?: { orderId?: string } } | undefined;
      const orderId = webhook?.order?.orderId;
      if (webhook?.type !== 'order.created' || !orderId) return;
      const at = performance.now();
      const waiting = arrivals.get(orderId);
      if (waiting?.resolve) waiting.resolve(at);
      else arrivals.set(orderId, { at });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    webhookUrl: (providerId: string) => `${url}/webhooks/${providerId}`,
    appEndpointUrl: (n: number) => `${url}/app-events/${n}`,
    appEventsReceived: () => appEvents,
    /** When the order's `order.created` webhook arrived (performance.now()). */
    arrival(orderId: string): Promise<number> {
      const known = arrivals.get(orderId);
      arrivals.delete(orderId);
      if (known?.at !== undefined) return Promise.resolve(known.at);
      return new Promise<number>((resolve) =>
        arrivals.set(orderId, {
          resolve: (at) => {
            arrivals.delete(orderId);
            resolve(at);
          },
        }),
      );
    },
    forget(orderId: string) {
      arrivals.delete(orderId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * orderflow's API and order worker beside the dev server (or given servers), as child
 * processes of their own, once both are ready.
 */
async function spawnOrderflow(
  servers: Servers,
  options: LoadOptions,
  runId: string,
): Promise<OrderflowProcesses> {
  const { env: common, appToken, adminToken } = orderflowSettings(options);
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  const taskQueue = `orders-load-${runId}`;
  const env: Record<string, string> = {
    ...common,
    HOST: '127.0.0.1',
    PORT: String(port),
    MONGODB_URI: `${servers.mongodbUri}/load_${runId}`,
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...(options.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: options.workflowBundlePath } : {}),
  };
  const logDir = servers.dataDir;
  const worker = spawnService('order-worker', 'workers/order-worker.ts', env, logDir, options);
  const api = spawnService('api', 'api/server.ts', env, logDir, options);
  const stop = async () => {
    await api.stop();
    await worker.stop();
  };
  try {
    await Promise.all([
      waitUntilReady(
        api,
        async () => {
          const response = await fetch(`${apiUrl}/readyz`);
          await response.arrayBuffer();
          return response.ok;
        },
        60_000,
        logDir,
      ),
      waitUntilReady(worker, () => workersPolling(servers.client, taskQueue), 120_000, logDir),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { apiUrl, appToken, adminToken, pids: { api: api.pid, worker: worker.pid }, stop };
}

/**
 * The driver: the cluster's APIs and workers when the servers are a cluster, else an API and a
 * worker of its own; then the providers registered, each with its webhook at the generator.
 */
export async function startOrderflowDriver(
  servers: Servers,
  options: LoadOptions,
  runId: string,
): Promise<Driver> {
  const processes = servers.orderflow ?? (await spawnOrderflow(servers, options, runId));
  const { apiUrl, appToken, adminToken } = processes;
  const providers = new Map<string, Provider>();
  const providersPerVertical = options.providersPerVertical ?? 1;
  const providerIdOf = (vertical: string, n: number) =>
    n === 0 ? `load-${vertical}-${runId}` : `load-${vertical}-${runId}-${n}`;
  let errors: ErrorLog | undefined;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;

  const stop = async () => {
    await receiver?.close();
    await processes.stop();
  };

  try {
    receiver = await startWebhookReceiver(providers, () =>
      errors?.add(undefined, 'webhook_bad_signature'),
    );
    const admin = createAdminClient(apiUrl, adminToken);
    for (const vertical of ['grocery', 'hotel', 'teleconsultation'] as const) {
      for (let n = 0; n < providersPerVertical; n++) {
        const providerId = providerIdOf(vertical, n);
        const { signingSecret } = await admin.registerOrThrow({
          providerId,
          vertical,
          name: `Load ${vertical} provider`,
          webhookUrl: receiver.webhookUrl(providerId),
          // UTC: hotel orders check in today (by the UTC date) and report the check-in at once.
          timeZone: 'UTC',
        });
        providers.set(providerId, {
          providerId,
          signingSecret,
          client: createProviderClient(apiUrl, { providerId, signingSecret }),
        });
      }
    }
    for (let n = 1; n <= (options.appEndpoints ?? 0); n++)
      await admin.registerAppEndpointOrThrow(receiver.appEndpointUrl(n), 'load generator');
  } catch (error) {
    await stop();
    throw error;
  }
  const webhooks = receiver;
  // The app's calls go through the client generated from the OpenAPI document, as an app's would.
  const app = createOrderflowClient(apiUrl, appToken);

  /** Places the order; its id once accepted (201), undefined when checkout gave up. */
  async function checkout(
    record: OrderRecord,
    log: ErrorLog,
    body: ReturnType<typeof orderBody>,
    deadline: number,
    signal: AbortSignal,
  ): Promise<{ orderId: string; answeredAt: number } | undefined> {
    const idempotencyKey = `load-${runId}-${record.seq}`;
    for (let attempt = 1; attempt <= CHECKOUT_ATTEMPTS; attempt++) {
      const started = performance.now();
      const sentMs = Date.now();
      let status: number;
      let answer: unknown;
      let retryAfterMs = 0;
      let serverTiming: string | null = null;
      try {
        const { data, error, response } = await app.POST('/v1/orders', {
          params: { header: { 'Idempotency-Key': idempotencyKey } },
          body,
          signal: AbortSignal.any([
            signal,
            AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))),
          ]),
        });
        status = response.status;
        retryAfterMs = Number(response.headers.get('retry-after') ?? 0) * 1000 || 0;
        serverTiming = response.headers.get('server-timing');
        answer = data ?? error;
      } catch (error) {
        if (signal.aborted) throw error;
        if (performance.now() >= deadline) throw new OrderTimeout();
        log.add(record, 'checkout_network');
        await sleep(200 * attempt, undefined, { signal });
        continue;
      }
      const answeredAt = performance.now();
      if (status === 201) {
        record.checkoutMs = answeredAt - started;
        record.checkoutAt = { sentMs, answeredMs: Date.now() };
        record.checkoutSteps = serverTimings(serverTiming);
        return { orderId: (answer as { orderId: string }).orderId, answeredAt };
      }
      log.add(record, `checkout_${status}_${errorCode(answer)}`);
      // Only "try again" (503: nothing was charged) lets the same key place the order.
      if (status !== 503) {
        record.outcome = `checkout_${status}`;
        return undefined;
      }
      // As an app should: no sooner than the server's Retry-After (503 server_busy sends one).
      await sleep(Math.max(200 * attempt, retryAfterMs), undefined, { signal });
    }
    record.outcome = 'checkout_gave_up';
    return undefined;
  }

  /** One signed callback, repeated (harmlessly) on 409/5xx; its answer's order, if 200. */
  async function callback(
    record: OrderRecord,
    log: ErrorLog,
    kind: 'confirmation' | 'event',
    send: () => Promise<ProviderResponse>,
    deadline: number,
    signal: AbortSignal,
  ): Promise<{ status: OrderStatus } | undefined> {
    for (let attempt = 1; attempt <= CALLBACK_ATTEMPTS; attempt++) {
      const started = performance.now();
      let answer: ProviderResponse;
      try {
        answer = await beforeDeadline(send(), deadline, signal);
      } catch (error) {
        if (error instanceof OrderTimeout || signal.aborted) throw error;
        log.add(record, `${kind}_network`);
        await sleep(200 * attempt, undefined, { signal });
        continue;
      }
      const took = performance.now() - started;
      if (answer.status === 200) {
        if (kind === 'confirmation') record.confirmationMs = took;
        else record.eventMs.push(took);
        return answer.body as { status: OrderStatus };
      }
      log.add(record, `${kind}_${answer.status}_${errorCode(answer.body)}`);
      if (answer.status !== 409 && answer.status < 500) break;
      await sleep(250 * attempt, undefined, { signal });
    }
    record.outcome = `${kind}_failed`;
    return undefined;
  }

  /** Reads the order until it ends (a last answer that is not `completed` yet). */
  async function follow(orderId: string, deadline: number, signal: AbortSignal) {
    for (let pause = FOLLOW_FIRST_MS; ; pause = Math.min(2_000, pause * 2)) {
      const { data: order } = await app.GET('/v1/orders/{orderId}', {
        params: { path: { orderId } },
        signal,
      });
      if (order && TERMINAL_STATUSES.has(order.status)) return order.status;
      if (performance.now() >= deadline) throw new OrderTimeout();
      await sleep(pause, undefined, { signal });
    }
  }

  return {
    kind: 'orderflow',
    verticals: ['grocery', 'hotel', 'teleconsultation'],
    pids: processes.pids,
    ...(processes.workerMetricsUrls ? { workerMetricsUrls: processes.workerMetricsUrls } : {}),
    workflowIdOf: (record) => (record.orderId ? orderWorkflowId(record.orderId) : undefined),
    ...(options.appEndpoints ? { appEventsReceived: webhooks.appEventsReceived } : {}),
    stop,
    async play(record, log, signal) {
      errors = log;
      const deadline = record.startedAt + options.orderTimeoutMs;
      // Orders spread over the vertical's providers in turn.
      const provider = providers.get(
        providerIdOf(record.vertical, record.seq % providersPerVertical),
      )!;
      const request = orderBody(record.vertical, provider.providerId, record.seq, options);
      try {
        const placed = await checkout(record, log, request, deadline, signal);
        if (!placed) return;
        const { orderId } = placed;
        record.orderId = orderId;
        const webhookAt = await beforeDeadline(webhooks.arrival(orderId), deadline, signal).catch(
          (error: unknown) => {
            webhooks.forget(orderId);
            throw error;
          },
        );
        record.webhookAfterCheckoutMs = webhookAt - placed.answeredAt;

        await wait(record, options.confirmDelayMs, signal);
        const confirmation = confirmationOf(record.vertical, orderId);
        let last = await callback(
          record,
          log,
          'confirmation',
          () => provider.client.confirm(orderId, confirmation),
          deadline,
          signal,
        );
        for (const [index, type] of EVENTS[record.vertical].entries()) {
          if (!last) return;
          let delay = options.eventDelayMs;
          if ('teleconsultation' in request && index === 0) {
            const opensAt = Date.parse(request.teleconsultation.slotStart) - VIDEO_SESSION_LEAD_MS;
            delay = Math.max(delay, opensAt + AFTER_SESSION_OPENS_MS - Date.now());
          }
          await wait(record, delay, signal);
          last = await callback(
            record,
            log,
            'event',
            () => provider.client.reportEvent(orderId, type),
            deadline,
            signal,
          );
        }
        if (!last) return;
        const status =
          last.status === 'completed' ? last.status : await follow(orderId, deadline, signal);
        if (status === 'completed') {
          record.completedAt = performance.now();
          record.outcome = 'completed';
        } else {
          record.outcome = `order_${status}`;
          log.add(record, record.outcome);
        }
      } catch (error) {
        record.outcome = errorName(error);
        log.add(record, record.outcome);
      }
    },
  };
}
