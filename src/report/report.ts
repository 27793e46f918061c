/**
 * Reports from the store: per-person daily and weekly totals and the list of
 * sessions, in the configured zone (date-fns + @date-fns/tz). A session is
 * split at local midnight, so a night shift counts on each day it covers;
 * open sessions count up to now, or up to the instant the clock will close
 * them automatically if that has passed (the clock was off when it fell due).
 */
import { tz } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { getISOWeek } from 'date-fns/getISOWeek';
import { getISOWeekYear } from 'date-fns/getISOWeekYear';
import type { SessionRow } from '../drivers/store/store';
import { csvLine } from '../formats/csv';
import {
  formatDuration,
  formatLocalDate,
  formatLocalDateTime,
  startOfNextLocalDay,
  toHours,
} from '../../streams/zoned';

export interface ReportOptions {
  readonly zone: string;
  readonly now: number;
  /** Only time inside [from, to) counts; sessions that overlap it are listed. */
  readonly from: number;
  readonly to: number;
  /** A name (case-insensitive) or card id. */
  readonly person?: string;
  /** When the clock closes an open session automatically (the limit or cut-off); default never. */
  readonly closeAt?: (session: SessionRow) => number;
}

/** Where an open session's time ends for now: now, or its automatic close if that has passed. */
export function openEnd(
  session: SessionRow,
  options: Pick<ReportOptions, 'now' | 'closeAt'>,
): number {
  return Math.min(options.now, options.closeAt?.(session) ?? Infinity);
}

const endOf = (session: SessionRow, options: ReportOptions): number =>
  session.outAt ?? openEnd(session, options);

export interface Total {
  readonly person: string;
  readonly period: string;
  readonly ms: number;
}

export interface Report {
  readonly sessions: readonly SessionRow[];
  readonly daily: readonly Total[];
  readonly weekly: readonly Total[];
}

const who = (session: SessionRow): string => session.name ?? session.card;

/** Keeps the sessions of one person, by name (any case) or card id. */
export function matchesPerson(session: SessionRow, person: string | undefined): boolean {
  if (person === undefined) return true;
  const wanted = person.trim().toLowerCase();
  return (
    session.card.toLowerCase() === wanted || (session.name ?? '').trim().toLowerCase() === wanted
  );
}

/** Builds the totals for sessions (already limited to those overlapping the range). */
export function buildReport(rows: readonly SessionRow[], options: ReportOptions): Report {
  const sessions = rows.filter((s) => matchesPerson(s, options.person));
  const daily = new Map<string, Total>();
  const weekly = new Map<string, Total>();
  const add = (map: Map<string, Total>, person: string, period: string, ms: number): void => {
    const key = `${person}\u0000${period}`;
    map.set(key, { person, period, ms: (map.get(key)?.ms ?? 0) + ms });
  };
  for (const session of sessions) {
    const start = Math.max(session.inAt, options.from);
    const end = Math.min(endOf(session, options), options.to);
    // Walk local days: each piece ends at the next local midnight (23, 24 or 25 hours later).
    for (let pieceStart = start; pieceStart < end;) {
      const pieceEnd = Math.min(end, startOfNextLocalDay(pieceStart, options.zone));
      add(daily, who(session), formatLocalDate(pieceStart, options.zone), pieceEnd - pieceStart);
      add(weekly, who(session), isoWeek(pieceStart, options.zone), pieceEnd - pieceStart);
      pieceStart = pieceEnd;
    }
  }
  const sorted = (map: Map<string, Total>): Total[] =>
    [...map.values()].sort(
      (a, b) => a.person.localeCompare(b.person) || a.period.localeCompare(b.period),
    );
  return { sessions, daily: sorted(daily), weekly: sorted(weekly) };
}

/** `2026-W13`: the ISO week (Monday first) of the local date. */
export function isoWeek(at: number, zone: string): string {
  const context = { in: tz(zone) };
  return `${getISOWeekYear(at, context)}-W${String(getISOWeek(at, context)).padStart(2, '0')}`;
}

/** The report as text for a person at a terminal. */
export function formatReport(report: Report, options: ReportOptions): string {
  const { zone } = options;
  const lines: string[] = [];
  const lastDay = formatLocalDate(options.to - 1, zone);
  lines.push(`Report ${formatLocalDate(options.from, zone)} to ${lastDay} (${zone})`);
  if (report.sessions.length === 0) {
    lines.push('', 'No sessions in this period.');
    return `${lines.join('\n')}\n`;
  }
  const width = Math.max(...report.daily.map((t) => t.person.length), 6);
  lines.push('', 'Daily totals');
  for (const t of report.daily) {
    // The weekday of the calendar date itself, whatever the process's own zone.
    const day = format(Date.parse(`${t.period}T12:00:00Z`), 'EEE', { in: tz('UTC') });
    lines.push(
      `  ${t.period} ${day}  ${t.person.padEnd(width)}  ${formatDuration(t.ms).padStart(8)}`,
    );
  }
  lines.push('', 'Weekly totals');
  for (const t of report.weekly) {
    lines.push(`  ${t.period}  ${t.person.padEnd(width)}  ${formatDuration(t.ms).padStart(8)}`);
  }
  lines.push('', 'Sessions');
  for (const s of report.sessions) {
    const out = s.outAt === null ? 'open            ' : formatLocalDateTime(s.outAt, zone);
    const ms = endOf(s, options) - s.inAt;
    const overdue = s.outAt === null && openEnd(s, options) < options.now;
    const flag =
      s.status === 'in'
        ? overdue
          ? `  (open past its limit: counted to ${formatLocalDateTime(openEnd(s, options), zone)}, where the clock closes it as auto when it runs)`
          : '  (open: still clocked in)'
        : s.status === 'auto'
          ? `  (closed automatically at the ${s.reason === 'cutoff' ? 'daily cut-off' : 'time limit'})`
          : '';
    lines.push(
      `  ${formatLocalDateTime(s.inAt, zone)} → ${out}  ${formatDuration(ms).padStart(8)}  ${who(s).padEnd(width)}  ${s.card}${flag}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A spreadsheet program would run text starting with = + - @ (or a tab or
 * carriage return) as a formula; a leading apostrophe keeps it text.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const CSV_HEADER = [
  'session',
  'date',
  'name',
  'card',
  'in',
  'out',
  'hours',
  'status',
  'reader',
];

/** RFC 4180 CSV, one row per session, header first; CRLF line ends as the RFC says. */
export function reportCsv(report: Report, options: ReportOptions): string {
  const { zone } = options;
  const time = (at: number): string => format(at, "yyyy-MM-dd'T'HH:mm:ssxxx", { in: tz(zone) });
  const rows = report.sessions.map((s) =>
    csvLine(
      [
        s.id,
        formatLocalDate(s.inAt, zone),
        s.name ?? '',
        s.card,
        time(s.inAt),
        s.outAt === null ? '' : time(s.outAt),
        toHours(endOf(s, options) - s.inAt).toFixed(4),
        s.status,
        s.reader,
      ].map(neutraliseFormula),
    ),
  );
  return [csvLine(CSV_HEADER), ...rows].map((line) => `${line}\r\n`).join('');
}
