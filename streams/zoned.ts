/** Wall-clock arithmetic in the configured IANA zone; instants stay UTC milliseconds. */
import { TZDate, tz } from '@date-fns/tz';
import { addDays } from 'date-fns/addDays';
import { format } from 'date-fns/format';
import { set } from 'date-fns/set';
import { startOfDay } from 'date-fns/startOfDay';

/** Start of the local day (in `zone`) that contains `at`. DST days are 23 or 25 hours long. */
export function startOfLocalDay(at: number, zone: string): number {
  return startOfDay(at, { in: tz(zone) }).getTime();
}

/** Start of the next local day after the one containing `at`. */
export function startOfNextLocalDay(at: number, zone: string): number {
  const context = { in: tz(zone) };
  // Start of day again: where a DST change skips midnight (Chile) today began at 01:00,
  // and a day later than that is 01:00 tomorrow, not tomorrow's midnight.
  return startOfDay(addDays(startOfDay(at, context), 1, context), context).getTime();
}

/**
 * The first instant strictly after `after` whose local time is `hhmm` (`HH:mm`).
 * On a day where that time does not exist (spring forward) date-fns moves it
 * forward by the gap, which is what a person would expect of a cut-off.
 */
export function nextLocalTime(after: number, hhmm: string, zone: string): number {
  const [hours = 0, minutes = 0] = hhmm.split(':').map(Number);
  const context = { in: tz(zone) };
  const sameDay = set(after, { hours, minutes, seconds: 0, milliseconds: 0 }, context).getTime();
  if (sameDay > after) return sameDay;
  const nextDay = addDays(after, 1, context);
  return set(nextDay, { hours, minutes, seconds: 0, milliseconds: 0 }, context).getTime();
}

/** Local time of day, `HH:mm`. */
export function formatLocalTime(at: number, zone: string): string {
  return format(at, 'HH:mm', { in: tz(zone) });
}

/** Local date and time, `yyyy-MM-dd HH:mm`. */
export function formatLocalDateTime(at: number, zone: string): string {
  return format(at, 'yyyy-MM-dd HH:mm', { in: tz(zone) });
}

/** Local calendar date, `yyyy-MM-dd`. */
export function formatLocalDate(at: number, zone: string): string {
  return format(at, 'yyyy-MM-dd', { in: tz(zone) });
}

/** A duration as a person writes it: `8h 03m` (minutes rounded down). */
export function formatDuration(ms: number): string {
  // To the nearest second first: hours rounded to the microhour must not lose a minute.
  const totalMinutes = Math.floor(Math.round(Math.max(0, ms) / 1000) / 60);

  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return `${hours}h ${String(minutes).padStart(2, '0')}m`;
}

/** Milliseconds to hours, rounded to the microhour so JSON stays readable. */
export function toHours(ms: number): number {
  return Math.round((ms / 3_600_000) * 1e6) / 1e6;
}

/** Spreadsheet day zero (1899-12-30) as a Unix day number: serial = unix days + 25569. */
const SERIAL_EPOCH_DAYS = 25_569;
const DAY = 86_400_000;

/**
 * A spreadsheet date-time serial holding the wall-clock time of `at` in
 * `zone`, as a person there reads it (sheets have no zones: 08:59 local is
 * stored as 08:59).
 */
export function toSerial(at: number, zone: string): number {
  const offsetMs = -new TZDate(at, zone).getTimezoneOffset() * 60_000;
  return (at + offsetMs) / DAY + SERIAL_EPOCH_DAYS;
}

/** The serial of the local calendar day of `at` (midnight). */
export function toSerialDate(at: number, zone: string): number {
  return Math.floor(toSerial(at, zone));
}

/** A real elapsed duration as a fraction of a day (a sheet's `[h]:mm` value). */
export function toSerialDuration(ms: number): number {
  return ms / DAY;
}
