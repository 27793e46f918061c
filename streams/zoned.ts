/**
 * Wall-clock arithmetic in the configured IANA zone; instants stay UTC milliseconds.
 *
 * Only the zone's offsets come from the tz data (`tzOffset`, which asks `Intl`);
 * everything else is arithmetic on "wall" milliseconds (the local date and time
 * written as if it were UTC). Nothing here reads the process's own zone, so the
 * answers are the same whatever `TZ` the process runs with (date-fns' own
 * `startOfDay`/`set` with `in: tz(zone)` are not: date-fns/tz#40).
 *
 * One rule for a local time a DST change repeats or skips, everywhere:
 * - repeated (the clocks go back): the earlier of the two instants;
 * - skipped (the clocks go forward): moved forward by the gap (02:30 → 03:30).
 */
import { tzOffset } from '@date-fns/tz';

const SECOND = 1000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Offsets are looked up once per zone and window and kept: sampled every six
 * hours (no zone changes its offset twice within that), each change then found
 * to the millisecond by bisection. A window is about 25 days.
 */
const WINDOW = 2 ** 31;
const SAMPLE = 6 * HOUR;

interface Span {
  /** First instant with this offset (inside the window). */
  readonly from: number;
  readonly offset: number;
}

const windows = new Map<string, Map<number, readonly Span[]>>();

/** The offset straight from the tz data, in ms. */
function lookUp(at: number, zone: string): number {
  return Math.round(tzOffset(zone, new Date(at)) * MINUTE);
}

function spansOf(index: number, zone: string): readonly Span[] {
  const start = index * WINDOW;
  const end = start + WINDOW;
  let offset = lookUp(start, zone);
  const spans: Span[] = [{ from: start, offset }];
  for (let t = start; t < end;) {
    const next = Math.min(end, t + SAMPLE);
    const nextOffset = lookUp(next, zone);
    if (nextOffset !== offset) {
      // The change lies in (t, next]: bisect to the first instant with the new offset.
      let before = t;
      let after = next;
      while (after - before > 1) {
        const middle = before + Math.floor((after - before) / 2);
        if (lookUp(middle, zone) === offset) before = middle;
        else after = middle;
      }
      if (after < end) spans.push({ from: after, offset: nextOffset });
      offset = nextOffset;
    }
    t = next;
  }
  return spans;
}

/** The zone's offset from UTC at the instant `at`, in ms (+2 h is 7,200,000). */
export function offsetAt(at: number, zone: string): number {
  let byWindow = windows.get(zone);
  if (byWindow === undefined) {
    byWindow = new Map();
    windows.set(zone, byWindow);
  }
  const index = Math.floor(at / WINDOW);
  let spans = byWindow.get(index);
  if (spans === undefined) {
    spans = spansOf(index, zone);
    byWindow.set(index, spans);
  }
  for (let i = spans.length - 1; i > 0; i--) {
    const span = spans[i];
    if (span !== undefined && at >= span.from) return span.offset;
  }
  return spans[0]?.offset ?? NaN;
}

/** The local wall-clock time of `at`, as milliseconds whose UTC fields are the local ones. */
export function toWall(at: number, zone: string): number {
  return at + offsetAt(at, zone);
}

/** A local wall-clock time as an instant, and whether the zone repeats or skips it. */
export type LocalTime =
  | { readonly at: number; readonly kind: 'exact' }
  /** The clocks go back over it: `at` is the first time, `later` the second. */
  | { readonly at: number; readonly kind: 'repeated'; readonly later: number }
  /** The clocks go forward over it: `at` is moved forward by the gap. */
  | { readonly at: number; readonly kind: 'skipped'; readonly gapMs: number };

/**
 * The instant of the wall-clock time `wall` (local fields as UTC ms) in `zone`:
 * the earlier instant if it happens twice, moved forward by the gap if never.
 */
