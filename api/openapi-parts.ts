// What every feature's OpenAPI registrations share: JSON answers, the error answers by status,
// a JSON request body, and the bearer-token security requirement (openapi.ts registers its
// scheme; the schemes only one feature uses are registered by that feature).

import type { z } from 'zod';
import { ErrorSchema } from './schemas';

export const BEARER_AUTH = 'bearerAuth';
/** The operation takes an API token (`Authorization: Bearer …`). */
export const bearerAuth = [{ [BEARER_AUTH]: [] }];

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = (schema: z.ZodType) => ({
  body: { content: { 'application/json': { schema } } },
});

const errorDescriptions: Record<number, string> = {
  400: 'malformed request (bad JSON, missing header)',
  401: 'missing or bad credentials or signature',
  402: 'payment declined',
  403: 'the token lacks the role',
  404: 'unknown order or provider',
  409: "not allowed in the order's current state, or an idempotency conflict",
  415: 'a body not sent as JSON (`Content-Type: application/json`, UTF-8): `unsupported_media_type`, or `unsupported_encoding` for another charset; nothing changes',
  422: 'validation failed; details name the field paths',
  503: 'a dependency is down (`dependency_unavailable`), or the server shut down before answering (`shutting_down`, see Retry-After)',
};

/** The error shape as the answer for each of `statuses`, with the usual description. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [status, json(ErrorSchema, errorDescriptions[status] ?? 'error')]),
  );
