// The app's side: places the planned orders through checkout with their Idempotency-Key,
// retries with the same key on a 503 or a lost connection (bounded, with backoff, never sooner
// than the answer's Retry-After, as a well-behaved app), and records every answer: what it
// said, how long it took, and which order it named.

import { setTimeout as sleep } from 'node:timers/promises';
import {
  dateFromToday,
  sampleGroceryOrder,
  sampleHotelOrder,
  sampleTeleconsultationOrder,
} from '../../dev/sample-orders';
import { serverTimingMs } from '../../api/middleware/server-timing';
import { RETRYABLE_FAILURES } from '../../domain/checkout';
import { bump, errorCode, isServerError, type Findings, type Tally } from './findings';
import type { PlannedOrder } from './plan';

export interface CheckoutAttempt {
  /** Milliseconds since the load started. */
  startedAtMs: number;
  /** As the client heard it: the API's time, the proxy's, the network's and this machine's. */
  latencyMs: number;
  /** The API's own time answering (its Server-Timing), when it answered. */
  serverMs?: number;
  /**
   * The HTTP status, or why there was none. `upstream_lost`: the reverse proxy's own 502
   * (cluster mode), the API process behind it gone mid-request: for the client, a lost
   * connection.
   */
  status: number | 'connection_failed' | 'no_answer' | 'upstream_lost';
  code?: string;
  orderId?: string;
  replayed?: boolean;
  /** The answer's Retry-After, in ms. */
  retryAfterMs?: number;
}

/** What the clients heard over a run. */
export interface CheckoutClientStats {
  answers: Tally;
  /** The slowest answer as the client heard it, and as the API took it (Server-Timing). */
  maxLatencyMs: number;
  maxServerMs: number;
  /** Answers the API gave within the limit that reached the client after it. */
  heardLate: number;
}

export type FinalAnswer =
  | { kind: 'accepted'; orderId: string }
  | { kind: 'declined'; orderId?: string; code: string }
  | { kind: 'refused'; status: number; code?: string }
  | { kind: 'gave_up'; last: string };

export interface CheckoutRecord {
  order: PlannedOrder;
  attempts: CheckoutAttempt[];
  final?: FinalAnswer;
  /** Orders an answer said charged nothing (503 with a retryable code, or 402). */
  nothingCharged: { orderId: string; code: string }[];
  /** Every order id a 201 named (more than one would be a violation). */
  acceptedOrderIds: string[];
  cancellation?: { status: number | 'gave_up'; code?: string };
}

export interface CheckoutClientOptions {
  apiUrl: string;
  appToken: string;
  /** CHECKOUT_WAIT_SECONDS in ms. */
  waitMs: number;
  /**
   * How much longer than the wait the API may take to answer before it counts as too slow.
   * Judged by the API's own time when the answer gives it, else by the client's.
   */
  marginMs: number;
  findings: Findings;
  /** Tries per order (default 14) and how long a client keeps trying (default 90 s). */
  maxAttempts?: number;
  maxRetryMs?: number;
  /** The pause before try `n + 1` (default: `backoffHonouringRetryAfter`). */
  retryDelayMs?: (n: number, retryAfterMs: number | undefined) => number;
}

/** Backoff from 0.4 s doubling to 5 s, never sooner than the server's Retry-After. */
const backoffHonouringRetryAfter = (n: number, retryAfterMs: number | undefined) =>
  Math.max(Math.min(5_000, 400 * 2 ** n), retryAfterMs ?? 0);

const MAX_ATTEMPTS = 14;
const MAX_RETRY_MS = 90_000;
/** Past this, a request counts as hung and is abandoned. */
const HANG_AFTER_EXTRA_MS = 30_000;