export function localTime(wall: number, zone: string): LocalTime {
  // No zone changes its offset twice within two days, so the offsets a day either side are
  // the only ones that can apply.
  const before = offsetAt(wall - DAY, zone);
  const after = offsetAt(wall + DAY, zone);
  const first = wall - before;
  const second = wall - after;
  const firstFits = offsetAt(first, zone) === before;
  const secondFits = offsetAt(second, zone) === after;
  if (firstFits && secondFits && first !== second) {
    return {
      at: Math.min(first, second),
      kind: 'repeated',
      later: Math.max(first, second),
    };
  }
  if (firstFits) return { at: first, kind: 'exact' };
  if (secondFits) return { at: second, kind: 'exact' };
  return { at: first, kind: 'skipped', gapMs: after - before };
}

const floorDay = (wall: number): number => Math.floor(wall / DAY) * DAY;

/** Start of the local day (in `zone`) that contains `at`. DST days are 23 or 25 hours long. */
export function startOfLocalDay(at: number, zone: string): number {
  // Where a DST change skips midnight (Chile), the day begins when the clocks jump: 01:00.
  return localTime(floorDay(toWall(at, zone)), zone).at;
}

/** Start of the next local day after the one containing `at`. */
export function startOfNextLocalDay(at: number, zone: string): number {
  return localTime(floorDay(toWall(at, zone)) + DAY, zone).at;
}

/**
 * The first instant strictly after `after` at which the wall clock shows
 * `hhmm` (`HH:mm`). On the fall-back night a time in the repeated hour is
 * shown twice, and whichever comes first after `after` counts; on a day where
 * the time does not exist (spring forward) it is moved forward by the gap,
 * which is what a person would expect of a cut-off.
 */
export function nextLocalTime(after: number, hhmm: string, zone: string): number {
  const [hours = 0, minutes = 0] = hhmm.split(':').map(Number);
  const today = floorDay(toWall(after, zone));
  // Today, tomorrow, and the day after for a zone that skips a whole day (Samoa, 2011).
  for (let day = 0; day <= 2; day++) {
    const local = localTime(today + day * DAY + hours * HOUR + minutes * MINUTE, zone);
    if (local.at > after) return local.at;
    if (local.kind === 'repeated' && local.later > after) return local.later;
  }
  return localTime(today + 3 * DAY + hours * HOUR + minutes * MINUTE, zone).at;
}

/** The wall-clock time of `at` happens twice in `zone` (the repeated hour of a fall-back night). */
export function isRepeatedLocalTime(at: number, zone: string): boolean {
  return localTime(toWall(at, zone), zone).kind === 'repeated';
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `yyyy-MM-dd` of a wall time. */
function wallDate(wall: number): string {
  const date = new Date(wall);
  const year = date.getUTCFullYear();
  const yyyy = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : String(year);
  return `${yyyy}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}`;
}

/** `HH:mm` of a wall time. */
function wallTime(wall: number): string {
  const date = new Date(wall);
  return `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}`;
}

/** An offset as ISO 8601 writes it: `+02:00`, `-03:30`. */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetMs) / MINUTE);
  return `${sign}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

/** Local time of day, `HH:mm`. */
export function formatLocalTime(at: number, zone: string): string {
  return wallTime(toWall(at, zone));
}

/** Local date and time, `yyyy-MM-dd HH:mm`. */
export function formatLocalDateTime(at: number, zone: string): string {
  const wall = toWall(at, zone);
  return `${wallDate(wall)} ${wallTime(wall)}`;
}

/**
 * Local date and time, `yyyy-MM-dd HH:mm`, with the offset (`… 02:30 +01:00`)
 * where the wall clock alone does not say which instant it was: in the
 * repeated hour of a fall-back night.
 */
export function formatLocalDateTimeExact(at: number, zone: string): string {
  const text = formatLocalDateTime(at, zone);
  return isRepeatedLocalTime(at, zone) ? `${text} ${formatOffset(offsetAt(at, zone))}` : text;
}

/** Local ISO 8601 date-time with seconds and the offset in force: `2026-10-25T02:30:00+01:00`. */
export function formatLocalIso(at: number, zone: string): string {
  const offset = offsetAt(at, zone);
  const wall = at + offset;
  const seconds = two(new Date(wall).getUTCSeconds());
  return `${wallDate(wall)}T${wallTime(wall)}:${seconds}${formatOffset(offset)}`;
}

/** Local calendar date, `yyyy-MM-dd`. */
export function formatLocalDate(at: number, zone: string): string {
  return wallDate(toWall(at, zone));
}

/** `2026-W13`: the ISO week (Monday first) of the local date of `at`. */
export function formatLocalIsoWeek(at: number, zone: string): string {
  const day = floorDay(toWall(at, zone));
  // The ISO week belongs to the year of its Thursday.
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(day + (3 - weekday) * DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${two(week)}`;
}

