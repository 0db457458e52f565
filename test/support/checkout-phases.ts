// The phases a grocery checkout's history splits into (bench/lib/checkout-phases.ts), orderflow's
// and the bare workflow's alike: what the load generator's and bench:checkout's tests expect.

export const GROCERY_CHECKOUT_PHASES = [
  'API before the workflow',
  'handoff to a worker',
  'to the first local activity',
  'authorisePayment, next activation',
  'recordPaymentDecision, last activation, completion',
  'back to the client',
];
