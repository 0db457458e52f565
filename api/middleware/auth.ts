// Bearer-token authentication for apps and support staff. Each token belongs to a named
// client with one role; routes say which roles may call them.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiClient, Role } from '../../infra/config';
import { ApiError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function bearerAuth(clients: readonly ApiClient[]) {
  // Comparing fixed-length digests in constant time leaks neither tokens nor their lengths.
  const known = clients.map((client) => ({ client, digest: digest(client.token) }));

  return (...roles: Role[]): RequestHandler =>
    (req, res, next) => {
      const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (!match) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <token>');
      const presented = digest(match[1]!);
      const entry = known.find((k) => timingSafeEqual(k.digest, presented));
      if (!entry) throw new ApiError(401, 'unauthenticated', 'the bearer token is not valid');
      if (!roles.includes(entry.client.role)) {
        throw new ApiError(
          403,
          'forbidden',
          `this endpoint needs one of the roles: ${roles.join(', ')}`,
        );
      }
      res.locals.apiClient = entry.client;
      next();
    };
}

export function apiClientOf(res: Response): ApiClient {
  const client = res.locals.apiClient as ApiClient | undefined;
  if (!client) throw new Error('bearerAuth did not run for this route');
  return client;
}