/** A local calendar day: its date, its ISO week, and the instant the next day starts. */
export interface LocalDay {
  readonly date: string;
  readonly isoWeek: string;
  readonly next: number;
}

/**
 * Walks [start, end) by local day: `visit` gets each local day it touches and
 * how long of it falls in the span, each piece ending at the next local
 * midnight (23, 24 or 25 hours later). `dayOf` is `localDays(zone)`.
 */
export function forEachLocalDay(
  start: number,
  end: number,
  dayOf: (at: number) => LocalDay,
  visit: (day: LocalDay, ms: number) => void,
): void {
  for (let pieceStart = start; pieceStart < end;) {
    const day = dayOf(pieceStart);
    const pieceEnd = Math.min(end, day.next);
    visit(day, pieceEnd - pieceStart);
    pieceStart = pieceEnd;
  }
}

/**
 * The local days of `zone`, each worked out once and remembered: for a report
 * that walks thousands of sessions across the same few hundred days.
 */
export function localDays(zone: string): (at: number) => LocalDay {
  const days = new Map<number, LocalDay>();
  return (at) => {
    const wallDay = floorDay(toWall(at, zone));
    let day = days.get(wallDay);
    if (day === undefined) {
      day = {
        date: wallDate(wallDay),
        isoWeek: formatLocalIsoWeek(at, zone),
        next: localTime(wallDay + DAY, zone).at,
      };
      days.set(wallDay, day);
    }
    return day;
  };
}

/** Start of the local ISO week (Monday 00:00 in `zone`) containing `at`. */
export function startOfLocalIsoWeek(at: number, zone: string): number {
  return startOfLocalWeek(at, zone, 1);
}

/** Start of the local week containing `at` that begins on `firstDay` (0 Sunday … 6 Saturday). */
export function startOfLocalWeek(at: number, zone: string, firstDay: number): number {
  const day = floorDay(toWall(at, zone));
  const weekday = (new Date(day).getUTCDay() - firstDay + 7) % 7;
  return localTime(day - weekday * DAY, zone).at;
}

/** A duration as a person writes it: `8h 03m` (minutes rounded down). */
export function formatDuration(ms: number): string {
  // To the nearest second first: hours rounded to the microhour must not lose a minute.
  const totalMinutes = Math.floor(Math.round(Math.max(0, ms) / SECOND) / 60);

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

/**
 * A spreadsheet date-time serial holding the wall-clock time of `at` in
 * `zone`, as a person there reads it (sheets have no zones: 08:59 local is
 * stored as 08:59).
 */
export function toSerial(at: number, zone: string): number {
  return toWall(at, zone) / DAY + SERIAL_EPOCH_DAYS;
}

/**
 * The instant a date-time serial shows in `zone` (toSerial's inverse, to the
 * millisecond): a wall-clock time the zone repeats is its first instant, one
 * it skips is moved forward by the gap.
 */
export function fromSerial(serial: number, zone: string): number {
  return Math.round(localTime(wallOfSerial(serial), zone).at);
}

/** The wall-clock time a date-time serial shows, as milliseconds whose UTC fields are the local ones. */
export function wallOfSerial(serial: number): number {
  return Math.round((serial - SERIAL_EPOCH_DAYS) * DAY);
}

/** The serial of the local calendar day of `at` (midnight). */
export function toSerialDate(at: number, zone: string): number {
  return Math.floor(toSerial(at, zone));
}

/** A real elapsed duration as a fraction of a day (a sheet's `[h]:mm` value). */
export function toSerialDuration(ms: number): number {
  return ms / DAY;
}
