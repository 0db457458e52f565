// Request bodies: one size limit for every route, JSON only where JSON is expected (a body the
// server would not read is refused rather than silently taken for "no body"), and no deeper
// than any request needs (deep nesting would overflow the stack of code that walks a body,
// such as checkout's fingerprint of it).

import { parse as parseContentType } from 'content-type';
import express, { type Request, type RequestHandler } from 'express';
import { ApiError } from '../errors';

/** The largest request body any route reads (a 200-line grocery order is a few kB). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Refuses a body whose Content-Length is over the limit before anything else runs: every
 * route, with or without a parser, authenticated or not. Bodies sent without a length
 * (chunked) are cut at the same limit by the parsers that read them.
 */
export const limitBodySize: RequestHandler = (req, _res, next) => {
  if (Number(req.headers['content-length']) > MAX_BODY_BYTES)
    throw new ApiError(413, 'payload_too_large', 'the request body is too large');
  next();
};

/** An order is five levels deep; nothing the API takes comes near this. */
const MAX_BODY_DEPTH = 32;

/** Refuses a parsed body nested deeper than MAX_BODY_DEPTH (walked without recursion). */
export function checkBodyDepth(body: unknown): void {
  const pending: [value: unknown, depth: number][] = [[body, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_BODY_DEPTH) {
      throw new ApiError(422, 'validation_failed', 'the request is not valid', [
        { path: '', message: `nested more than ${MAX_BODY_DEPTH} levels deep` },
      ]);
    }
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
}

const carriesBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;

/** The media types read as JSON, here and by `jsonBody`. */
const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * For routes that read the raw body themselves (signed provider callbacks): a body, when one is
 * sent, must be JSON in UTF-8, or the request is refused with 415 before the body is read. A
 * request without a body (a signed GET) passes whatever its headers say.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (!carriesBody(req)) return next();
  if (!req.is(JSON_TYPES)) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'the request body must be JSON sent with Content-Type: application/json',
    );
  }
  const charset = parseContentType(req.headers['content-type']!).parameters.charset;
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new ApiError(415, 'unsupported_encoding', 'the request body must be UTF-8');
  }
  next();
};

/**
 * Parses a JSON body (`application/json` or `application/*+json`); refuses any other body and
 * one nested too deep.
 */
export function jsonBody(): RequestHandler[] {
  const parse = express.json({
    limit: MAX_BODY_BYTES,
    strict: true,
    type: JSON_TYPES,
  });
  const onlyJson: RequestHandler = (req, _res, next) => {
    if (req.body === undefined && carriesBody(req)) {
      throw new ApiError(
        400,
        'malformed_json',
        'the request body must be JSON sent with Content-Type: application/json',
      );
    }
    checkBodyDepth(req.body);
    next();
  };
  return [parse, onlyJson];
}
