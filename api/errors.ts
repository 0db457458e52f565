// HTTP errors: every failure becomes `{error: {code, message, details}}` here and only here.
// Routes throw ApiError or let typed failures (zod, Temporal, body parsing) propagate.

import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import {
  ServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import mongoose from 'mongoose';
import { FailureTypes } from '../workflows/messages';
import { DeadlinePassed } from './deadline';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown[],
    /** Response headers that go with it, e.g. `Retry-After`. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}

/** How workflow Update rejections read over HTTP. */
const updateFailureStatus: Record<string, { status: number; code: string }> = {
  [FailureTypes.invalidState]: { status: 409, code: 'invalid_order_state' },
  [FailureTypes.invalidRequest]: { status: 422, code: 'invalid_request' },
  [FailureTypes.notCancellable]: { status: 409, code: 'not_cancellable' },
  [FailureTypes.refundNotAllowed]: { status: 409, code: 'refund_not_allowed' },
  [FailureTypes.idempotencyConflict]: { status: 409, code: 'idempotency_key_reused' },
  [FailureTypes.eventOutOfSchedule]: { status: 422, code: 'event_out_of_schedule' },
  [FailureTypes.orderRerouted]: { status: 409, code: 'order_rerouted' },
  [FailureTypes.notProvidersOrder]: { status: 404, code: 'order_not_found' },
};

function fromUpdateFailure(error: WorkflowUpdateFailedError): ApiError | undefined {
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.type) return undefined;
  const mapped = updateFailureStatus[cause.type];
  return (
    mapped &&
    new ApiError(
      mapped.status,
      mapped.code,
      cause.message,
      cause.details ? [...cause.details] : undefined,
    )
  );
}

function fromZod(error: ZodError): ApiError {
  return new ApiError(
    422,
    'validation_failed',
    'the request is not valid',
    error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

/** body-parser's errors carry a `type`; they are the client's fault, never a 500. */
function fromBodyParser(error: { type?: string; status?: number }): ApiError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new ApiError(413, 'payload_too_large', 'the request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(
        415,
        'unsupported_encoding',
        'the request body encoding is not supported',
      );
    case 'request.size.invalid':
      return new ApiError(
        400,
        'malformed_body',
        'the request body is not as long as its Content-Length says',
      );
    case 'request.aborted':
      return new ApiError(400, 'request_aborted', 'the request was aborted before its body ended');
    default:
      return undefined;
  }
}

/**
 * The status a client error carries (http-errors, body-parser, raw-body, the router's
 * URIError all set `status`/`statusCode`), when it is a 4xx meant to be shown to the client.
 */
function clientErrorStatus(error: unknown): number | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { status, statusCode, expose } = error as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
  };
  const value = typeof status === 'number' ? status : statusCode;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 400 || value > 499)
    return undefined;
  return expose === false ? undefined : value;
}

/** Errors of a decompression stream (zlib: `Z_DATA_ERROR`…, brotli: `ERR__ERROR_FORMAT_…`). */
function isDecompressionError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('Z_') || code.startsWith('ERR__ERROR_') || code.startsWith('ERR_BROTLI'))
  );
}

