// Chaotic providers: a webhook receiver that sometimes answers 500 or hangs past orderflow's
// 5 s webhook timeout, and signed callbacks (dev/provider-client.ts) played per order by its
// planned scenario — twice, concurrently, late, early, out of order. Every answer is checked
// against the provider contract: a repeated callback is harmless (200), an event before the
// confirmation or a second, different decision is refused (409), no answer is a 500.

import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderSnapshot, Vertical } from '../../domain/order';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../infra/signing';
import { createProviderClient, type ProviderResponse } from '../../dev/provider-client';
import { bump, errorCode, isServerError, type Findings, type Tally } from './findings';
import type { Plan, PlannedOrder, Scenario } from './plan';
import { derivedRandom } from './random';

export interface ProviderAccount {
  providerId: string;
  vertical: Vertical;
  signingSecret: string;
  /** A fallback: it receives only orders re-routed to it. */
  isFallback?: boolean;
}

/** orderflow's per-attempt webhook timeout is 5 s: a hang lasts longer. */
const HANG_MS = 6_500;
const WEBHOOK_500_RATE = 0.12;
const WEBHOOK_HANG_RATE = 0.08;
/** A callback is retried on 503 and lost connections this often, for at most this long. */
const CALLBACK_ATTEMPTS = 16;
const CALLBACK_RETRY_MS = 75_000;
/** How far after the deadline a late provider answers. */
const LATE_BY_MS = 3_000;

const PROGRESS: Record<Vertical, readonly [string, string]> = {
  grocery: ['picked_up', 'delivered'],
  hotel: ['checked_in', 'checked_out'],
  teleconsultation: ['consultation_started', 'consultation_completed'],
};

export interface ProviderStats {
  webhooks: Tally;
  callbacks: Tally;
  /** Late confirmations answered 200: the deadline had passed but its timer was not yet handled. */
  lateAccepted: { orderId: string; confirmBy: string; sentAt: string }[];
  scriptsStarted: number;
  scriptsFinished: number;
}

export interface ChaoticProviders {
  url: string;
  webhookUrl(providerId: string): string;
  /** Lets the simulator play the providers' side once their secrets are known. */
  use(accounts: readonly ProviderAccount[], apiUrl: string): void;
  /** Resolves once every started scenario has played out (bounded by their own retries). */
  idle(): Promise<void>;
  stats: ProviderStats;
  close(): Promise<void>;
}

