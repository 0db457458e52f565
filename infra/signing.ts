// Provider message signatures. Both directions carry `Orderflow-Signature: t=<unix seconds>,v1=<hex>`
// (one `v1=` per secret the sender signs with, so a secret can be rotated), where each v1 is
// HMAC-SHA256(secret, <signing payload>) in lower-case hex. The payloads differ:
//
// - callbacks (provider → orderflow): "<t>.<METHOD>.<path and query>.<raw body>", METHOD in
//   upper case and the path and query exactly the request target as sent (not decoded, not
//   normalised; `req.originalUrl` in Express), body empty for a GET. Binding the method and
//   path means a captured callback cannot be replayed against another order or endpoint.
// - webhooks (orderflow → provider's webhook URL): "<t>.<raw body>"; the body names the event
//   and the order, and the provider knows which URL it gave us.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Orderflow-Signature';

export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

/** What a provider callback's signature covers besides the timestamp. */
export interface CallbackRequest {
  /** The HTTP method; canonicalised to upper case. */
  method: string;
  /** The request target exactly as sent: path plus query string, not decoded (`req.originalUrl`). */
  target: string;
  /** The raw body as sent; empty for a GET. */
  rawBody: string | Buffer;
}

export type SignatureCheck =
  { valid: true } | { valid: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

type Secrets = string | readonly string[];

/** An RFC 9110 token without "." (the payload's separator). */
const METHOD_TOKEN = /^[!#$%&'*+^_`|~0-9A-Za-z-]+$/;

function canonicalMethod(method: string): string {
  if (!METHOD_TOKEN.test(method)) throw new TypeError(`not an HTTP method: ${method}`);
  return method.toUpperCase();
}

/**
 * The exact bytes a provider callback's v1 signs:
 * `"<t>.<METHOD>.<path and query>.<raw body>"`, e.g.
 * `1764000000.POST./v1/providers/p1/orders/o1/confirmation.{"decision":"accept"}`.
 */
export function callbackSigningPayload(timestamp: number, request: CallbackRequest): Buffer {
  return Buffer.concat([
    Buffer.from(`${timestamp}.${canonicalMethod(request.method)}.${request.target}.`, 'utf8'),
    toBuffer(request.rawBody),
  ]);
}

/** The exact bytes an outbound webhook's v1 signs: `"<t>.<raw body>"`. */
export function webhookSigningPayload(timestamp: number, rawBody: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), toBuffer(rawBody)]);
}

/** `Orderflow-Signature` for a provider callback, with one v1 per secret given. */
export function callbackSignatureHeader(
  secrets: Secrets,
  request: CallbackRequest,
  now: Date = new Date(),
): string {
  const timestamp = unixSeconds(now);
  return header(timestamp, secrets, callbackSigningPayload(timestamp, request));
}

/** `Orderflow-Signature` for an outbound webhook (body only), with one v1 per secret given. */
export function webhookSignatureHeader(
  secrets: Secrets,
  rawBody: string | Buffer,
  now: Date = new Date(),
): string {
  const timestamp = unixSeconds(now);
  return header(timestamp, secrets, webhookSigningPayload(timestamp, rawBody));
}

/**
 * Checks a provider callback's signature header against the request's method, target and raw
 * body. `secrets` are all the secrets currently valid for the provider; any v1 in the header
 * matching any of them is enough.
 */
export function verifyCallbackSignature(
  header: string | undefined,
  secrets: Secrets,
  request: CallbackRequest,
  toleranceSeconds: number,
  now: Date = new Date(),
): SignatureCheck {
  return verify(header, secrets, toleranceSeconds, now, (t) =>
    // Nothing can have been signed over a method that is not one.
    METHOD_TOKEN.test(request.method) ? callbackSigningPayload(t, request) : undefined,
  );
}

/** Checks an outbound webhook's signature header against its raw body (the provider's side). */
export function verifyWebhookSignature(
  header: string | undefined,
  secrets: Secrets,
  rawBody: string | Buffer,
  toleranceSeconds: number,
  now: Date = new Date(),
): SignatureCheck {
  return verify(header, secrets, toleranceSeconds, now, (t) => webhookSigningPayload(t, rawBody));
}

interface ParsedHeader {
  timestamp: number;
  signatures: Buffer[];
}

const TIMESTAMP = /^\d{1,12}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const PART = /^([A-Za-z0-9]+)=(.*)$/;

/**
 * `t=<digits>` exactly once and one or more `v1=<64 hex>`, comma-separated; other `key=value`
 * parts (a future scheme) are ignored. Anything else, including a bad v1, is malformed.
 */
function parseSignatureHeader(header: string): ParsedHeader | undefined {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const rawPart of header.split(',')) {
    const part = PART.exec(rawPart.trim());
    if (!part) return undefined;
    const [, name, value = ''] = part;
    if (name === 't') {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined;
      timestamp = Number(value);
    } else if (name === 'v1') {
      if (!HEX_SHA256.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

function verify(
  header: string | undefined,
  secrets: Secrets,
  toleranceSeconds: number,
  now: Date,
  payload: (timestamp: number) => Buffer | undefined,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { valid: false, reason: 'malformed' };
  if (Math.abs(now.getTime() / 1000 - parsed.timestamp) > toleranceSeconds)
    return { valid: false, reason: 'stale' };
  const signed = payload(parsed.timestamp);
  if (!signed) return { valid: false, reason: 'mismatch' };
  const expected = secretList(secrets).map((secret) => hmac(secret, signed));
  // Every candidate is compared in constant time and none is skipped once one matched.
  let matched = 0;
  for (const signature of parsed.signatures)
    for (const candidate of expected) matched |= timingSafeEqual(signature, candidate) ? 1 : 0;
  return matched === 1 ? { valid: true } : { valid: false, reason: 'mismatch' };
}

function header(timestamp: number, secrets: Secrets, payload: Buffer): string {
  const list = secretList(secrets);
  if (list.length === 0) throw new TypeError('no signing secret');
  return [
    `t=${timestamp}`,
    ...list.map((secret) => `v1=${hmac(secret, payload).toString('hex')}`),
  ].join(',');
}

/** Empty secrets never sign nor verify anything. */
function secretList(secrets: Secrets): string[] {
  return (typeof secrets === 'string' ? [secrets] : [...secrets]).filter((s) => s.length > 0);
}

function hmac(secret: string, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

function toBuffer(body: string | Buffer): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function unixSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}
