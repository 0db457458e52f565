// Admission control: past CHECKOUT_MAX_IN_FLIGHT checkouts in progress, the API turns the next
// callers away at once (503 server_busy, Retry-After) before it touches anything, so their keys
// stay free and a retry places the order; the checkouts already in progress are unaffected.

import { randomUUID } from 'node:crypto';
import { attemptOrderId } from '../infra/models/idempotency';
import { useHarness } from './support/harness';
import { groceryOrder, placeOrder } from './support/orders';

const harness = useHarness({ env: { CHECKOUT_MAX_IN_FLIGHT: '2' }, providers: ['grocery'] });

test('past the limit a checkout is turned away at once, charges nothing, and its key stays free', async () => {
  // tok_slow keeps the gateway busy for about two seconds: both admitted checkouts are in flight.
  const admittedKeys = [randomUUID(), randomUUID()];
  // Promise.resolve sends each request now (a supertest request goes out when awaited).
  const admitted = admittedKeys.map((key) =>
    Promise.resolve(
      placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId, { token: 'tok_slow' }), {
        key,
      }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  const busyKey = randomUUID();
  const started = Date.now();
  const busy = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId), {
    key: busyKey,
  });
  const busyMs = Date.now() - started;

  expect(busy.status).toBe(503);
  expect(busy.body.error.code).toBe('server_busy');
  expect(busy.headers['retry-after']).toBe('1');
  expect(busyMs).toBeLessThan(1_000);
  // Nothing was started for it: no key record, so nothing could be charged.
  expect(await harness.database.models.IdempotencyRecord.countDocuments({})).toBe(2);

  for (const response of await Promise.all(admitted)) expect(response.status).toBe(201);

  const retried = await placeOrder(harness.apiUrl, groceryOrder(harness.store.providerId), {
    key: busyKey,
  });
  expect(retried.status).toBe(201);
  expect(retried.headers['idempotent-replayed']).toBeUndefined();
  const record = await harness.database.models.IdempotencyRecord.findOne({
    _id: { $regex: `:${busyKey}$` },
  }).lean();
  expect(retried.body.orderId).toBe(attemptOrderId(record!.orderId, 0));
  expect(await harness.ledgerOf(retried.body.orderId)).toEqual([['authorisation', 4148]]);

  const metrics = await fetch(`${harness.apiUrl}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/^orderflow_checkouts_shed_total 1$/m);
  expect(metrics).toMatch(/^orderflow_checkout_admission_limit 2$/m);
});
