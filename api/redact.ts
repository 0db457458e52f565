// What a raw history never shows, to support staff or admins: payment tokens. A card-on-file
// token can charge the customer again, and nobody supporting an order needs it; the timeline
// never shows it, and the raw events (`?format=raw`) have it replaced in their decoded
// payloads before they leave the API. The codec endpoint (the Temporal Web UI, the CLI)
// replaces it the same way in what it decodes for support; only admins get whole payloads.

import type { Payload } from '@temporalio/common';
import { payloadsWithin } from '../infra/codec';

export const REDACTED = '[redacted]';

/**
 * Keys whose string values are secrets wherever they appear in a payload's JSON: the order
 * request's `paymentToken` (the workflow's input) and the gateway calls' `token`.
 */
const SECRET_KEYS = new Set(['paymentToken', 'token']);

const utf8 = { decoder: new TextDecoder(), encoder: new TextEncoder() };

/** Replaces, in place, every secret in the JSON payloads found anywhere in `root`. */
export function redactSecretsWithin(root: unknown): void {
  for (const payload of payloadsWithin(root)) redactPayload(payload);
}

function redactPayload(payload: Payload): void {
  const encoding = payload.metadata?.encoding;
  if (!encoding || utf8.decoder.decode(encoding) !== 'json/plain' || !payload.data) return;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decoder.decode(payload.data));
  } catch {
    return;
  }
  if (redact(value)) payload.data = utf8.encoder.encode(JSON.stringify(value));
}

/** Redacts `value` in place; answers whether anything was redacted. */
function redact(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  let changed = false;
  for (const [key, child] of Object.entries(value)) {
    if (SECRET_KEYS.has(key) && typeof child === 'string' && child !== REDACTED) {
      (value as Record<string, unknown>)[key] = REDACTED;
      changed = true;
    } else if (redact(child)) changed = true;
  }
  return changed;
}
