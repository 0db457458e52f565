// What a provider's callback may not say: a confirmation naming one item twice, and events
// dated far from now or before the order existed. Each is 422 and changes nothing.

import { useHarnessWithStore } from './support/harness';
import { GROCERY_TOTAL, getOrder, groceryOrder, placeOrder, waitForStatus } from './support/orders';

const suite = useHarnessWithStore();

async function newOrder(): Promise<string> {
  const response = await placeOrder(suite.harness.apiUrl, groceryOrder(suite.store.providerId));
  expect(response.status).toBe(201);
  return response.body.orderId;
}

test('a confirmation naming the same item twice is 422 and the order still awaits an answer', async () => {
  const orderId = await newOrder();
  const response = await suite.store.client.confirm(orderId, {
    decision: 'accept',
    items: [
      { sku: 'apple', availableQuantity: 0 },
      { sku: 'apple', availableQuantity: 2 },
    ],
  });
  expect(response.status).toBe(422);
  expect(response.body.error.code).toBe('validation_failed');
  expect(response.body.error.details).toEqual([
    expect.objectContaining({ path: 'items', message: 'each sku may appear once' }),
  ]);
  expect((await getOrder(suite.harness.apiUrl, orderId)).body.status).toBe('awaiting_confirmation');
  expect(await suite.harness.ledgerOf(orderId)).toEqual([['authorisation', GROCERY_TOTAL]]);
});

describe('event times', () => {
  let orderId: string;

  beforeAll(async () => {
    orderId = await newOrder();
    expect((await suite.store.client.confirm(orderId, { decision: 'accept' })).status).toBe(200);
    await waitForStatus(suite.harness.apiUrl, orderId, 'dispatching');
  });

  test.each([
    ['the far future', '9999-12-31T00:00:00Z'],
    ['an hour ahead', () => new Date(Date.now() + 3_600_000).toISOString()],
    ['years ago', '2001-01-01T00:00:00Z'],
    ['before the order was placed', () => new Date(Date.now() - 86_400_000).toISOString()],
  ])('an event dated %s is 422 and changes nothing', async (_case, at) => {
    const response = await suite.store.client.reportEvent(
      orderId,
      'picked_up',
      typeof at === 'function' ? at() : at,
    );
    expect(response.status).toBe(422);
    expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'at' })]);
    const order = (await getOrder(suite.harness.apiUrl, orderId)).body;
    expect(order.status).toBe('dispatching');
    expect(order.dispatch.events).toEqual([]);
  });

  test('an event dated now, with a little clock skew, is taken', async () => {
    const response = await suite.store.client.reportEvent(
      orderId,
      'picked_up',
      new Date(Date.now() + 60_000).toISOString(),
    );
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('in_progress');
  });
});
