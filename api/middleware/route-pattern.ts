// The route a request matched, as a pattern (for metric labels and span names: never the raw
// URL, whose ids would make every series and span name unique).

import type { Request } from 'express';

/**
 * The full pattern of the route that answered, e.g. `/v1/orders/:orderId`. Express empties
 * `req.baseUrl` when an error leaves a router, so then the mount path is what is left of the
 * URL once the route's own segments are cut off.
 */
export function routePattern(req: Request): string | undefined {
  const route: unknown = req.route?.path;
  if (typeof route !== 'string') return undefined;
  const own = route === '/' ? '' : route;
  if (req.baseUrl) return `${req.baseUrl}${own}` || '/';
  const segments = req.path.split('/').filter(Boolean);
  const mount = segments.slice(0, segments.length - own.split('/').filter(Boolean).length);
  return `${mount.length > 0 ? `/${mount.join('/')}` : ''}${own}` || '/';
}
