// Keeps a record of every provider callback about an order, accepted or refused and why,
// for support staff reading what a provider told us. Written after the answer is sent, so
// logging never slows or fails a callback, and in batches (createCallbackLog): support reads
// a callback a moment after it was answered.

import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Models } from '../../infra/db';
import { createBatchedInserts, type BatchedInserts } from '../../infra/batched-inserts';
import type { CallbackLogDocument } from '../../infra/models/audit';

export type CallbackLog = BatchedInserts<CallbackLogDocument>;

/** How long a logged callback waits for others to share its insert. */
const CALLBACK_LOG_WINDOW_MS = 500;

/** The process's callback log; flush it after the server has closed, before the database. */
export function createCallbackLog(
  models: Pick<Models, 'CallbackLog'>,
  logger: Logger,
): CallbackLog {
  return createBatchedInserts(models.CallbackLog, {
    windowMs: CALLBACK_LOG_WINDOW_MS,
    maxBatch: 200,
    onError: (err, records) => logger.warn({ err, records }, 'provider callbacks not logged'),
  });
}

export function logProviderCallbacks(
  log: CallbackLog,
  kind: 'confirmation' | 'events',
): RequestHandler {
  return (req, res, next) => {
    // Read now: once an error leaves the router, Express restores the app's (empty) params,
    // and refusals would go unrecorded.
    const { providerId, orderId } = req.params as { providerId?: string; orderId?: string };
    let answered: unknown;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      answered = body;
      return json(body);
    };
    res.once('finish', () => {
      if (!providerId || !orderId) return;
      const error = (answered as { error?: { code?: string; message?: string } } | undefined)
        ?.error;
      // The body is JSON only once the signature checked out; before that it is raw bytes.
      const body = Buffer.isBuffer(req.body) || req.body === undefined ? undefined : req.body;
      log.add({
        _id: randomUUID(),
        orderId: orderId.slice(0, 128),
        providerId: providerId.slice(0, 128),
        kind,
        method: req.method,
        requestId: String(req.id),
        ...(body !== undefined ? { body } : {}),
        status: res.statusCode,
        ...(error?.code ? { code: error.code, message: error.message } : {}),
        at: new Date(),
      });
    });
    next();
  };
}
