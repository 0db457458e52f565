// The order as the business sees it: verticals, their details, statuses, amounts, and the
// records of its cancellation and refunds (their rules live in cancellation.ts and refunds.ts,
// which build on this module). Shared by the API, the workflows and the read model; no I/O here.

export const VERTICALS = ['grocery', 'hotel', 'teleconsultation'] as const;
export type Vertical = (typeof VERTICALS)[number];

export const ORDER_STATUSES = [
  'pending_payment',
  'awaiting_confirmation',
  'confirmed',
  'dispatching',
  'in_progress',
  'completed',
  'payment_declined',
  'rejected',
  'expired',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'completed',
  'payment_declined',
  'rejected',
  'expired',
  'cancelled',
]);

export interface GroceryItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export interface GroceryDetails {
  items: GroceryItem[];
  deliveryAddress: string;
  deliveryWindow: { start: string; end: string };
}

export interface HotelDetails extends Partial<HotelStayTimes> {
  roomType: string;
  /** The hotel's calendar days. */
  checkIn: string;
  checkOut: string;
  guests: number;
  nightlyRate: number;
}

/**
 * When a stay happens, resolved by checkout from the hotel's time zone and its check-in and
 * check-out times: ISO instants with the hotel's offset (`2026-12-10T14:00:00+08:00`). The
 * workflow reads these instants, never a zone. Absent on orders placed before hotels had time
 * zones, which read 14:00 and 12:00 UTC (domain/schedule.ts).
 */
export interface HotelStayTimes {
  /** The hotel's IANA time zone (`Asia/Shanghai`). */
  timeZone: string;
  checkInAt: string;
  checkOutAt: string;
  /** The check-in day in the hotel's zone: a guest cannot check in before it starts... */
  checkInDayStartsAt: string;
  /** ...and a booking for that day may be confirmed until it ends. */
  checkInDayEndsAt: string;
}

export interface TeleconsultationDetails {
  specialty: string;
  slotStart: string;
  durationMinutes: number;
  fee: number;
  /** The clinic's IANA time zone, set by checkout, for showing the slot (absent on older orders). */
  timeZone?: string;
}

/** What the checkout asked for, validated; the server derives every amount from it. */
export type OrderRequest = {
  customerId: string;
  providerId: string;
  currency: string;
  paymentToken: string;
} & (
  | { vertical: 'grocery'; grocery: GroceryDetails }
  | { vertical: 'hotel'; hotel: HotelDetails }
  | { vertical: 'teleconsultation'; teleconsultation: TeleconsultationDetails }
);

export interface OrderAmounts {
  /** What the order costs, computed from its lines. */
  total: number;
  authorised: number;
  captured: number;
  /** Authorised money given back to the customer without being captured. */
  released: number;
  refunded: number;
}

function emptyAmounts(total: number): OrderAmounts {
  return { total, authorised: 0, captured: 0, released: 0, refunded: 0 };
}

/** The provider's answer to a new order. */
export interface ConfirmationDecision {
  decision: 'accept' | 'reject';
  /** Who answers (set by the API from the signed callback): an earlier offer's provider is refused. */
  providerId?: string;
  reason?: string;
  /** Grocery only: how much of each line the store can supply. */
  items?: { sku: string; availableQuantity: number }[];
  confirmationCode?: string;
}

export const PROVIDER_EVENT_TYPES = [
  'picked_up',
  'delivered',
  'checked_in',
  'checked_out',
  'consultation_started',
  'consultation_completed',
  'no_show',
] as const;
export type ProviderEventType = (typeof PROVIDER_EVENT_TYPES)[number];

export interface ProviderEvent {
  type: ProviderEventType;
  at: string;
  /** Who reports it (set by the API from the signed callback). */
  providerId?: string;
}

/** An earlier offer of a re-routed order: the provider asked, and why the order moved on. */
export interface RoutingEntry {
  providerId: string;
  outcome: 'rejected' | 'expired';
  at: string;
}

export interface Courier {
  courierId: string;
  name: string;
  phone: string;
}

export interface DispatchInfo {
  courier?: Courier;
  voucherCode?: string;
  sessionLink?: string;
  events: {
    type: ProviderEventType;
    at: string;
    receivedAt: string;
    /** Reported before the order reached its step: kept, and applied once it does. */
    pending?: boolean;
  }[];
}

export const REFUND_REASONS = [
  'item_missing',
  'quality',
  'late',
  'service_not_rendered',
  'goodwill',
  'duplicate_charge',
] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** A member of staff acting on an order: the API token's name and role. */
export interface StaffActor {
  name: string;
  role: 'support' | 'admin';
}