export function createCheckoutClient(options: CheckoutClientOptions) {
  const { findings } = options;
  const answers: Tally = {};
  let maxLatencyMs = 0;
  let maxServerMs = 0;
  /** Answers the API gave in time that reached the client too late (this machine, the proxy). */
  let heardLate = 0;
  /** Cancellations the provider simulator waits for (customer_cancel). */
  const cancelled = new Map<string, Promise<void>>();

  async function post(path: string, body: unknown, key?: string) {
    const started = findings.now();
    const t0 = performance.now();
    try {
      const response = await fetch(`${options.apiUrl}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.appToken}`,
          'content-type': 'application/json',
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.waitMs + HANG_AFTER_EXTRA_MS),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = { unparsable: text.slice(0, 200) };
      }
      return {
        started,
        latencyMs: performance.now() - t0,
        serverMs: serverTimingMs(response.headers.get('server-timing')),
        status: isProxyLostUpstream(response.status, text)
          ? ('upstream_lost' as const)
          : (response.status as number),
        body: json,
        replayed: response.headers.get('idempotent-replayed') === 'true',
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
    } catch (error) {
      const hung = error instanceof Error && error.name === 'TimeoutError';
      return {
        started,
        latencyMs: performance.now() - t0,
        status: hung ? ('no_answer' as const) : ('connection_failed' as const),
        body: undefined,
        replayed: false,
        retryAfterMs: undefined,
      };
    }
  }

  /** One checkout request, recorded and judged. */
  async function attempt(record: CheckoutRecord, body: unknown): Promise<CheckoutAttempt> {
    const answer = await post('/v1/orders', body, record.order.key);
    const code = errorCode(answer.body);
    const named =
      (answer.body as { orderId?: string } | undefined)?.orderId ??
      (answer.body as { error?: { details?: { orderId?: string }[] } } | undefined)?.error
        ?.details?.[0]?.orderId;
    const attempt: CheckoutAttempt = {
      startedAtMs: answer.started,
      latencyMs: Math.round(answer.latencyMs),
      ...(answer.serverMs !== undefined ? { serverMs: Math.round(answer.serverMs) } : {}),
      status: answer.status,
      ...(code ? { code } : {}),
      ...(named ? { orderId: named } : {}),
      ...(answer.replayed ? { replayed: true } : {}),
      ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}),
    };
    record.attempts.push(attempt);
    bump(answers, `${answer.status}${code ? ` ${code}` : ''}`);
    if (typeof answer.status === 'number') {
      maxLatencyMs = Math.max(maxLatencyMs, attempt.latencyMs);
      maxServerMs = Math.max(maxServerMs, attempt.serverMs ?? 0);
      const limitMs = options.waitMs + options.marginMs;
      const tookMs = attempt.serverMs ?? attempt.latencyMs;
      if (tookMs > limitMs)
        findings.violation(
          'checkout_too_slow',
          `key ${record.order.key}: ${answer.status} ${code ?? ''} after ${attempt.latencyMs} ms (the API's own ${attempt.serverMs ?? 'unknown'} ms; wait ${options.waitMs} ms + margin ${options.marginMs} ms)`,
          named,
        );
      else if (attempt.latencyMs > limitMs) heardLate++;
      if (isServerError(answer.status, answer.body))
        findings.violation(
          'server_error',
          `checkout for key ${record.order.key} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`,
          named,
        );
    } else if (answer.status === 'no_answer') {
      findings.violation(
        'request_hung',
        `checkout for key ${record.order.key} had no answer after ${attempt.latencyMs} ms`,
      );
    }
    if (
      typeof answer.status === 'number' &&
      answer.status >= 400 &&
      answer.status < 500 &&
      answer.status !== 402
    )
      findings.violation(
        'unexpected_checkout_answer',
        `checkout for key ${record.order.key} (a valid order) answered ${answer.status} ${code ?? ''}`,
        named,
      );
    if (named && answer.status === 201) {
      if (!record.acceptedOrderIds.includes(named)) record.acceptedOrderIds.push(named);
    }
    const nothingCharged =
      (answer.status === 503 && code !== undefined && RETRYABLE_FAILURES.has(code)) ||
      answer.status === 402;
    if (nothingCharged && named) record.nothingCharged.push({ orderId: named, code: code ?? '' });
    return attempt;
  }

  /** Places one planned order: retried with its key until a definitive answer. */
  async function place(order: PlannedOrder, body: unknown): Promise<CheckoutRecord> {
    const record: CheckoutRecord = {
      order,
      attempts: [],
      nothingCharged: [],
      acceptedOrderIds: [],
    };
    const firstAt = findings.now();
    const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
    for (let n = 0; n < maxAttempts; n++) {
      // Some apps fire the same checkout twice at once (a double tap): same key, same body.
      const tries =
        n === 0 && order.doubleSubmit
          ? await Promise.all([attempt(record, body), attempt(record, body)])
          : [await attempt(record, body)];
      const final = tries.map(finalAnswer).find((answer) => answer !== undefined);
      if (final) {
        record.final = final;
        break;
      }
      if (findings.now() - firstAt > (options.maxRetryMs ?? MAX_RETRY_MS)) break;
      const asked = tries.flatMap((tried) => tried.retryAfterMs ?? []);
      const delay = options.retryDelayMs ?? backoffHonouringRetryAfter;
      await sleep(delay(n, asked.length > 0 ? Math.max(...asked) : undefined));
    }
    record.final ??= { kind: 'gave_up', last: describe(record.attempts.at(-1)) };
    if (record.acceptedOrderIds.length > 1)
      findings.violation(
        'key_answered_two_orders',
        `key ${order.key} was answered 201 with ${record.acceptedOrderIds.join(', ')}`,
      );
    return record;
  }

  /** The customer cancels an accepted order (customer_cancel), retrying like checkout. */
  function cancel(record: CheckoutRecord, orderId: string): Promise<void> {
    const done = (async () => {
      for (let n = 0; n < MAX_ATTEMPTS; n++) {
        const answer = await post(`/v1/orders/${orderId}/cancel`, { reason: 'changed my mind' });
        if (typeof answer.status === 'number' && isServerError(answer.status, answer.body))
          findings.violation(
            'server_error',
            `cancel of ${orderId} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`,
            orderId,
          );
        if (typeof answer.status === 'number' && answer.status !== 503 && answer.status < 500) {
          const code = errorCode(answer.body);
          record.cancellation = { status: answer.status, ...(code ? { code } : {}) };
          if (answer.status !== 200 && !(answer.status === 409 && code === 'not_cancellable'))
            findings.violation(
              'unexpected_checkout_answer',
              `cancellation of ${orderId} answered ${answer.status} ${code ?? ''}`,
              orderId,
            );
          return;
        }
        await sleep(Math.min(5_000, 400 * 2 ** n));
      }
      record.cancellation = { status: 'gave_up' };
    })();
    cancelled.set(orderId, done);
    return done;
  }

  return {
    place,
    cancel,
    /** Resolves once the customer's cancellation of `orderId` was answered (or never asked). */
    cancellationOf: (orderId: string) => cancelled.get(orderId),
    stats: (): CheckoutClientStats => ({ answers, maxLatencyMs, maxServerMs, heardLate }),
  };
}

