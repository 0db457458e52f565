// What each of the order workflow's durable timers waits for. Every timer carries its purpose
// as its summary (Temporal's user metadata: the Web UI shows it, and so does support's
// timeline), so a reader of the history never has to guess from where the story is.

import { condition, sleep } from '@temporalio/workflow';

export const TIMER_PURPOSES = [
  'confirmation_deadline',
  'delivery_overdue',
  'check_out_time',
  'video_session_time',
  'no_show_grace',
  'consultation_end',
  'settlement_attention',
  'refund_window',
  'after_sales_idle',
] as const;
export type TimerPurpose = (typeof TIMER_PURPOSES)[number];

export function isTimerPurpose(value: unknown): value is TimerPurpose {
  return (TIMER_PURPOSES as readonly unknown[]).includes(value);
}

/** Sleeps `ms` on a timer named for its purpose. */
export function sleepFor(purpose: TimerPurpose, ms: number): Promise<void> {
  return sleep(ms, { summary: purpose });
}

/** Waits until `fn` holds or `ms` pass, on a timer named for its purpose; true if it held. */
export function conditionUntil(
  purpose: TimerPurpose,
  fn: () => boolean,
  ms: number,
): Promise<boolean> {
  return condition(fn, ms, { summary: purpose });
}
