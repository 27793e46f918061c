import { tz } from '@date-fns/tz';
import { isValid } from 'date-fns/isValid';
import { parse } from 'date-fns/parse';
import { startOfISOWeek } from 'date-fns/startOfISOWeek';

/** Start of the local day `YYYY-MM-DD` in `zone`, or null if it is not a real date. */
export function parseLocalDate(text: string, zone: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const day = parse(text, 'yyyy-MM-dd', new Date(0), { in: tz(zone) });
  return isValid(day) ? day.getTime() : null;
}

/** Start of the local ISO week (Monday 00:00 in `zone`) containing `at`. */
export function startOfLocalIsoWeek(at: number, zone: string): number {
  return startOfISOWeek(at, { in: tz(zone) }).getTime();
}
