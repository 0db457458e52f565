import { ORDER_STATUSES, PROVIDER_EVENT_TYPES, TERMINAL_STATUSES } from './order';
import { canMove, EVENT_EFFECTS, STATUS_MOVES } from './order-status';

test.each([
  ['pending_payment', 'awaiting_confirmation', true],
  ['awaiting_confirmation', 'confirmed', true],
  ['awaiting_confirmation', 'payment_declined', true],
  ['confirmed', 'dispatching', true],
  ['dispatching', 'completed', true],
  ['in_progress', 'cancelled', true],
  ['completed', 'completed', true],
  ['pending_payment', 'confirmed', false],
  ['confirmed', 'completed', false],
  ['in_progress', 'dispatching', false],
  ['completed', 'cancelled', false],
  ['cancelled', 'in_progress', false],
] as const)('%s → %s: %s', (from, to, allowed) => {
  expect(canMove(from, to)).toBe(allowed);
});

test('closed statuses lead nowhere, and every open one can be cancelled or closed', () => {
  for (const status of ORDER_STATUSES) {
    if (TERMINAL_STATUSES.has(status)) expect(STATUS_MOVES[status]).toEqual([]);
    else expect(STATUS_MOVES[status].some((to) => TERMINAL_STATUSES.has(to))).toBe(true);
  }
});

test('every event applies only in open statuses, and moves the order only where it may go', () => {
  for (const type of PROVIDER_EVENT_TYPES) {
    const effect = EVENT_EFFECTS[type];
    for (const from of effect.from) {
      expect(TERMINAL_STATUSES.has(from)).toBe(false);
      if (effect.to) expect(canMove(from, effect.to)).toBe(true);
    }
  }
});
