// The bare workflow's activities: the same names as the order workflow's, no bodies. What
// the bare run measures is Temporal's own cost of an order's shape, nothing of ours.

export function createBareActivities() {
  const nothing = async (): Promise<void> => undefined;
  return {
    authorisePayment: nothing,
    notifyProvider: nothing,
    capturePayment: nothing,
    assignCourier: nothing,
    saveOrderSnapshot: nothing,
    recordPaymentDecision: nothing,
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;
