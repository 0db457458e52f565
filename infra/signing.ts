// Provider message signatures, both ways: `Orderflow-Signature: t=<unix seconds>,v1=<hex>`
// where v1 is HMAC-SHA256(secret, "<t>.<raw body>"). Webhooks we send and callbacks we
// receive use the same scheme.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Orderflow-Signature';

export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

function hmac(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

export function signatureHeader(
  secret: string,
  rawBody: string | Buffer,
  now: Date = new Date(),
): string {
  const timestamp = Math.floor(now.getTime() / 1000);
  return `t=${timestamp},v1=${hmac(secret, timestamp, rawBody)}`;
}

export type SignatureCheck =
  { valid: true } | { valid: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/**
 * Checks a signature header against the raw body. Several v1 values are accepted so a
 * provider can sign with an old and a new secret while rotating.
 */
export function verifySignature(
  header: string | undefined,
  secret: string,
  rawBody: string | Buffer,
  toleranceSeconds: number,
  now: Date = new Date(),
): SignatureCheck {
  if (!header) return { valid: false, reason: 'missing' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value && /^\d+$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && value && /^[0-9a-f]{64}$/i.test(value))
      signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0)
    return { valid: false, reason: 'malformed' };
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds)
    return { valid: false, reason: 'stale' };
  const expected = Buffer.from(hmac(secret, timestamp, rawBody), 'hex');
  const matches = signatures.some((signature) =>
    timingSafeEqual(Buffer.from(signature, 'hex'), expected),
  );
  return matches ? { valid: true } : { valid: false, reason: 'mismatch' };
}