/** Retry-After in seconds (the API sends no HTTP dates), as ms; undefined when absent or bad. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** A definitive answer ends the retries; a 503 or no answer asks for another try. */
/**
 * nginx's own 502 page (dev/cluster/proxy.ts): the API process it passed the request to died
 * before answering, and nginx does not resend a POST. The API never answers 502 itself, and
 * its errors are JSON.
 */
function isProxyLostUpstream(status: number, text: string): boolean {
  return status === 502 && text.includes('<center>nginx');
}

function finalAnswer(attempt: CheckoutAttempt): FinalAnswer | undefined {
  const { status, code, orderId } = attempt;
  if (status === 201 && orderId) return { kind: 'accepted', orderId };
  if (status === 402)
    return { kind: 'declined', code: code ?? 'payment_declined', ...(orderId ? { orderId } : {}) };
  if (typeof status === 'number' && status < 500)
    return { kind: 'refused', status, ...(code ? { code } : {}) };
  return undefined;
}

function describe(attempt: CheckoutAttempt | undefined): string {
  if (!attempt) return 'nothing';
  return `${attempt.status}${attempt.code ? ` ${attempt.code}` : ''}`;
}

/** The checkout body of a planned order, built once when it is first placed (`now`). */
export function checkoutBody(order: PlannedOrder, providerId: string, now: number) {
  const customer = { customerId: order.customerId, token: order.token };
  switch (order.vertical) {
    case 'grocery':
      return sampleGroceryOrder(providerId, {
        ...customer,
        items: [
          { sku: 'apple', name: 'Fuji apples 1kg', quantity: 2, unitPrice: 1299 },
          { sku: 'milk', name: 'Fresh milk 1L', quantity: 3, unitPrice: 1550 },
          { sku: 'bread', name: 'Sourdough', quantity: 1 + (order.variant % 3), unitPrice: 890 },
        ],
        deliveryAddress: `${order.index} Fault Road, Hangzhou`,
        deliveryWindow: {
          start: new Date(now + 20 * 60_000).toISOString(),
          end: new Date(now + 80 * 60_000).toISOString(),
        },
      });
    case 'hotel':
      // Today: the hotel reports the check-in during the run, and a stay cannot begin before
      // its day (a same-day booking can be confirmed until the day ends).
      return sampleHotelOrder(providerId, {
        ...customer,
        checkIn: dateFromToday(0, now),
        nights: 1 + (order.variant % 3),
        guests: 1 + (order.variant % 2),
        nightlyRate: 30_000 + (order.variant % 5) * 5_000,
      });
    case 'teleconsultation':
      return sampleTeleconsultationOrder(providerId, {
        ...customer,
        slotStart: new Date(now + order.slotInMs),
        fee: 9_000 + (order.variant % 10) * 100,
      });
  }
}
