import express, { type Request } from 'express';
import request from 'supertest';
import { routePattern } from './route-pattern';

/** An app whose routers answer or fail, recording the pattern once each response is done. */
function app(seen: (string | undefined)[]) {
  const orders = express.Router();
  orders.post('/', (_req, res) => void res.status(201).end());
  orders.get('/:orderId', (req) => {
    if (req.params.orderId === 'missing') throw new Error('not found');
  });
  orders.post('/:orderId/cancel', () => {
    throw new Error('refused');
  });
  orders.get('/:orderId/ok', (_req, res) => void res.end());
  const application = express();
  application.use((req, res, next) => {
    res.once('close', () => seen.push(routePattern(req as Request)));
    next();
  });
  application.get('/healthz', (_req, res) => void res.end());
  application.use('/v1/orders', orders);
  application.use(
    ((_error, _req, res, _next) => void res.status(500).end()) as express.ErrorRequestHandler,
  );
  return application;
}

test.each([
  ['post', '/v1/orders', '/v1/orders'],
  ['get', '/v1/orders/ord_1/ok', '/v1/orders/:orderId/ok'],
  ['get', '/v1/orders/missing', '/v1/orders/:orderId'],
  ['post', '/v1/orders/ord_1/cancel', '/v1/orders/:orderId/cancel'],
  ['get', '/healthz', '/healthz'],
  ['get', '/nowhere', undefined],
] as const)('%s %s is %s, answered or failed', async (method, url, pattern) => {
  const seen: (string | undefined)[] = [];
  await request(app(seen))[method](url);
  await new Promise((resolve) => setImmediate(resolve));
  expect(seen).toEqual([pattern]);
});
