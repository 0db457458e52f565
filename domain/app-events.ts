// App events: what an order's publication tells the app's backend (../shared/API.md, "App
// events"). Pure: the workflow's publisher compares what it published last with what it
// publishes now, and the worker turns the result into signed deliveries.

import type { OrderSnapshot } from './order';
import { toOrderView, type OrderView } from './order-view';

export const APP_EVENT_TYPES = [
  'order.status_changed',
  'order.refunded',
  'order.rerouted',
] as const;
export type AppEventType = (typeof APP_EVENT_TYPES)[number];

/** What the app has been told of an order: enough to see what a newer snapshot adds. */
export interface AppEventMarks {
  status: OrderSnapshot['status'];
  /** Refunds that reached `refunded`. */
  refunded: number;
  /** Earlier offers of the order to other providers (re-routes). */
  rerouted: number;
}

export function appEventMarks(snapshot: OrderSnapshot): AppEventMarks {
  return {
    status: snapshot.status,
    refunded: snapshot.refunds?.filter((refund) => refund.status === 'refunded').length ?? 0,
    rerouted: snapshot.routing?.length ?? 0,
  };
}

/**
 * The events a publication carries after `told` (undefined: nothing published yet, so the
 * order's first status is news). Several may come from one change; they share its sequence.
 */
export function appEventsSince(
  told: AppEventMarks | undefined,
  now: AppEventMarks,
): AppEventType[] {
  const events: AppEventType[] = [];
  if (told?.status !== now.status) events.push('order.status_changed');
  if (now.refunded > (told?.refunded ?? 0)) events.push('order.refunded');
  if (now.rerouted > (told?.rerouted ?? 0)) events.push('order.rerouted');
  return events;
}

/** The body POSTed to the app: the same on every attempt and to every endpoint. */
export interface AppEvent {
  /** Unique per event; the app dedupes on it (also the `webhook-id` header). */
  id: string;
  type: AppEventType;
  orderId: string;
  /** The order's revision: grows with every change, so the app can drop an older event. */
  sequence: number;
  occurredAt: string;
  order: OrderView;
}

/**
 * Numbered publications come after every revision-numbered event: an order in flight when
 * events began to follow publications still has its sequence grow.
 */
const PUBLICATION_STEP = 1_000_000;

/**
 * The event of `type` that the order's `publication`-th snapshot tells. Its sequence follows the
 * publication's number, which grows across the tries of a workflow task lost with their worker,
 * then the revision; a revision alone can go back after such a try (docs/RELIABILITY.md,
 * finding H). Snapshots of runs from before numbering go by revision.
 */
export function appEvent(
  snapshot: OrderSnapshot,
  type: AppEventType,
  publication?: number,
): AppEvent {
  const numbered = publication !== undefined;
  const name = type.slice('order.'.length);
  return {
    // Derived, not drawn: a retried publication names the same events.
    id: numbered
      ? `evt_${snapshot.orderId}_p${publication}r${snapshot.revision}_${name}`
      : `evt_${snapshot.orderId}_${snapshot.revision}_${name}`,
    type,
    orderId: snapshot.orderId,
    sequence: numbered ? publication * PUBLICATION_STEP + snapshot.revision : snapshot.revision,
    occurredAt: snapshot.updatedAt,
    order: toOrderView(snapshot),
  };
}
