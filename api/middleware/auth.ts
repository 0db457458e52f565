// Bearer-token authentication for apps and support staff. Each token belongs to a named
// client with one role; routes say which roles may call them.

import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { tokenDigest, type ApiClient, type Role } from '../../infra/config';
import { ApiError } from '../errors';

/**
 * Who a presented token belongs to. Configuration keeps only the tokens' SHA-256: the presented
 * token's digest is compared with every known one in constant time (no early exit), which
 * leaks neither a token, nor its length, nor which entry matched.
 */
export function tokenOwner(clients: readonly ApiClient[]) {
  const known = clients.map((client) => ({
    client,
    digest: Buffer.from(client.tokenSha256, 'hex'),
  }));
  return (token: string): ApiClient | undefined => {
    const presented = Buffer.from(tokenDigest(token), 'hex');
    let owner: ApiClient | undefined;
    for (const { client, digest } of known) {
      if (timingSafeEqual(digest, presented)) owner = client;
    }
    return owner;
  };
}

/** The caller of a token, refused with 401 (unknown) or 403 (lacks every one of `roles`). */
export function authorise(
  ownerOf: (token: string) => ApiClient | undefined,
  token: string,
  roles: readonly Role[],
): ApiClient {
  const client = ownerOf(token);
  if (!client) throw new ApiError(401, 'unauthenticated', 'the bearer token is not valid');
  if (!roles.includes(client.role)) {
    throw new ApiError(
      403,
      'forbidden',
      `this endpoint needs one of the roles: ${roles.join(', ')}`,
    );
  }
  return client;
}

/** `Authorization: Bearer <token>` → the token, if the header has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

export function bearerAuth(clients: readonly ApiClient[]) {
  const ownerOf = tokenOwner(clients);

  return (...roles: Role[]): RequestHandler =>
    (req, res, next) => {
      const token = bearerToken(req.headers.authorization);
      if (!token) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
      res.locals.apiClient = authorise(ownerOf, token, roles);
      next();
    };
}

export function apiClientOf(res: Response): ApiClient {
  const client = res.locals.apiClient as ApiClient | undefined;
  if (!client) throw new Error('bearerAuth did not run for this route');
  return client;
}
