/**
 * Corrections typed into the sheet (rule 13): what a `Log` row's In, Out and
 * Status cells ask for, against what the clock last wrote there. Pure: the
 * sheet driver reads the rows of the sessions it watches (the current and the
 * previous pay period), the store says what each row should hold and which
 * values were judged already, and this says whether the row asks for
 * something new, and what. A value judged once (applied, or rejected and left
 * in the cell, flagged) is not judged again until the manager changes it.
 */
import type { CorrectionRequest } from './corrections';
import { fromSerial, localTime, startOfLocalDay, toWall, wallOfSerial } from './zoned';

export type EditField = 'in' | 'out' | 'status';

/** A session whose row the clock reads back, as the row should show it. */
export interface WatchedRow {
  readonly session: string;
  /** Its times and status as they stand (corrections applied): what the row holds. */
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto';
  readonly voided: boolean;
  /**
   * Per field, a value typed in the sheet and rejected, when that is the field's last
   * correction (as the store keeps it: an ISO-8601 instant, a status, or the text typed); a
   * cell still holding it asks for nothing new.
   */
  readonly seen: Partial<Readonly<Record<EditField, string | null>>>;
}

/** The cells of a row the clock reads back, as the sheet answered them (unformatted). */
export interface RowCells {
  readonly in: unknown;
  readonly out: unknown;
  readonly status: unknown;
}

/** What the Edits tab and the store record for a row a person deleted (said once). */
export const ROW_DELETED = '(row deleted)';

/**
 * A typed cell: an instant (a date-time value, or text that reads as one) with the wall-clock
 * time it shows, or other text.
 */
type Typed = { readonly at: number; readonly wall: number } | { readonly text: string };

/**
 * A time as a manager types it: `HH:mm` on the local day of the session's
 * clock-in, `YYYY-MM-DD HH:mm` in the configured zone, or ISO-8601 with an
 * offset; null when it is none of these.
 */
export function parseTypedTime(text: string, zone: string, sessionIn: number): number | null {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) {
    const at = Date.parse(trimmed);
    return Number.isNaN(at) ? null : at;
  }
  const local = /^(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})$/.exec(trimmed);
  if (local === null) return null;
  // The date is optional: its groups are then undefined, whatever the type says.
  const parts: (string | undefined)[] = local.slice(1);
  const [year, month, day, hour, minute] = parts.map((part) =>
    part === undefined ? undefined : Number(part),
  );
  if (hour === undefined || minute === undefined || hour > 23 || minute > 59) return null;
  let dayWall: number;
  if (year === undefined || month === undefined || day === undefined) {
    dayWall = toWall(startOfLocalDay(sessionIn, zone), zone);
  } else {
    dayWall = new Date(0).setUTCFullYear(year, month - 1, day);
    const date = new Date(dayWall);
    if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  }
  return localTime(dayWall + hour * 3_600_000 + minute * 60_000, zone).at;
}

/** A time cell as typed: a serial is a date-time, text is read as a time where it is one. */
function typedTime(cell: unknown, zone: string, sessionIn: number): Typed {
  if (typeof cell === 'number' && Number.isFinite(cell))
    return { at: fromSerial(cell, zone), wall: wallOfSerial(cell) };
  // A sheet's cell is a number, text, a boolean or empty (an error shows as text).
  const text =
    typeof cell === 'string'
      ? cell
      : typeof cell === 'boolean' || typeof cell === 'number'
        ? String(cell)
        : '';
  const at = text.trim() === '' ? null : parseTypedTime(text, zone, sessionIn);
  return at === null ? { text } : { at, wall: toWall(at, zone) };
}

/**
 * Whether a typed cell shows `expected`: the same wall-clock time, within a millisecond (a
 * serial's rounding). By the wall clock, not the instant: in the hour a DST night repeats, the
 * clock's serial reads back as the hour's first instant, and is still no edit.
 */
function shows(typed: Typed, expected: number | null, zone: string): boolean {
  if ('at' in typed) return expected !== null && Math.abs(typed.wall - toWall(expected, zone)) < 1;
  return typed.text.trim() === '' && expected === null;
}

/** A typed value as the store keeps it: an ISO-8601 instant, or the text. */
const keptAs = (typed: Typed): string =>
  'at' in typed ? new Date(typed.at).toISOString() : typed.text;

/**
 * What `row`'s cells ask for, or null when nothing new: they show the
 * session as it stands, or only values judged before. `void` typed into
 * Status asks for that alone; otherwise every changed time cell is asked for
 * together (one judged before too, so a pair that is right only together
 * applies), and text where a time belongs is rejected as such.
 */
export function sheetEditOf(
  row: WatchedRow,
  cells: RowCells,
  zone: string,
): CorrectionRequest | null {
  const status = typeof cells.status === 'string' ? cells.status.trim().toLowerCase() : '';
  if (status === 'void' && !row.voided) {
    return row.seen.status === 'void' ? null : { session: row.session, void: true };
  }
  if (row.voided) return null;
  const changed = (
    [
      ['in', typedTime(cells.in, zone, row.inAt), row.inAt],
      ['out', typedTime(cells.out, zone, row.inAt), row.outAt],
    ] as const
  ).filter(([, typed, expected]) => !shows(typed, expected, zone));
  if (changed.every(([field, typed]) => row.seen[field] === keptAs(typed))) return null;
  const times: { inAt?: number; outAt?: number } = {};
  let notATime: CorrectionRequest['notATime'];
  for (const [field, typed] of changed) {
    if ('at' in typed) times[field === 'in' ? 'inAt' : 'outAt'] = typed.at;
    else notATime ??= { field, text: typed.text };
  }
  return { session: row.session, ...times, ...(notATime === undefined ? {} : { notATime }) };
}

/** A watched row as a live update read it: its cells, or null when `Log` has no row for it. */
export interface LogRowRead {
  readonly row: WatchedRow;
  readonly cells: RowCells | null;
}
