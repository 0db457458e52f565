// Security headers on every answer the API gives: JSON is never rendered, framed, cached or
// sniffed into something else. The support console (console/routes.ts, mounted later) sets
// its own Content-Security-Policy and Cache-Control over these for its pages.
// Strict-Transport-Security is left to the TLS-terminating proxy in front of the API: the API
// itself speaks plain HTTP, where browsers ignore the header, and only the proxy knows whether
// every host name it serves is HTTPS-only.

import type { RequestHandler } from 'express';

/** The headers, also written by hand on the answers Node's HTTP parser rejects (server.ts). */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
} as const;

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set(SECURITY_HEADERS);
  next();
};
