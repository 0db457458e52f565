// Provider callbacks: reads the raw body, checks `Orderflow-Signature` (HMAC over
// "<t>.<METHOD>.<path and query>.<raw body>", see infra/signing.ts) with the provider's
// secrets (all valid ones while a rotation is in progress) and the replay window, and only
// then parses the JSON. Nothing runs for a request that fails here. The path and query are
// the request target exactly as sent (`req.originalUrl`), so a signature made for one order
// or endpoint is worthless on another. An inactive provider's callbacks still count: its
// orders in flight must finish. An unknown provider is answered exactly like a bad signature,
// so unsigned callers cannot probe which provider ids exist.

import express, { type RequestHandler, type Response } from 'express';
import type { ProviderDocument } from '../../infra/models/provider';
import type { ProviderDirectory, ProviderEntry } from '../../infra/provider-directory';
import { SIGNATURE_HEADER, verifyCallbackSignature } from '../../infra/signing';
import { ApiError } from '../errors';
import { checkBodyDepth, MAX_BODY_BYTES } from './body';
import { ProviderParamsSchema } from '../schemas';

const signatureProblems = {
  missing: `the ${SIGNATURE_HEADER} header is missing`,
  malformed: `the ${SIGNATURE_HEADER} header is not t=<unix seconds>,v1=<hex>[,v1=<hex>...]`,
  stale: 'the signature timestamp is outside the allowed window',
  mismatch: 'the signature does not match the method, path and query, and body of this request',
} as const;

export function verifyProviderSignature(
  providers: ProviderDirectory,
  toleranceSeconds: number,
): RequestHandler[] {
  const readRaw = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  const verify: RequestHandler = async (req, res, next) => {
    const header = req.get(SIGNATURE_HEADER);
    if (!header) throw new ApiError(401, 'invalid_signature', signatureProblems.missing);
    const { providerId } = ProviderParamsSchema.parse(req.params);
    const rawBody: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const now = new Date();
    // No secrets for an unknown provider: its callbacks fail exactly as a wrong signature does.
    const checkWith = (entry: ProviderEntry | null) =>
      verifyCallbackSignature(
        header,
        entry?.secrets.validAt(now).map((s) => s.secret) ?? [],
        { method: req.method, target: req.originalUrl, rawBody },
        toleranceSeconds,
        now,
      );
    let entry = await providers.lookup(providerId);
    let check = checkWith(entry);
    // The kept secrets may predate a rotation made through another process: read them again
    // (an unknown provider was just read: nulls are not kept).
    if (!check.valid && check.reason === 'mismatch' && entry) {
      entry = await providers.lookup(providerId, { fresh: true });
      check = checkWith(entry);
    }
    if (!check.valid) {
      req.log.warn({ providerId, reason: check.reason }, 'provider signature rejected');
      throw new ApiError(401, 'invalid_signature', signatureProblems[check.reason]);
    }
    try {
      req.body = rawBody.length > 0 ? JSON.parse(rawBody.toString('utf8')) : undefined;
    } catch {
      throw new ApiError(400, 'malformed_json', 'the request body is not valid JSON');
    }
    checkBodyDepth(req.body);
    res.locals.provider = entry?.provider;
    next();
  };
  return [readRaw, verify];
}

export function providerOf(res: Response): ProviderDocument {
  const provider = res.locals.provider as ProviderDocument | undefined;
  if (!provider) throw new Error('verifyProviderSignature did not run for this route');
  return provider;
}
