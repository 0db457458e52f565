// What a provider's event is to the order, before anything about the order's progress: a
// repeat (harmless), a late fact (it happened before the order completed, and arrives after:
// recorded, changing nothing), or news. An event that cannot apply to the order at all is
// refused. The order's workflow and its after-sales workflow both sort events this way.

import type { OrderSnapshot, ProviderEvent } from '../domain/order';
import { EVENT_EFFECTS } from '../domain/order-status';
import { eventScheduleProblem } from '../domain/schedule';
import { eventOutOfSchedule, invalidRequest } from './errors';
import type { VerticalFlow } from './verticals/vertical';

export type EventKind = 'repeat' | 'late_fact' | 'news';

export function kindOfEvent(
  order: Readonly<OrderSnapshot>,
  vertical: VerticalFlow,
  event: ProviderEvent,
): EventKind {
  if (order.dispatch.events.some((recorded) => recorded.type === event.type)) return 'repeat';
  if (!vertical.events.includes(event.type)) {
    throw invalidRequest(`${event.type} does not apply to ${order.vertical} orders`);
  }
  const outOfSchedule = eventScheduleProblem(order, event);
  if (outOfSchedule) throw eventOutOfSchedule(outOfSchedule);
  const lateFact =
    order.status === 'completed' &&
    EVENT_EFFECTS[event.type].to !== undefined &&
    Date.parse(event.at) <= Date.parse(order.closedAt ?? order.updatedAt);
  return lateFact ? 'late_fact' : 'news';
}