/** `Request Header Fields Too Large` → `request_header_fields_too_large`. */
function statusCodeName(status: number): string {
  return (STATUS_CODES[status] ?? 'client error')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** Any other error that says it is the client's fault (a 4xx): a clear answer, never a 500. */
function fromClientError(error: unknown): ApiError | undefined {
  const status = clientErrorStatus(error);
  if (status === undefined) return undefined;
  if (error instanceof URIError) {
    return new ApiError(
      400,
      'malformed_path',
      'the request path contains a malformed percent-encoding',
    );
  }
  if (isDecompressionError(error as object)) {
    return new ApiError(
      400,
      'malformed_body',
      'the request body could not be decoded with its Content-Encoding',
    );
  }
  const reason = STATUS_CODES[status];
  return new ApiError(
    status,
    statusCodeName(status),
    reason ? `the request was rejected: ${reason}` : 'the request was rejected',
  );
}

function isDependencyDown(error: unknown): boolean {
  return (
    error instanceof ServiceError ||
    // A dependency that did not answer within the request's own deadline (api/deadline.ts).
    error instanceof DeadlinePassed ||
    error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    error instanceof mongoose.Error.MongooseServerSelectionError ||
    // The driver's network family (pool cleared, timeouts, selection...), by class not name.
    error instanceof mongoose.mongo.MongoNetworkError ||
    error instanceof mongoose.mongo.MongoServerSelectionError ||
    error instanceof mongoose.mongo.MongoNotConnectedError ||
    error instanceof mongoose.mongo.MongoNetworkTimeoutError ||
    (error instanceof Error &&
      (['MongoNetworkError', 'MongoServerSelectionError', 'MongoNotConnectedError'].includes(
        error.name,
      ) ||
        // FerretDB on SQLite under load: the database file is locked for a while.
        /SQLITE_BUSY|database is locked/.test(error.message))) ||
    isBrokenConnection(error)
  );
}

/**
 * A Node socket error from a dependency's connection: the database driver lets one through
 * as it is when the server goes away mid-write (EPIPE "this socket has been ended by the other
 * party", seen during the fault suite's database outage). A caller's own broken connection
 * never reaches a route's handler, so in one it always means a dependency.
 */
function isBrokenConnection(error: unknown): boolean {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return code !== undefined && BROKEN_CONNECTION_CODES.has(code);
}
const BROKEN_CONNECTION_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return fromZod(error);
  if (error instanceof WorkflowUpdateFailedError) return fromUpdateFailure(error);
  if (error instanceof WorkflowNotFoundError)
    return new ApiError(404, 'order_not_found', 'no such order');
  if (error && typeof error === 'object' && 'type' in error) {
    const parsed = fromBodyParser(error as { type?: string });
    if (parsed) return parsed;
  }
  const rejected = fromClientError(error);
  if (rejected) return rejected;
  if (isDependencyDown(error)) {
    return new ApiError(
      503,
      'dependency_unavailable',
      'a service orderflow depends on is unavailable; retry later',
    );
  }
  return undefined;
}

/** The error shape every failure is answered with. */
export function errorBody(error: ApiError) {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
    },
  };
}

/** Seconds a caller is told to wait before retrying a request a shutdown did not finish. */
const SHUTTING_DOWN_RETRY_AFTER_SECONDS = 1;

/**
 * The answer to a request still running when the server's shutdown grace ends (api/server.ts):
 * a request with an Idempotency-Key (checkout, refunds) is told that the same key stands for
 * the same operation, so its retry learns the outcome instead of starting another.
 */
export function shuttingDownError(req: IncomingMessage): ApiError {
  const keyed = req.headers['idempotency-key'] !== undefined;
  return new ApiError(
    503,
    'shutting_down',
    keyed
      ? 'the server shut down before this request was answered; retry shortly with the same Idempotency-Key: it stands for the same request, so nothing is done twice'
      : 'the server shut down before this request was answered (it may have taken effect); retry shortly',
    undefined,
    { 'Retry-After': String(SHUTTING_DOWN_RETRY_AFTER_SECONDS) },
  );
}

/** Responses the shutdown answered while their handler still ran. */
const answeredAtShutdown = new WeakSet<ServerResponse>();

export function markAnsweredAtShutdown(res: ServerResponse): void {
  answeredAtShutdown.add(res);
}

export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) {
    if (answeredAtShutdown.has(res)) {
      // Its caller already has the 503 shutting_down; what the handler wanted to say is moot.
      req.log.info({ err: error }, 'request finished after the shutdown answered it');
      return;
    }
    // Too late for a JSON error: a half-sent response is cut rather than left hanging.
    req.log.error({ err: error }, 'error after the response started');
    if (!res.writableEnded) res.destroy();
    return;
  }
  const apiError = toApiError(error);
  if (apiError) {
    if (apiError.status >= 500) req.log.warn({ err: error }, apiError.message);
    if (apiError.headers) res.set(apiError.headers);
    res.status(apiError.status).json(errorBody(apiError));
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  res
    .status(500)
    .json({ error: { code: 'internal_error', message: 'something went wrong on our side' } });
};

export const notFoundHandler = (): never => {
  throw new ApiError(404, 'route_not_found', 'no such endpoint');
};