export interface RefundRequest {
  /** Names the refund within the order; derived from the request's Idempotency-Key. */
  refundId: string;
  amount: number;
  reason: RefundReason;
  note?: string;
  requestedBy: StaffActor;
  /** Set by the API from its approval threshold: the refund waits for an admin. */
  needsApproval: boolean;
  /** Fingerprint of the request body: the same refundId with another body is refused. */
  requestHash: string;
}

export type RefundStatus = 'pending_approval' | 'refunding' | 'refunded' | 'declined';

export interface RefundRecord extends Omit<RefundRequest, 'requestHash' | 'needsApproval'> {
  /** The request's fingerprint (absent on refunds recorded before it was kept). */
  requestHash?: string;
  status: RefundStatus;
  requestedAt: string;
  decidedBy?: StaffActor;
  decidedAt?: string;
  decisionNote?: string;
  refundedAt?: string;
}

export interface RefundDecision {
  refundId: string;
  approve: boolean;
  decidedBy: StaffActor;
  note?: string;
}

export type CancellationRequester = 'customer' | 'support';

export interface CancellationRequest {
  reason: string;
  requestedBy: CancellationRequester;
  /** The member of staff, when support cancels. */
  staff?: StaffActor;
  /** Support only: give the customer everything back whatever the policy says. */
  waiveFee?: boolean;
}

export interface CancellationRecord extends CancellationRequest {
  requestedAt: string;
  /** What the policy lets the provider keep, in minor units (0 when waived). */
  fee: number;
}

/** Something a person should look at: an overdue delivery, an unreachable provider... */
export interface Attention {
  code: 'delivery_overdue' | 'provider_not_notified' | 'settlement_stuck' | 'payment_stuck';
  reason: string;
  since: string;
}

/** Why an order ended without being served, in words support staff and apps can show. */
export interface OrderFailure {
  code: string;
  message: string;
}

/**
 * The order's state as its workflow holds it. The workflow is the source of truth; the read
 * model in the database is a copy of the latest snapshot, ordered by `revision`.
 */
export interface OrderSnapshot {
  orderId: string;
  vertical: Vertical;
  status: OrderStatus;
  customerId: string;
  providerId: string;
  /** The app that placed the order (absent on orders placed before this was recorded). */
  placedBy?: string;
  /** The checkout call that started the order, `<X-Request-Id>#<nonce>` (absent on older orders). */
  checkoutCallId?: string;
  currency: string;
  amounts: OrderAmounts;
  grocery?: GroceryDetails & { confirmedItems?: { sku: string; confirmedQuantity: number }[] };
  hotel?: HotelDetails;
  teleconsultation?: TeleconsultationDetails;
  confirmation?: ConfirmationDecision & { receivedAt: string };
  dispatch: DispatchInfo;
  failure?: OrderFailure;
  cancellation?: CancellationRecord;
  /** When the provider must have answered by. */
  confirmBy?: string;
  /** Earlier offers of a re-routed order, oldest first (absent until the first re-route). */
  routing?: RoutingEntry[];
  /** Refunds issued by support staff, oldest first (absent until the first one). */
  refunds?: RefundRecord[];
  /** Why the order needs a person to look at it; cleared when that resolves itself. */
  attention?: Attention;
  /** When the order reached its final status (refunds stay possible for a window after). */
  closedAt?: string;
  /** Until when support may refund the closed order (absent when it keeps no money). */
  refundableUntil?: string;
  /** The gateway's authorisation, recorded at close for refunds after the workflow ended. */
  authorisationId?: string;
  createdAt: string;
  updatedAt: string;
  /** Incremented on every change, so a stale copy never overwrites a newer one. */
  revision: number;
}

function detailsOf(
  request: OrderRequest,
): Pick<OrderSnapshot, 'grocery' | 'hotel' | 'teleconsultation'> {
  switch (request.vertical) {
    case 'grocery':
      return { grocery: request.grocery };
    case 'hotel':
      return { hotel: request.hotel };
    case 'teleconsultation':
      return { teleconsultation: request.teleconsultation };
  }
}

/** The order as placed, before anything happened to it. */
export function placedOrder(placed: {
  orderId: string;
  request: OrderRequest;
  total: number;
  placedBy?: string;
  checkoutCallId?: string;
  now: string;
}): OrderSnapshot {
  const { request, now } = placed;
  return {
    orderId: placed.orderId,
    vertical: request.vertical,
    status: 'pending_payment',
    customerId: request.customerId,
    ...(placed.placedBy ? { placedBy: placed.placedBy } : {}),
    ...(placed.checkoutCallId ? { checkoutCallId: placed.checkoutCallId } : {}),
    providerId: request.providerId,
    currency: request.currency,
    amounts: emptyAmounts(placed.total),
    ...detailsOf(request),
    dispatch: { events: [] },
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
}
