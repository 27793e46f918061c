/**
 * A tap log: CSV lines `ISO-8601 timestamp,card[,reader]`, sorted or not.
 * A timestamp without an offset is wall-clock time in the configured zone
 * (never the process's own): one the clocks go back over (it happens twice)
 * is the first of the two, and one they skip is moved forward by the gap;
 * either is named in a warning, line and all.
 */
import { normaliseCardId } from '../../streams/cardId';
import type { CardRead } from '../../streams/events';
import {
  formatDuration,
  formatLocalDate,
  formatLocalDateTime,
  formatLocalTime,
  formatOffset,
  localTime,
  offsetAt,
} from '../../streams/zoned';
import { CSV_UTF8, encodingProblem, parseCsv } from '../formats/csv';

export interface TapLog {
  /** Reads in time order (stable for equal instants: file order). */
  readonly reads: readonly CardRead[];
  /** Each unusable line, naming the file and line and what is wrong. */
  readonly problems: readonly string[];
  /** Each line read by the rule for a local time that happens twice or never, named. */
  readonly warnings: readonly string[];
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A timestamp's wall-clock fields as UTC milliseconds, and its offset if it has one; null if it is not a real time. */
function readTimestamp(stamp: string): { wall: number; offset: number | null } | null {
  const match = TIMESTAMP.exec(stamp);
  if (match === null) return null;
  const [, yyyy = '', mm = '', dd = '', hh = '', min = '', ss = '0', fraction = '', suffix] = match;
  const [year, month, day, hours, minutes, seconds] = [yyyy, mm, dd, hh, min, ss].map(Number);
  const zone = suffix?.toUpperCase();
  if (
    year === undefined ||
    month === undefined ||
    day === undefined ||
    hours === undefined ||
    minutes === undefined ||
    seconds === undefined ||
    hours > 23 ||
    minutes > 59 ||
    seconds > 59
  )
    return null;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(new Date(0).setUTCFullYear(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const wall = date.getTime() + ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms;
  if (zone === undefined) return { wall, offset: null };
  if (zone === 'Z') return { wall, offset: 0 };
  const sign = zone.startsWith('-') ? -1 : 1;
  const [offsetHours = 0, offsetMinutes = 0] = [zone.slice(1, 3), zone.slice(3).replace(':', '')]
    .filter((part) => part !== '')
    .map(Number);
  // No zone is 24 hours or more off UTC, nor has an offset of 60 minutes: a typo, not a time.
  if (offsetHours > 23 || offsetMinutes > 59) return null;
  return { wall, offset: sign * (offsetHours * 60 + offsetMinutes) * 60_000 };
}

/**
 * Whether the first line that is not a comment is a header: a first field no timestamp
 * starts like (`Date/Time`, `Heure d’entrée`) and a second that is no card id. A line
 * with a card id is a tap, so a mistyped time there is named, not skipped.
 */
function isHeader(stamp: string, card: string): boolean {
  return !/^\d/.test(stamp) && !normaliseCardId(card).ok;
}

/** `fields` without the blank ones at its end past the first `keep`. */
function withoutEmptyAfter(fields: readonly string[], keep: number): readonly string[] {
  let end = fields.length;
  while (end > keep && fields[end - 1]?.trim() === '') end--;
  return fields.slice(0, end);
}

/**
 * The instant a tap log's timestamp names (`--until` is read the same way), or null when it
 * is not a date and time. Without an offset it is wall-clock time in `zone`; a time the
 * clocks repeat or skip is read by the rule, with a warning that says how.
 */
export function readTapTime(
  stamp: string,
  zone: string,
): { readonly at: number; readonly warning?: string } | null {
  const time = readTimestamp(stamp);
  if (time === null) return null;
  if (time.offset !== null) return { at: time.wall - time.offset };
  const local = localTime(time.wall, zone);
  const shown = (instant: number): string =>
    `${formatLocalTime(instant, zone)}${formatOffset(offsetAt(instant, zone))}`;
  switch (local.kind) {
    case 'repeated':
      return {
        at: local.at,
        warning: `${stamp} happens twice in ${zone} (the clocks go back); taken as the first, ${shown(local.at)} (write ${stamp}${formatOffset(offsetAt(local.later, zone))} for the second)`,
      };
    case 'skipped':
      return {
        at: local.at,
        warning: `${stamp} does not exist in ${zone} (the clocks go forward by ${formatDuration(local.gapMs)}); taken as ${shown(local.at)}`,
      };
    case 'exact':
      return { at: local.at };
  }
}

/** How far ahead of `now` a tap may be: the old system's clock may have been a few minutes fast. */
export const TAP_AHEAD_MS = 5 * 60_000;

/**
 * No tap log reaches back before 2000 (on the zone's calendar): a year there is a typo (1026 for
 * 2026), and replaying from it would run a minute tick through every idle minute since (ten
 * minutes for 1,000 years).
 */
export const EARLIEST_TAP_YEAR = 2000;

/**
 * Parses a tap log's text. A log that is not UTF-8 text is one problem, not one per line.
 * Given `now`, a tap more than `TAP_AHEAD_MS` after it is a bad line: a log is of the past,
 * and replay would run minute by minute up to that tap (a year typed 2062: 36 years).
 */
export function parseTapLog(
  text: string,
  file: string,
  zone: string,
  defaultReader: string,
  now = Infinity,
): TapLog {
  const reads: CardRead[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const encoding = encodingProblem(text);
  if (encoding !== undefined) {
    return { reads, problems: [`${file}: it ${encoding}; save it as ${CSV_UTF8}`], warnings };
  }
  let first = true;
  for (const record of parseCsv(text)) {
    const [stamp = '', rawCard = '', reader = ''] = record.fields.map((f) => f.trim());
    const where = `${file}:${record.line}`;
    if (record.error !== undefined) {
      problems.push(`${where}: ${record.error}`);
      first = false;
      continue;
    }
    if (stamp.startsWith('#')) continue;
    // Excel's separator line (`sep=;`), which tools write before the header of a CSV for Excel.
    if (first && stamp.toLowerCase() === 'sep=' && rawCard === '' && record.fields.length <= 2)
      continue;
    if (first && isHeader(stamp, rawCard)) {
      first = false;
      continue;
    }
    first = false;
    // Empty fields after the reader are a spreadsheet's cleared columns (`…,front,,`): no data.
    const fields = withoutEmptyAfter(record.fields, 3);
    if (fields.length < 2 || fields.length > 3) {
      problems.push(`${where}: expected "timestamp,card[,reader]", got ${fields.length} field(s)`);
      continue;
    }
    const time = readTapTime(stamp, zone);
    if (time === null) {
      problems.push(
        `${where}: ${JSON.stringify(stamp)} is not an ISO-8601 date and time (e.g. 2026-03-23T08:59:00)`,
      );
      continue;
    }
    if (time.at > now + TAP_AHEAD_MS) {
      problems.push(
        `${where}: ${stamp} is still to come (it is ${formatLocalDateTime(now, zone)} now in ${zone}): a typo, or the wrong zone?`,
      );
      continue;
    }
    if (Number(formatLocalDate(time.at, zone).slice(0, 4)) < EARLIEST_TAP_YEAR) {
      problems.push(`${where}: ${stamp} is before the year 2000: a typo in the year?`);
      continue;
    }
    if (time.warning !== undefined) warnings.push(`${where}: ${time.warning}`);
    const card = normaliseCardId(rawCard);
    if (!card.ok) {
      problems.push(`${where}: ${card.reason}`);
      continue;
    }
    reads.push({
      type: 'cardRead',
      at: time.at,
      card: card.card,
      reader: reader === '' ? defaultReader : reader,
    });
  }
  // Array.prototype.sort is stable, so equal instants keep file order.
  reads.sort((a, b) => a.at - b.at);
  return { reads, problems, warnings };
}
