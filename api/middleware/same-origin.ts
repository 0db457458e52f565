// Refuses requests another site's page makes a browser send: a form posted from elsewhere could
// sign the browser in under the attacker's token (login CSRF) or out. Browsers say where a
// request comes from in `Origin` (every cross-origin POST) and `Sec-Fetch-Site`; a request
// with neither (curl, the CLI) passes. The API's own origin is what Express sees, so behind a
// TLS proxy TRUST_PROXY must trust it for `https://` origins to match.

import type { RequestHandler } from 'express';
import { ApiError } from '../errors';

/** `Sec-Fetch-Site` values of requests the user made on this site (or typed in themselves). */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/** A URL's origin in canonical form (lower-case host, no default port), if it has one. */
function canonicalOrigin(url: string): string | undefined {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Why a request with these headers comes from another site; undefined when it does not. */
export function crossSiteReason(
  headers: { origin?: string | undefined; secFetchSite?: string | undefined },
  ownOrigin: string | undefined,
): string | undefined {
  const { origin, secFetchSite } = headers;
  // Browsers send the origin serialised (lower-case, no default port, no path): exactly ours.
  if (origin !== undefined && origin !== canonicalOrigin(ownOrigin ?? ''))
    return `Origin ${JSON.stringify(origin)} is not this API's origin`;
  if (secFetchSite !== undefined && !OWN_FETCH_SITES.has(secFetchSite.trim().toLowerCase()))
    return `Sec-Fetch-Site ${JSON.stringify(secFetchSite)}: the request comes from another site`;
  return undefined;
}

/** 403 `cross_site_request` for a request another site's page sent. */
export const sameOriginOnly: RequestHandler = (req, _res, next) => {
  const reason = crossSiteReason(
    { origin: req.headers.origin, secFetchSite: req.get('sec-fetch-site') },
    req.host === undefined ? undefined : `${req.protocol}://${req.host}`,
  );
  if (reason !== undefined) throw new ApiError(403, 'cross_site_request', reason);
  next();
};
