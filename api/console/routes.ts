// The support console (`/support/`): static files with no build step, served as they are from
// api/console/public/ (copied next to the compiled code by `npm run build`). No auth here: the
// page asks for a token and every API call it makes is checked by the API.

import path from 'node:path';
import express, { Router } from 'express';

/** Beside this file, in the sources (tsx, jest) and in dist/ alike; only that folder is served. */
const CONSOLE_DIR = path.resolve(__dirname, 'public');

// Only our own files: no inline script or style, no frames, nothing posted elsewhere.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function consoleRouter(directory: string = CONSOLE_DIR): Router {
  const router = Router();
  router.use('/support', (_req, res, next) => {
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // Revalidate every time (ETag): a deploy is picked up on the next load.
      'Cache-Control': 'no-cache',
    });
    next();
  });
  // express.static never lists a directory; `/support` is redirected to `/support/`.
  router.use(
    '/support',
    express.static(directory, { index: 'index.html', cacheControl: false, dotfiles: 'ignore' }),
  );
  return router;
}
