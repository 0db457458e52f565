// Checkout's "nothing was charged" stays true. When checkout stops waiting it answers 503
// checkout_timeout, and the order must then never hold or take money: not when the workers
// come back inside the payment window, and not when the authorisation was already at a slow
// gateway when checkout gave up. Each case has its own harness, so one failing leaves the
// others' workers as they expect them.

import type { UsedHarness } from './support/harness';
import { orderWorkflowId } from '../workflows/messages';
import { answerReserveMs, requestFingerprint } from '../api/checkout';
import { serverTimingMs } from '../api/middleware/server-timing';
import { recordHistory } from './support/histories';
import { useHarness } from './support/harness';
import { getOrder, groceryOrder, GROCERY_TOTAL, placeOrder } from './support/orders';

const finalOrder = (harness: UsedHarness, orderId: string) =>
  harness.temporal.workflow.getHandle(orderWorkflowId(orderId)).result();

describe('with every worker down', () => {
  // Long enough that the fifth of it checkout keeps back to record its answer (800 ms) outlasts
  // an insert on loaded CI cores (at 1 s and at 1.5 s, 200 and 300 ms each once did not:
  // checkout_outcome_unknown).
  const WAIT_MS = 4_000;
  const harness = useHarness({
    withWorker: false,
    env: { CHECKOUT_WAIT_SECONDS: String(WAIT_MS / 1000), CHECKOUT_PAYMENT_WINDOW_SECONDS: '60' },
  });

  test('workers down across the wait: 503, and when they return within the window nothing is held', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const body = groceryOrder(store.providerId);

    const answer = await placeOrder(harness.apiUrl, body, { key: 'workers-down' });
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('checkout_timeout');
    // The API's own time, as callers can read it: it waited (less the reserve for recording its
    // answer), and not much past its deadline (a second of slack for timers on loaded cores).
    const tookMs = serverTimingMs(answer.headers['server-timing']);
    expect(tookMs).toBeGreaterThanOrEqual(WAIT_MS - answerReserveMs(WAIT_MS));
    expect(tookMs).toBeLessThanOrEqual(WAIT_MS + 1_000);
    const orderId: string = answer.body.error.details[0].orderId;

    await harness.startWorker(); // back well inside the 60 s payment window
    expect(await finalOrder(harness, orderId)).toMatchObject({
      status: 'payment_declined',
      failure: { code: 'checkout_timeout' },
      amounts: { authorised: 0, captured: 0 },
    });
    expect(await harness.ledgerOf(orderId)).toEqual([]);
    expect((await getOrder(harness.apiUrl, orderId)).body.status).toBe('payment_declined');
    await recordHistory(harness.temporal, orderId, 'grocery-workers-back-after-checkout-gave-up');

    // The app may try again with the same key: a fresh order, paid for once.
    const retry = await placeOrder(harness.apiUrl, body, { key: 'workers-down' });
    expect(retry.status).toBe(201);
    expect(retry.body.orderId).not.toBe(orderId);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await harness.ledgerOf(retry.body.orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
  });
});

describe('with a worker running', () => {
  // The sandbox's tok_slow held past checkout's whole wait, so the gateway answers after
  // checkout has given up and recorded its answer (with the same 800 ms reserve as above).
  const WAIT_MS = 4_000;
  const harness = useHarness({
    env: {
      CHECKOUT_WAIT_SECONDS: String(WAIT_MS / 1000),
      CHECKOUT_PAYMENT_WINDOW_SECONDS: '60',
      SANDBOX_SLOW_PAYMENT_MS: String(WAIT_MS + 2_000),
    },
  });

  test('a slow gateway across the wait: the hold it makes after checkout gave up is released, nothing captured', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const answer = await placeOrder(
      harness.apiUrl,
      groceryOrder(store.providerId, { token: 'tok_slow' }),
    );
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe('checkout_timeout');
    const orderId: string = answer.body.error.details[0].orderId;

    const order = await finalOrder(harness, orderId);
    expect(order).toMatchObject({
      status: 'payment_declined',
      failure: { code: 'checkout_timeout' },
      amounts: { captured: 0 },
    });
    expect(order.amounts.released).toBe(order.amounts.authorised);
    // The gateway answered after checkout gave up: its hold is voided at once, never captured.
    expect(await harness.ledgerOf(orderId)).toEqual([
      ['authorisation', GROCERY_TOTAL],
      ['void', GROCERY_TOTAL],
    ]);
    await recordHistory(harness.temporal, orderId, 'grocery-checkout-gave-up');
  });

  test('a retry that starts the order itself is not marked as a replay', async () => {
    const store = await harness.registerProvider({ vertical: 'grocery' });
    const body = groceryOrder(store.providerId);
    // A first call claimed the key and died before starting the order.
    await harness.database.models.IdempotencyRecord.create({
      _id: 'checkout:died-after-claiming',
      requestHash: requestFingerprint(body),
      orderId: 'ord_claimed_by_a_dead_call',
    });

    const first = await placeOrder(harness.apiUrl, body, { key: 'died-after-claiming' });
    expect(first.status).toBe(201);
    expect(first.body.orderId).toBe('ord_claimed_by_a_dead_call');
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const second = await placeOrder(harness.apiUrl, body, { key: 'died-after-claiming' });
    expect(second.status).toBe(201);
    expect(second.body.orderId).toBe(first.body.orderId);
    expect(second.headers['idempotent-replayed']).toBe('true');
  });
});
