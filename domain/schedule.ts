// When things happen in time for hotel stays and consultations. Hotel dates are calendar
// dates; the property's standard check-in and check-out hours turn them into instants.
// Orders carry no property time zone yet, so the hours are taken in UTC.

import type { HotelDetails, TeleconsultationDetails } from './order';

const HOUR = 3_600_000;
const MINUTE = 60_000;

export const HOTEL_CHECK_IN_HOUR_UTC = 14;
export const HOTEL_CHECK_OUT_HOUR_UTC = 12;

/** The video session opens this long before the slot, and the link goes out then. */
export const VIDEO_SESSION_LEAD_MS = 10 * MINUTE;
/** A doctor who has not started this long after the slot's start is a no-show. */
export const DOCTOR_NO_SHOW_GRACE_MS = 15 * MINUTE;

/** The clinic's own grace when it has one (seconds), else the default. */
export function doctorNoShowGraceMs(clinicSetting?: number): number {
  return clinicSetting === undefined ? DOCTOR_NO_SHOW_GRACE_MS : clinicSetting * 1000;
}
/** A started consultation nobody closes completes this long after the slot's end. */
export const CONSULTATION_AUTO_COMPLETE_GRACE_MS = 30 * MINUTE;

export function hotelCheckInAt(hotel: Pick<HotelDetails, 'checkIn'>): number {
  return Date.parse(`${hotel.checkIn}T00:00:00Z`) + HOTEL_CHECK_IN_HOUR_UTC * HOUR;
}

export function hotelCheckOutAt(hotel: Pick<HotelDetails, 'checkOut'>): number {
  return Date.parse(`${hotel.checkOut}T00:00:00Z`) + HOTEL_CHECK_OUT_HOUR_UTC * HOUR;
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
