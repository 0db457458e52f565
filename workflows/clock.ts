// Time in workflow code. Inside Temporal's workflow sandbox, Date is replay-safe: it reads
// the time of the current workflow task from history, never the machine's clock.

export function workflowNow(): Date {
  return new Date();
}

export function workflowNowIso(): string {
  return workflowNow().toISOString();
}
