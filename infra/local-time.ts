// Providers' local time: IANA time zones, a hotel's check-in and check-out times, and the
// instants a stay resolves to in its hotel's zone (DST included, by Luxon over the platform's
// time zone data). Checkout resolves a stay once and puts the instants on the order, so the
// workflow and the domain rules read instants, never zones.

import { DateTime, IANAZone } from 'luxon';
import type { HotelDetails, HotelStayTimes } from '../domain/order';

/** Where a provider registered without a zone is (hotels registered before zones included). */
export const DEFAULT_TIME_ZONE = 'UTC';
export const DEFAULT_CHECK_IN_TIME = '14:00';
export const DEFAULT_CHECK_OUT_TIME = '12:00';

/** `HH:MM`, 24-hour clock. */
export const CLOCK_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/**
 * The zone's canonical IANA name (`asia/shanghai` → `Asia/Shanghai`), or undefined when it is
 * not one. Fixed offsets (`+08:00`) are refused: they know nothing of DST.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z]/.test(name) || !IANAZone.isValidZone(name)) return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
}

/** A hotel's local-time settings, with the defaults filled in. */
export interface HotelClock {
  timeZone: string;
  checkInTime: string;
  checkOutTime: string;
}

export function hotelClock(provider: {
  timeZone?: string | null;
  checkInTime?: string | null;
  checkOutTime?: string | null;
}): HotelClock {
  return {
    timeZone: provider.timeZone ?? DEFAULT_TIME_ZONE,
    checkInTime: provider.checkInTime ?? DEFAULT_CHECK_IN_TIME,
    checkOutTime: provider.checkOutTime ?? DEFAULT_CHECK_OUT_TIME,
  };
}

/** An instant in ISO 8601 with the zone's offset at that instant, to the second. */
export function localIso(epochMs: number, timeZone: string): string {
  return DateTime.fromMillis(epochMs, { zone: timeZone }).toISO({ suppressMilliseconds: true })!;
}

/**
 * A local day and clock time in a zone as an instant. A time the clocks skip (spring forward)
 * is read as if the clocks had not changed yet (02:30 becomes 03:30 summer time); a time they
 * show twice (fall back) is the second of the two (winter time), as Luxon resolves them.
 */
function localAt(day: string, time: string, timeZone: string): DateTime {
  const local = DateTime.fromISO(`${day}T${time}`, { zone: timeZone });
  if (!local.isValid) throw new Error(`${day}T${time} in ${timeZone}: ${local.invalidExplanation}`);
  return local;
}

/** The stay's instants in its hotel's zone, from the hotel's calendar days and its clock. */
export function stayTimes(
  stay: Pick<HotelDetails, 'checkIn' | 'checkOut'>,
  clock: HotelClock,
): HotelStayTimes {
  const iso = (at: DateTime) => at.toISO({ suppressMilliseconds: true })!;
  const checkInDay = DateTime.fromISO(stay.checkIn, { zone: clock.timeZone }).startOf('day');
  return {
    timeZone: clock.timeZone,
    checkInAt: iso(localAt(stay.checkIn, clock.checkInTime, clock.timeZone)),
    checkOutAt: iso(localAt(stay.checkOut, clock.checkOutTime, clock.timeZone)),
    checkInDayStartsAt: iso(checkInDay),
    // The next day's start: 23 or 25 hours later on a day the clocks change.
    checkInDayEndsAt: iso(checkInDay.plus({ days: 1 }).startOf('day')),
  };
}