export async function startChaoticProviders(options: {
  plan: Plan;
  findings: Findings;
  /** The customer's cancellation of an order, once asked (customer_cancel). */
  cancellationOf: (orderId: string) => Promise<void> | undefined;
}): Promise<ChaoticProviders> {
  const { plan, findings } = options;
  const byCustomer = new Map(
    [...plan.orders, ...plan.probes].map((order) => [order.customerId, order]),
  );
  const accounts = new Map<string, ProviderAccount>();
  let apiUrl = '';
  const stats: ProviderStats = {
    webhooks: {},
    callbacks: {},
    lateAccepted: [],
    scriptsStarted: 0,
    scriptsFinished: 0,
  };
  const seenEvents = new Set<string>();
  const played = new Set<string>();
  const running = new Set<Promise<void>>();
  let closing = false;

  function startScript(account: ProviderAccount, order: OrderSnapshot) {
    const playing = `${account.providerId}/${order.orderId}`;
    if (played.has(playing)) return;
    played.add(playing);
    const planned = byCustomer.get(order.customerId);
    if (!planned) return;
    // A fallback takes the orders meant to be re-routed to it and lets the others expire.
    if (account.isFallback && planned.scenario !== 'reroute') return;
    stats.scriptsStarted += 1;
    const script = play(account, planned, order)
      .catch((error: unknown) =>
        findings.note(`provider script ${order.orderId} failed: ${String(error)}`),
      )
      .finally(() => {
        stats.scriptsFinished += 1;
        running.delete(script);
      });
    running.add(script);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const providerId = /^\/webhooks\/([^/]+)$/.exec(req.url ?? '')?.[1];
      const account = providerId ? accounts.get(providerId) : undefined;
      const raw = Buffer.concat(chunks);
      if (req.method !== 'POST' || !account) {
        res.writeHead(404).end();
        return;
      }
      const check = verifyWebhookSignature(
        req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
        account.signingSecret,
        raw,
        300,
      );
      if (!check.valid) {
        findings.violation('bad_webhook_signature', `${providerId}: ${check.reason}`);
        res.writeHead(401).end();
        return;
      }
      let webhook: { id: string; type: string; order: OrderSnapshot };
      try {
        webhook = JSON.parse(raw.toString('utf8')) as typeof webhook;
      } catch {
        findings.note(`${providerId}: a webhook that is not JSON`);
        res.writeHead(400).end();
        return;
      }
      bump(stats.webhooks, `received ${webhook.type}`);
      if (seenEvents.has(webhook.id)) bump(stats.webhooks, 'received again (redelivery)');
      seenEvents.add(webhook.id);
      const attempt = String(req.headers['orderflow-delivery-attempt'] ?? '1');
      const roll = derivedRandom(plan.seed, 'webhook', webhook.id, attempt).next();
      if (roll < WEBHOOK_500_RATE) {
        // Failed before doing anything: orderflow retries with backoff.
        bump(stats.webhooks, 'answered 500');
        res.writeHead(500).end();
        return;
      }
      if (webhook.type === 'order.created') startScript(account, webhook.order);
      if (roll < WEBHOOK_500_RATE + WEBHOOK_HANG_RATE) {
        // Took the order, then answered too late: orderflow gave up and delivers again.
        bump(stats.webhooks, 'hung past the timeout');
        setTimeout(() => res.writeHead(204).end(), HANG_MS).unref();
        return;
      }
      bump(stats.webhooks, 'answered 204');
      res.writeHead(204).end();
    });
  });

  /** One callback, retried through 503s and lost connections; judged against `acceptable`. */
  async function callback(
    label: string,
    orderId: string,
    call: () => Promise<ProviderResponse>,
    acceptable: readonly number[],
  ): Promise<number | undefined> {
    const started = Date.now();
    for (let n = 0; n < CALLBACK_ATTEMPTS && !closing; n++) {
      let response: ProviderResponse | undefined;
      try {
        response = await call();
      } catch {
        response = undefined; // the API is down or restarting
      }
      if (response) {
        if (isServerError(response.status, response.body))
          findings.violation(
            'server_error',
            `${label} for ${orderId} answered ${response.status}: ${JSON.stringify(response.body).slice(0, 300)}`,
            orderId,
          );
        if (response.status < 500) {
          bump(stats.callbacks, `${label} → ${response.status}`);
          if (!acceptable.includes(response.status))
            findings.violation(
              'unexpected_callback_answer',
              `${label} for ${orderId} answered ${response.status} ${errorCode(response.body) ?? ''} (expected ${acceptable.join(' or ')})`,
              orderId,
            );
          return response.status;
        }
      }
      if (Date.now() - started > CALLBACK_RETRY_MS) break;
      await sleep(Math.min(4_000, 300 * 2 ** n));
    }
    bump(stats.callbacks, `${label} → gave up`);
    return undefined;
  }

  async function play(account: ProviderAccount, planned: PlannedOrder, order: OrderSnapshot) {
    const client = createProviderClient(apiUrl, account);
    const { orderId } = order;
    const random = derivedRandom(plan.seed, 'provider', planned.index);
    const pause = (min = 150, max = 1200) => sleep(random.int(min, max));
    const [first, last] = PROGRESS[planned.vertical];
    const accept = acceptance(planned, order);
    const confirm = (label: string, decision: Record<string, unknown>, ok: readonly number[]) =>
      callback(label, orderId, () => client.confirm(orderId, decision), ok);
    const report = (label: string, type: string, ok: readonly number[], at?: string) =>
      callback(label, orderId, () => client.reportEvent(orderId, type, at), ok);
    /** Reports the progress in order; each event once (or `times` at once). */
    const progress = async (times = 1, repeat = false) => {
      for (const type of [first, last]) {
        await pause();
        const answers = await Promise.all(
          Array.from({ length: times }, () => report('event', type, [200, 409])),
        );
        if (times > 1) sameAnswers('concurrent events', orderId, answers);
        if (repeat && answers[0] === 200) await report('repeated event', type, [200]);
      }
    };

    await sleep(planned.providerDelayMs);
    const scenario: Scenario = account.isFallback ? 'happy' : planned.scenario;
    switch (scenario) {
      case 'happy':
      case 'partial': {
        if ((await confirm('confirmation', accept, [200, 409])) === 200) await progress();
        return;
      }
      case 'twice': {
        if ((await confirm('confirmation', accept, [200, 409])) !== 200) return;
        // A repeated callback is harmless: it answers as the first did.
        await confirm('repeated confirmation', accept, [200]);
        await progress(1, true);
        return;
      }
      case 'concurrent': {
        const answers = await Promise.all(
          [0, 1, 2].map(() => confirm('concurrent confirmation', accept, [200, 409])),
        );
        sameAnswers('concurrent confirmations', orderId, answers);
        if (answers[0] === 200) await progress(2);
        return;
      }
      case 'early': {
        // Before the confirmation an event applies to nothing yet: it is kept for its step
        // (409 only if the order closed meanwhile, its deadline passed during an outage).
        await report('event before confirmation', first, [200, 409]);
        if ((await confirm('confirmation', accept, [200, 409])) !== 200) return;
        // Right away: dispatch has not started, so the events wait for their step.
        await report('early event', first, [200, 409]);
        await report('early event', last, [200, 409]);
        return;
      }
      case 'out_of_order': {
        if ((await confirm('confirmation', accept, [200, 409])) !== 200) return;
        await pause();
        const earlier = new Date(Date.now() - 60_000).toISOString();
        await report('out-of-order event (last first)', last, [200, 409]);
        await report('out-of-order event (first last)', first, [200, 409], earlier);
        return;
      }
      case 'conflicting': {
        if ((await confirm('confirmation', accept, [200, 409])) !== 200) return;
        await confirm('contradicting confirmation', { decision: 'reject' }, [409]);
        await progress();
        return;
      }
      case 'reject': {
        await confirm('rejection', { decision: 'reject', reason: 'fully booked' }, [200, 409]);
        await report('event after rejection', first, [409]);
        return;
      }
      case 'reroute': {
        // The fallback takes it from here; this provider's word no longer counts (409).
        await confirm(
          'rejection (re-routed)',
          { decision: 'reject', reason: 'no stock' },
          [200, 409],
        );
        await report('event after re-routing', first, [409]);
        return;
      }
      case 'late': {
        const confirmBy = Date.parse(order.confirmBy ?? '') || Date.now();
        await sleep(Math.max(0, confirmBy + LATE_BY_MS - Date.now()));
        // The order expired: refused, unless the deadline's timer has not been handled yet.
        const sentAt = new Date().toISOString();
        const answer = await confirm('late confirmation', accept, [409, 200]);
        if (answer === 200) {
          stats.lateAccepted.push({ orderId, confirmBy: order.confirmBy ?? '', sentAt });
          await progress();
        }
        return;
      }
      case 'silent':
        return;
      case 'customer_cancel': {
        // The provider thinks it over while the customer cancels.
        const cancelled = await waitFor(() => options.cancellationOf(orderId), 30_000);
        await cancelled;
        if ((await confirm('confirmation after cancellation', accept, [200, 409])) === 200)
          await progress();
        return;
      }
      case 'no_show': {
        if ((await confirm('confirmation', accept, [200, 409])) !== 200) return;
        await pause(500, 2000);
        await report('no-show', 'no_show', [200, 409]);
        return;
      }
      case 'doctor_absent':
        await confirm('confirmation', accept, [200, 409]);
        return;
    }
  }

  function sameAnswers(label: string, orderId: string, answers: (number | undefined)[]) {
    const given = answers.filter((a): a is number => a !== undefined);
    if (new Set(given).size > 1)
      findings.violation(
        'unexpected_callback_answer',
        `${label} for ${orderId} were answered differently: ${given.join(', ')}`,
        orderId,
      );
  }

  async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !closing) {
      const value = probe();
      if (value !== undefined) return value;
      await sleep(200);
    }
    return undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    webhookUrl: (providerId) => `${url}/webhooks/${providerId}`,
    use(list, api) {
      for (const account of list) accounts.set(account.providerId, account);
      apiUrl = api;
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The provider's "yes" for its vertical; a store with part of the stock for `partial`. */
function acceptance(planned: PlannedOrder, order: OrderSnapshot): Record<string, unknown> {
  switch (planned.vertical) {
    case 'grocery':
      return {
        decision: 'accept',
        items: (order.grocery?.items ?? []).map((item) => ({
          sku: item.sku,
          availableQuantity:
            planned.scenario === 'partial' && item.sku === 'milk'
              ? item.quantity - 1
              : item.quantity,
        })),
      };
    case 'hotel':
      return { decision: 'accept', confirmationCode: `HTL-${order.orderId.slice(-6)}` };
    case 'teleconsultation':
      return { decision: 'accept' };
  }
}
