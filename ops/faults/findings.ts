// What a fault-suite run found besides the reconciler's breaches: violations of what the
// clients and providers were promised (each fails the run), and plain tallies.

export type ViolationKind =
  /** An answer of 500 (or another 5xx than 503), or a 503 without a machine-readable code. */
  | 'server_error'
  /** A checkout answered later than CHECKOUT_WAIT_SECONDS plus the margin. */
  | 'checkout_too_slow'
  /** A checkout of a valid order refused with a 4xx other than 402, or a cancellation with other than 200 or 409. */
  | 'unexpected_checkout_answer'
  /** A request got no answer at all within the client's patience. */
  | 'request_hung'
  /** An order the client was told charged nothing has a capture or an open hold. */
  | 'charged_after_nothing_charged'
  /** One order id with more than one authorisation. */
  | 'two_authorisations'
  /** An order answered 201 that has no document, no workflow or no authorisation. */
  | 'accepted_order_missing'
  /** An order the listing still lacks, or lists behind its newest publication, once mended. */
  | 'listing_not_mended'
  /** One Idempotency-Key whose orders took money more than once. */
  | 'key_charged_twice'
  /** One Idempotency-Key answered 201 with two different orders. */
  | 'key_answered_two_orders'
  /** The app's live endpoint heard nothing of an order. */
  | 'app_event_missing'
  /** A provider callback answered other than the contract says. */
  | 'unexpected_callback_answer'
  /** A webhook whose signature does not verify with the provider's secret. */
  | 'bad_webhook_signature'
  /** A worker or API process that died on its own after it was up. */
  | 'process_crashed'
  /** The reconciler could not check some orders. */
  | 'reconcile_unchecked';

export interface Violation {
  kind: ViolationKind;
  detail: string;
  orderId?: string;
  /** Milliseconds since the load started. */
  atMs?: number;
}

/** Counts by label, e.g. answers by "503 checkout_timeout". */
export type Tally = Record<string, number>;

export function bump(tally: Tally, label: string, by = 1): void {
  tally[label] = (tally[label] ?? 0) + by;
}

export class Findings {
  readonly violations: Violation[] = [];
  /** Lines worth reading afterwards (fault steps, restarts), with their time. */
  readonly notes: string[] = [];

  constructor(private readonly clock: () => number) {}

  now(): number {
    return this.clock();
  }

  violation(kind: ViolationKind, detail: string, orderId?: string): void {
    this.violations.push({ kind, detail, atMs: this.clock(), ...(orderId ? { orderId } : {}) });
  }

  note(message: string): void {
    this.notes.push(`+${(this.clock() / 1000).toFixed(1)}s ${message}`);
  }
}

/** An HTTP answer's error code, when it has the API's error shape. */
export function errorCode(body: unknown): string | undefined {
  const error = (body as { error?: { code?: unknown } } | undefined)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/** 5xx answers the API must never give: anything but a 503 with a code. */
export function isServerError(status: number, body: unknown): boolean {
  return status >= 500 && (status !== 503 || errorCode(body) === undefined);
}
