import { localTime } from '../../streams/zoned';

/** Start of the local ISO week (Monday 00:00 in `zone`) containing `at`. */
export { startOfLocalIsoWeek } from '../../streams/zoned';

/** Start of the local day `YYYY-MM-DD` in `zone`, or null if it is not a real date. */
export function parseLocalDate(text: string, zone: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = match.slice(1).map(Number);
  if (year === undefined || month === undefined || day === undefined) return null;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const wall = new Date(0).setUTCFullYear(year, month - 1, day);
  const date = new Date(wall);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  // A midnight the clocks skip (Chile) moves to when they jump: the day starts there.
  return localTime(wall, zone).at;
}
