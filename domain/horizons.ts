// How far ahead (and behind) an order's dates may lie, by vertical (API.md, "Conventions").
// A date outside its horizon is a typo or a probe, not an order: a consultation in 9999 would
// have its fee captured at once. Checkout refuses it before anything is charged
// (`422 out_of_horizon`, naming the field); a retry of an order already placed replays its
// answer without asking again, so a horizon that has moved since does not turn it away.

import type { OrderRequest } from './order';
import { nightsBetween } from './pricing';
import { calendarDayIn } from './schedule';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const HORIZONS = {
  grocery: {
    /** An "as soon as possible" window starts now; a little earlier is clock skew. */
    earliestStartAgoMs: 15 * MINUTE,
    latestStartAheadMs: 14 * DAY,
    longestWindowMs: 24 * HOUR,
  },
  hotel: { latestCheckInAheadDays: 365, mostNights: 30 },
  teleconsultation: { latestSlotAheadMs: 90 * DAY },
} as const;

export interface HorizonProblem {
  /** The request field, as the API names it (`grocery.deliveryWindow.start`). */
  path: string;
  message: string;
}

/** What lies outside its vertical's horizon at `now`; empty when every date fits. */
export function horizonProblems(request: OrderRequest, now: Date): HorizonProblem[] {
  switch (request.vertical) {
    case 'grocery':
      return groceryProblems(request.grocery.deliveryWindow, now.getTime());
    case 'hotel':
      return hotelProblems(request.hotel, now);
    case 'teleconsultation':
      return teleconsultationProblems(request.teleconsultation.slotStart, now.getTime());
  }
}

function groceryProblems(window: { start: string; end: string }, now: number): HorizonProblem[] {
  const { earliestStartAgoMs, latestStartAheadMs, longestWindowMs } = HORIZONS.grocery;
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  const problems: HorizonProblem[] = [];
  if (start < now - earliestStartAgoMs)
    problems.push({
      path: 'grocery.deliveryWindow.start',
      message: 'must not start more than 15 minutes ago',
    });
  if (start > now + latestStartAheadMs)
    problems.push({ path: 'grocery.deliveryWindow.start', message: 'must start within 14 days' });
  if (end - start > longestWindowMs)
    problems.push({
      path: 'grocery.deliveryWindow.end',
      message: 'must end within 24 hours of the start',
    });
  return problems;
}

/**
 * Hotel dates are the hotel's calendar days: "today" is today in its time zone (checkout puts
 * the zone on the request; UTC when it has none).
 */
function hotelProblems(
  hotel: { checkIn: string; checkOut: string; timeZone?: string },
  now: Date,
): HorizonProblem[] {
  const { latestCheckInAheadDays, mostNights } = HORIZONS.hotel;
  const today = calendarDayIn(hotel.timeZone ?? 'UTC', now);
  const aheadDays = nightsBetween(today, hotel.checkIn);
  const problems: HorizonProblem[] = [];
  // Today is bookable all day long: guests arrive late, and the hotel may confirm until
  // the day ends.
  if (aheadDays < 0) problems.push({ path: 'hotel.checkIn', message: 'must not be before today' });
  if (aheadDays > latestCheckInAheadDays)
    problems.push({ path: 'hotel.checkIn', message: 'must be within 365 days' });
  if (nightsBetween(hotel.checkIn, hotel.checkOut) > mostNights)
    problems.push({ path: 'hotel.checkOut', message: 'stays are at most 30 nights' });
  return problems;
}

function teleconsultationProblems(slotStart: string, now: number): HorizonProblem[] {
  const start = Date.parse(slotStart);
  if (start <= now)
    return [{ path: 'teleconsultation.slotStart', message: 'must be in the future' }];
  if (start > now + HORIZONS.teleconsultation.latestSlotAheadMs)
    return [{ path: 'teleconsultation.slotStart', message: 'must be within 90 days' }];
  return [];
}
