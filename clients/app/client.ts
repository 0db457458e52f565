// The app's side of the API as an app team would write it: openapi-fetch over the types
// openapi-typescript generates from /openapi.json (schema.d.ts, `npm run generate:client`).
// Paths, parameters, bodies and answers, errors included, are checked by the compiler.

import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type CreateOrderRequest = components['schemas']['CreateOrderRequest'];

/** A client of the whole API that sends `token` as its bearer token on every call. */
export function createOrderflowClient(baseUrl: string, token: string) {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}
