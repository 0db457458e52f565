// Keeps a record of every provider callback about an order, accepted or refused and why,
// for support staff reading what a provider told us. Written after the answer is sent, so
// logging never slows or fails a callback.

import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Models } from '../../infra/db';
import { insertValidated } from '../../infra/insert-validated';

export function logProviderCallbacks(
  models: Pick<Models, 'CallbackLog'>,
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
      insertValidated(models.CallbackLog, {
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
      }).catch((err: unknown) => req.log.warn({ err }, 'provider callback not logged'));
    });
    next();
  };
}
