// A fresh authorisation in the sandbox gateway, for tests of the gateway itself.

import { randomUUID } from 'node:crypto';
import type { PaymentGateway } from '../../infra/payments/gateway';

/** Authorises `amount` for a new order id with `token`; answers the order id and the authorisation. */
export async function authorisedPayment(
  gateway: PaymentGateway,
  amount = 10_000,
  token = 'tok_ok',
) {
  const orderId = `ord_${randomUUID()}`;
  const auth = await gateway.authorise({
    idempotencyKey: `${orderId}:authorise`,
    orderId,
    amount,
    currency: 'CNY',
    token,
  });
  return { orderId, ...auth };
}
