/**
 * Pay periods: which stretch of local days an instant is paid in. A period
 * runs from a local midnight to a later local midnight, [from, to), in the
 * configured zone, so a period with a DST change is an hour shorter or longer
 * than its days times 24 hours.
 *
 * The arithmetic is on local calendar days (days since 1970-01-01 of the wall
 * clock); only the two bounds are turned into instants, with the rule of
 * streams/zoned.ts (a midnight the clocks skip starts the day when they jump).
 */
import { formatLocalDate, localTime, toWall } from './zoned';

export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;

export type Weekday = (typeof WEEKDAYS)[number];

/** How pay periods are cut: the config key `payPeriod`. */
export type PayPeriod =
  /** Seven days from `firstDay`. */
  | { readonly kind: 'weekly'; readonly firstDay: Weekday }
  /** Fourteen days, counted from `anchor` (a first day of a period, `YYYY-MM-DD`), both ways. */
  | { readonly kind: 'biweekly'; readonly anchor: string }
  /** The 1st to the 15th, and the 16th to the month's end. */
  | { readonly kind: 'semimonthly' }
  /** From day `startDay` (1-28, default 1) of a month to the day before it in the next month. */
  | { readonly kind: 'monthly'; readonly startDay?: number };

/** A pay period as instants: UTC ms of its first local midnight and of the one after it ends. */
export interface PeriodBounds {
  readonly from: number;
  readonly to: number;
}

/** The default: weekly from Monday, the ISO week the reports already total. */
export const DEFAULT_PAY_PERIOD: PayPeriod = { kind: 'weekly', firstDay: 'monday' };

const DAY = 86_400_000;

/** Local calendar day number (days since 1970-01-01) of a day's year, month (1-12) and date. */
function dayNumber(year: number, month: number, date: number): number {
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  return Math.round(new Date(0).setUTCFullYear(year, month - 1, date) / DAY);
}

/** The day number of `YYYY-MM-DD`, or null when it is not a real date. */
export function dayNumberOf(text: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year = NaN, month = NaN, date = NaN] = match.slice(1).map(Number);
  const day = dayNumber(year, month, date);
  const back = new Date(day * DAY);
  return back.getUTCMonth() === month - 1 && back.getUTCDate() === date ? day : null;
}

/** First and last-plus-one local day numbers of the period containing local day `day`. */
function periodDays(day: number, period: PayPeriod): readonly [number, number] {
  const date = new Date(day * DAY);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const dom = date.getUTCDate();
  switch (period.kind) {
    case 'weekly': {
      const weekday = date.getUTCDay();
      const start = day - ((weekday - WEEKDAYS.indexOf(period.firstDay) + 7) % 7);
      return [start, start + 7];
    }
    case 'biweekly': {
      // An anchor that is not a date cannot get past the config's schema; 0 keeps this total.
      const anchor = dayNumberOf(period.anchor) ?? 0;
      const start = anchor + Math.floor((day - anchor) / 14) * 14;
      return [start, start + 14];
    }
    case 'semimonthly':
      return dom <= 15
        ? [dayNumber(year, month, 1), dayNumber(year, month, 16)]
        : [dayNumber(year, month, 16), dayNumber(year, month + 1, 1)];
    case 'monthly': {
      const startDay = period.startDay ?? 1;
      // Day 29-31 would not exist in every month: the schema keeps startDay to 1-28.
      const first = dom >= startDay ? month : month - 1;
      return [dayNumber(year, first, startDay), dayNumber(year, first + 1, startDay)];
    }
  }
}

/** The local day number of the instant `at` in `zone`. */
function localDayOf(at: number, zone: string): number {
  return Math.floor(toWall(at, zone) / DAY);
}

/** The instant the local day `day` starts in `zone`. */
function startOfDayNumber(day: number, zone: string): number {
  return localTime(day * DAY, zone).at;
}

/** The pay period that contains the instant `at`, as the instants of its local-midnight bounds. */
export function periodAt(at: number, period: PayPeriod, zone: string): PeriodBounds {
  const [first, next] = periodDays(localDayOf(at, zone), period);
  return { from: startOfDayNumber(first, zone), to: startOfDayNumber(next, zone) };
}

/** The pay period before the one that contains `at`. */
export function previousPeriod(at: number, period: PayPeriod, zone: string): PeriodBounds {
  return periodAt(periodAt(at, period, zone).from - 1, period, zone);
}

/** The pay period after the one that contains `at`. */
export function nextPeriod(at: number, period: PayPeriod, zone: string): PeriodBounds {
  return periodAt(periodAt(at, period, zone).to, period, zone);
}

/** `2026-03-26 – 2026-04-25`: the first and the last local day of the period. */
export function periodLabel(bounds: PeriodBounds, zone: string): string {
  return `${formatLocalDate(bounds.from, zone)} – ${formatLocalDate(bounds.to - 1, zone)}`;
}

/** The short form of a pay period, as BADGECLOCK_PAY_PERIOD takes it: `monthly:26`. */
export function formatPayPeriod(period: PayPeriod): string {
  switch (period.kind) {
    case 'weekly':
      return `weekly:${period.firstDay}`;
    case 'biweekly':
      return `biweekly:${period.anchor}`;
    case 'semimonthly':
      return 'semimonthly';
    case 'monthly':
      return period.startDay === undefined ? 'monthly' : `monthly:${period.startDay}`;
  }
}

/** The weekday (0 Sunday) a week starts on for `period`: Monday, or a weekly period's first day. */
export function weekStart(period: PayPeriod): number {
  return period.kind === 'weekly' ? WEEKDAYS.indexOf(period.firstDay) : 1;
}
