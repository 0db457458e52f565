// The order's status machine, in one place: which status may follow which, and what each
// provider event does to the status. The workflow moves the order only through these; the
// verticals say what happened (dispatched, an event arrived), never which status follows.

import type { OrderStatus, ProviderEventType } from './order';

/** The statuses each status may move to (staying put is always allowed). */
export const STATUS_MOVES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending_payment: ['awaiting_confirmation', 'payment_declined'],
  // A standing "nothing was charged" answer from checkout ends it declined, after the hold.
  awaiting_confirmation: ['confirmed', 'rejected', 'expired', 'cancelled', 'payment_declined'],
  confirmed: ['dispatching', 'cancelled'],
  dispatching: ['in_progress', 'completed', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: [],
  payment_declined: [],
  rejected: [],
  expired: [],
  cancelled: [],
};

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return from === to || STATUS_MOVES[from].includes(to);
}

export interface EventEffect {
  /** The statuses in which the event applies; earlier it is kept until the order gets there. */
  from: readonly OrderStatus[];
  /** The status the event moves the order to... */
  to?: OrderStatus;
  /** ...or, without `to`, the workflow settles it (a no-show refunds) and answers after. */
}

/**
 * What each provider event does. A store that forgets to report the pickup may still report
 * the delivery; a hotel's check-out needs no check-in; a consultation completes only once it
 * has started.
 */
export const EVENT_EFFECTS: Readonly<Record<ProviderEventType, EventEffect>> = {
  picked_up: { from: ['dispatching'], to: 'in_progress' },
  delivered: { from: ['dispatching', 'in_progress'], to: 'completed' },
  checked_in: { from: ['dispatching'], to: 'in_progress' },
  checked_out: { from: ['dispatching', 'in_progress'], to: 'completed' },
  consultation_started: { from: ['dispatching'], to: 'in_progress' },
  consultation_completed: { from: ['in_progress'], to: 'completed' },
  no_show: { from: ['dispatching'] },
};
