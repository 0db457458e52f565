// Prometheus metrics of the API process, on a registry of its own (one per app instance).

import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { routePattern } from './middleware/route-pattern';

/** How long one count of the app-event backlog serves scrapes (ms). */
const BACKLOG_COUNT_TTL_MS = 5_000;
/** A count the database has not answered by then reads as unknown (NaN). */
const BACKLOG_COUNT_TIMEOUT_MS = 2_000;

export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestDuration = new Histogram({
    name: 'orderflow_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const checkouts = new Counter({
    name: 'orderflow_checkouts_total',
    help: 'Checkout answers by vertical and resulting order status',
    labelNames: ['vertical', 'status'] as const,
    registers: [registry],
  });

  const checkoutsShed = new Counter({
    name: 'orderflow_checkouts_shed_total',
    help: 'Checkouts refused with 503 server_busy because too many were in flight',
    registers: [registry],
  });

  /**
   * Times each request; the route label is the matched pattern, never the raw URL, with
   * `res.locals.routeVariant` appended when the route set one (a long poll, which takes seconds
   * by design, would otherwise hide the same route's reads).
   */
  const observeRequests: RequestHandler = (req, res, next) => {
    const stop = requestDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const pattern = routePattern(req) ?? 'unmatched';
      const variant = res.locals.routeVariant as string | undefined;
      stop({ route: variant ? `${pattern} ${variant}` : pattern, status: String(res.statusCode) });
    });
    next();
  };

  /** Reports checkout's admission: its current limit and the checkouts in flight. */
  const observeAdmission = (admission: { readonly limit: number; readonly inFlight: number }) => {
    new Gauge({
      name: 'orderflow_checkout_admission_limit',
      help: 'Checkouts this process admits at once (adapts to their latency)',
      registers: [registry],
      collect() {
        this.set(admission.limit);
      },
    });
    new Gauge({
      name: 'orderflow_checkouts_in_flight',
      help: 'Checkouts this process is running',
      registers: [registry],
      collect() {
        this.set(admission.inFlight);
      },
    });
  };

  /** Reports the app's long polls waiting for their order to change. */
  const observeOrderWaits = (waits: { readonly open: number }) => {
    new Gauge({
      name: 'orderflow_order_waits',
      help: 'Requests waiting for their order to change (GET /v1/orders/:id?afterRevision=)',
      registers: [registry],
      collect() {
        this.set(waits.open);
      },
    });
  };

  /**
   * Reports the app events waiting for delivery, counted in the database when scraped: the
   * same number from every API process (ops/prometheus/rules.yml takes the max). One count
   * serves the scrapes of BACKLOG_COUNT_TTL_MS, however many scrape, so the database answers
   * one indexed count every few seconds at most; NaN when it could not answer.
   */
  const observeAppEventBacklog = (countPending: () => Promise<number>) => {
    type Count = { value: number; at: number };
    let last: Count | undefined;
    let counting: Promise<Count> | undefined;
    const count = async (): Promise<Count> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<number>((resolve) => {
        timer = setTimeout(() => resolve(Number.NaN), BACKLOG_COUNT_TIMEOUT_MS);
      });
      const value = await Promise.race([countPending().catch(() => Number.NaN), timeout]);
      clearTimeout(timer);
      return { value, at: Date.now() };
    };
    new Gauge({
      name: 'orderflow_app_event_deliveries_pending',
      help: 'App event deliveries not yet delivered or given up (all endpoints, from the database)',
      registers: [registry],
      async collect() {
        if (!last || Date.now() - last.at >= BACKLOG_COUNT_TTL_MS)
          last = await (counting ??= count().finally(() => (counting = undefined)));
        this.set(last.value);
      },
    });
  };

  return {
    registry,
    checkouts,
    checkoutsShed,
    observeRequests,
    observeAdmission,
    observeOrderWaits,
    observeAppEventBacklog,
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
