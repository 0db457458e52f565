// When things happen in time for hotel stays and consultations. Hotel dates are calendar
// dates in the hotel's time zone; checkout resolves the stay's instants from the hotel's zone
// and its check-in and check-out times (HotelStayTimes), so this module reads instants only.
// Orders placed before hotels had time zones carry none: their hours are taken in UTC.

import type { HotelDetails, OrderSnapshot, ProviderEvent, TeleconsultationDetails } from './order';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** How far a provider's clock may run ahead of ours. */
export const PROVIDER_CLOCK_SKEW_MS = 5 * MINUTE;

/** The hours of orders that carry no stay instants (placed before hotels had time zones). */
const HOTEL_CHECK_IN_HOUR_UTC = 14;
const HOTEL_CHECK_OUT_HOUR_UTC = 12;

/** The video session opens this long before the slot, and the link goes out then. */
export const VIDEO_SESSION_LEAD_MS = 10 * MINUTE;
/** A doctor who has not started this long after the slot's start is a no-show. */
const DOCTOR_NO_SHOW_GRACE_MS = 15 * MINUTE;

/** The clinic's own grace when it has one (seconds), else the default. */
export function doctorNoShowGraceMs(clinicSetting?: number): number {
  return clinicSetting === undefined ? DOCTOR_NO_SHOW_GRACE_MS : clinicSetting * 1000;
}
/** A started consultation nobody closes completes this long after the slot's end. */
export const CONSULTATION_AUTO_COMPLETE_GRACE_MS = 30 * MINUTE;

type Stay = Pick<
  HotelDetails,
  'checkIn' | 'checkOut' | 'checkInAt' | 'checkOutAt' | 'checkInDayStartsAt' | 'checkInDayEndsAt'
>;

/** `at` when the order carries it, else the UTC reading of older orders. */
const instant = (at: string | undefined, utcFallback: () => number) =>
  at === undefined ? utcFallback() : Date.parse(at);

export function hotelCheckInAt(hotel: Pick<Stay, 'checkIn' | 'checkInAt'>): number {
  return instant(
    hotel.checkInAt,
    () => Date.parse(`${hotel.checkIn}T00:00:00Z`) + HOTEL_CHECK_IN_HOUR_UTC * HOUR,
  );
}

/** The first instant of the check-in day: a guest cannot check in before it. */
function hotelCheckInDayStartsAt(hotel: Pick<Stay, 'checkIn' | 'checkInDayStartsAt'>): number {
  return instant(hotel.checkInDayStartsAt, () => Date.parse(`${hotel.checkIn}T00:00:00Z`));
}

/** A booking for today can be confirmed until the day ends: guests arrive late. */
export function hotelCheckInDayEndsAt(hotel: Pick<Stay, 'checkIn' | 'checkInDayEndsAt'>): number {
  return instant(
    hotel.checkInDayEndsAt,
    () => Date.parse(`${hotel.checkIn}T00:00:00Z`) + 24 * HOUR,
  );
}

export function hotelCheckOutAt(hotel: Pick<Stay, 'checkOut' | 'checkOutAt'>): number {
  return instant(
    hotel.checkOutAt,
    () => Date.parse(`${hotel.checkOut}T00:00:00Z`) + HOTEL_CHECK_OUT_HOUR_UTC * HOUR,
  );
}

export function slotStartAt(consultation: Pick<TeleconsultationDetails, 'slotStart'>): number {
  return Date.parse(consultation.slotStart);
}

export function slotEndAt(
  consultation: Pick<TeleconsultationDetails, 'slotStart' | 'durationMinutes'>,
): number {
  return slotStartAt(consultation) + consultation.durationMinutes * MINUTE;
}

export const HOURS = (n: number) => n * HOUR;

/**
 * Day formatters by time zone, made once each: making one costs ~0.1 ms (ICU loads the zone's
 * rules), about 30 times what formatting with it does, and hotel checkouts ask on every order.
 */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function dayFormatIn(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    // Made before it is kept: a zone Intl refuses throws here and is never kept.
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dayFormats.set(timeZone, format);
  }
  return format;
}

/** The calendar day (`YYYY-MM-DD`) it is at `instant` in an IANA time zone, by the platform's Intl. */
export function calendarDayIn(timeZone: string, instant: Date): string {
  const parts = dayFormatIn(timeZone).formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

const zoneOf = (stay: Pick<HotelDetails, 'timeZone'>) =>
  stay.timeZone ? ` in ${stay.timeZone}` : '';

/** A consultation may start this long before its slot (a doctor ahead of time). */
export const CONSULTATION_EARLY_START_MS = 15 * MINUTE;

/**
 * Why a provider event cannot have happened when it says, given the order's schedule
 * (API.md: `422 event_out_of_schedule`); undefined when it fits. Nothing happens before the
 * order was placed (give or take the provider's clock skew). A stay cannot begin before
 * its check-in day, a checkout cannot precede the check-in, a consultation cannot begin long
 * before its slot or end before it began.
 */
export function eventScheduleProblem(
  order: Pick<OrderSnapshot, 'createdAt' | 'hotel' | 'teleconsultation' | 'dispatch'>,
  event: ProviderEvent,
): string | undefined {
  const at = Date.parse(event.at);
  if (at < Date.parse(order.createdAt) - PROVIDER_CLOCK_SKEW_MS)
    return `${event.type} at ${event.at} is before the order was placed (${order.createdAt})`;
  const earlier = (type: ProviderEvent['type']) =>
    order.dispatch.events.find((recorded) => recorded.type === type);
  const notBefore = (limit: number, what: string) =>
    at < limit ? `${event.type} at ${event.at} is before ${what}` : undefined;
  const stay = order.hotel;
  const consultation = order.teleconsultation;
  switch (event.type) {
    case 'checked_in':
      return (
        stay &&
        notBefore(
          hotelCheckInDayStartsAt(stay),
          `the check-in day (${stay.checkIn}${zoneOf(stay)})`,
        )
      );
    case 'checked_out': {
      const checkedIn = earlier('checked_in');
      if (checkedIn) return notBefore(Date.parse(checkedIn.at), `the check-in (${checkedIn.at})`);
      return (
        stay &&
        notBefore(
          hotelCheckInDayStartsAt(stay),
          `the check-in day (${stay.checkIn}${zoneOf(stay)})`,
        )
      );
    }
    case 'consultation_started':
      return (
        consultation &&
        notBefore(
          slotStartAt(consultation) - CONSULTATION_EARLY_START_MS,
          `15 minutes before the slot (${consultation.slotStart})`,
        )
      );
    case 'consultation_completed': {
      const started = earlier('consultation_started');
      return started && notBefore(Date.parse(started.at), `the start (${started.at})`);
    }
    default:
      return undefined;
  }
}
