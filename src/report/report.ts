/**
 * Reports from the store: per-person daily and weekly totals and the list of
 * sessions, in the configured zone (streams/zoned.ts). A session is
 * split at local midnight, so a night shift counts on each day it covers;
 * open sessions count up to now, or up to the instant the clock will close
 * them automatically if that has passed (the clock was off when it fell due).
 *
 * The totals are per person, as in the sheet's Totals (streams/personKey.ts):
 * a card and its aliases in People are one person, whatever names their
 * sessions were clocked in under; two people who share a name are two.
 */
import type { SessionRow } from '../drivers/store/store';
import { csvLine } from '../formats/csv';
import { normaliseCardId } from '../../streams/cardId';
import { emptyDirectory, type Directory } from '../../streams/directory';
import type { PayrollRules } from '../../streams/payroll';
import { listedName, personKey } from '../../streams/personKey';
import {
  formatExplanation,
  formatPersonTotals,
  isVoided,
  paidBySession,
  personTotals,
  type PersonTotal,
} from './paid';
import {
  formatDuration,
  formatLocalDate,
  formatLocalDateTimeExact,
  formatLocalIso,
  formatLocalIsoWeek,
  forEachLocalDay,
  localDays,
  toHours,
} from '../../streams/zoned';

export interface ReportOptions {
  readonly zone: string;
  readonly now: number;
  /** Only time inside [from, to) counts; sessions that overlap it are listed. */
  readonly from: number;
  readonly to: number;
  /** A name (case-insensitive) or card id: any of the person's, People's or their sessions'. */
  readonly person?: string;
  /** People, as the clock last read it: which cards are one person, and their names. */
  readonly directory?: Directory;
  /** When the clock closes an open session automatically (the limit or cut-off); default never. */
  readonly closeAt?: (session: SessionRow) => number;
  /** `2026-03-26 – 2026-04-25` when the range is a pay period (`--period`). */
  readonly period?: string;
  /** Payroll rules: a Paid figure beside the hours. */
  readonly payroll?: PayrollRules;
  /** Say how each Paid total was reached. */
  readonly explain?: boolean;
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
  /** The person's name as shown (with their card when another person in the report has it). */
  readonly person: string;
  /** The person's main card (streams/personKey.ts). */
  readonly card: string;
  readonly period: string;
  readonly ms: number;
}

export interface Report {
  readonly sessions: readonly SessionRow[];
  readonly daily: readonly Total[];
  readonly weekly: readonly Total[];
  /** Per person over the whole range, with Paid when payroll rules are set. */
  readonly totals: readonly PersonTotal[];
  /** With --person: whether anyone in People or in the sessions answers to it. */
  readonly personKnown?: boolean;
}

/** The name a session was clocked in under (the session list shows it), or its card. */
const who = (session: SessionRow): string => session.name ?? session.card;

/** A session's or a correction's own card and the name it was clocked in under. */
type Clocked = Pick<SessionRow, 'card' | 'name'>;

/** A name as compared: trimmed, any case, and one Unicode form (a sheet may hold `e` + `¨`). */
const folded = (text: string): string => text.trim().normalize('NFC').toLowerCase();

/** What `--person` asks for: the text folded, and the card it names in canonical form, if any. */
function askedFor(person: string): { readonly text: string; readonly card: string | null } {
  const card = normaliseCardId(person);
  return { text: folded(person), card: card.ok ? card.card : null };
}

/** Whether `id` is the card asked for: as typed, any case, or as its canonical form (`04:a3:…`). */
const isCard = (id: string, asked: ReturnType<typeof askedFor>): boolean =>
  id === asked.card || id.toLowerCase() === asked.text;

/** Whether the session's own card (in any form) or name (any case) is the one asked for. */
export function matchesPerson(session: Clocked, person: string | undefined): boolean {
  if (person === undefined) return true;
  const asked = askedFor(person);
  // A session with no name is not one asked for by an empty name.
  return (
    isCard(session.card, asked) || (asked.text !== '' && folded(session.name ?? '') === asked.text)
  );
}

/**
 * The people (main cards) `person` asks for: those with a session (or a correction) under
 * that card or name, and those People lists with it as card, alias or name.
 */
export function peopleAskedFor(
  rows: readonly Clocked[],
  person: string,
  directory: Directory,
): ReadonlySet<string> {
  const asked = askedFor(person);
  const keys = new Set<string>();
  for (const session of rows)
    if (matchesPerson(session, person)) keys.add(personKey(directory, session.card));
  for (const listed of directory.people) {
    const ids = [listed.card, ...listed.aliases].filter((id) => isCard(id, asked));
    for (const id of ids) keys.add(personKey(directory, id));
    if (listed.name.trim() !== '' && folded(listed.name) === asked.text)
      keys.add(personKey(directory, listed.card));
  }
  return keys;
}

/**
 * Each counted person's name as shown: People's, else their latest counted session's, else
 * the card; with the card beside it when two people in the report share it.
 */
function namesOf(sessions: readonly SessionRow[], directory: Directory): Map<string, string> {
  const latest = new Map<string, string | null>();
  const at = new Map<string, number>();
  for (const session of sessions) {
    if (isVoided(session)) continue;
    const key = personKey(directory, session.card);
    if (!latest.has(key)) latest.set(key, null);
    if (session.name !== null && session.inAt >= (at.get(key) ?? -Infinity)) {
      latest.set(key, session.name);
      at.set(key, session.inAt);
    }
  }
  const shown = [...latest].map(
    ([key, name]) => [key, listedName(directory, key) ?? name ?? key] as const,
  );
  const sharing = new Map<string, number>();
  for (const [, name] of shown) sharing.set(name, (sharing.get(name) ?? 0) + 1);
  return new Map(
    shown.map(([key, name]) => [key, (sharing.get(name) ?? 0) > 1 ? `${name} (${key})` : name]),
  );
}

/** Builds the totals for sessions (already limited to those overlapping the range). */
export function buildReport(rows: readonly SessionRow[], options: ReportOptions): Report {
  const directory = options.directory ?? emptyDirectory;
  const keyOf = (session: SessionRow): string => personKey(directory, session.card);
  const asked =
    options.person === undefined ? null : peopleAskedFor(rows, options.person, directory);
  const sessions = asked === null ? rows : rows.filter((s) => asked.has(keyOf(s)));
  const names = namesOf(sessions, directory);
  const daily = new Map<string, Total>();
  const weekly = new Map<string, Total>();
  const add = (map: Map<string, Total>, card: string, period: string, ms: number): void => {
    const key = `${card}\u0000${period}`;
    const person = names.get(card) ?? card;
    map.set(key, { person, card, period, ms: (map.get(key)?.ms ?? 0) + ms });
  };
  // Each local day (its date, week and end) is worked out once for the whole report.
  const dayOf = localDays(options.zone);
  for (const session of sessions) {
    // A voided session (a manager's correction, rule 13) is listed but not counted.
    if (isVoided(session)) continue;
    const start = Math.max(session.inAt, options.from);
    const end = Math.min(endOf(session, options), options.to);
    forEachLocalDay(start, end, dayOf, (day, ms) => {
      add(daily, keyOf(session), day.date, ms);
      add(weekly, keyOf(session), day.isoWeek, ms);
    });
  }
  const sorted = (map: Map<string, Total>): Total[] =>
    [...map.values()].sort(
      (a, b) =>
        a.person.localeCompare(b.person) ||
        a.card.localeCompare(b.card) ||
        a.period.localeCompare(b.period),
    );
  const dailyTotals = sorted(daily);
  const totals = personTotals(sessions, dailyTotals, keyOf, {
    ...options,
    endOf: (session) => endOf(session, options),
  });
  return {
    sessions,
    daily: dailyTotals,
    weekly: sorted(weekly),
    totals,
    ...(asked === null ? {} : { personKnown: asked.size > 0 }),
  };
}

/** `2026-W13`: the ISO week (Monday first) of the local date. */
export function isoWeek(at: number, zone: string): string {
  return formatLocalIsoWeek(at, zone);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** What `--person` says of a name or card nobody answers to: a typo, not someone away. */
export const nobodyGoesBy = (person: string): string =>
  `No one in People or in the clock's sessions goes by ${JSON.stringify(person)}.`;

/** The report as text for a person at a terminal. */
export function formatReport(report: Report, options: ReportOptions): string {
  const { zone } = options;
  const lines: string[] = [];
  const lastDay = formatLocalDate(options.to - 1, zone);
  lines.push(
    options.period === undefined
      ? `Report ${formatLocalDate(options.from, zone)} to ${lastDay} (${zone})`
      : `Pay period ${options.period} (${zone})`,
  );
  if (report.sessions.length === 0) {
    const person = options.person?.trim();
    if (person === undefined) lines.push('', 'No sessions in this period.');
    else lines.push('', `No sessions for ${person} in this period.`);
    // A typo, not a person who stayed home: say that nobody answers to it.
    if (person !== undefined && report.personKnown === false) lines.push(nobodyGoesBy(person));
    return `${lines.join('\n')}\n`;
  }
  // Widths by reduce, not a spread: a long report has more rows than a call has arguments.
  const widest = (texts: readonly string[], least: number): number =>
    texts.reduce((max, text) => Math.max(max, text.length), least);
  // The session list shows each session's own name, which a rename can leave longer.
  const width = widest([...report.daily.map((t) => t.person), ...report.sessions.map(who)], 6);
  // The period's totals (and Paid) only when asked for a period or payroll rules are set.
  if (options.period !== undefined || options.payroll !== undefined)
    lines.push('', ...formatPersonTotals(report.totals, width));
  lines.push('', 'Daily totals');
  for (const t of report.daily) {
    // The weekday of the calendar date itself, whatever the process's own zone.
    const day = WEEKDAYS[new Date(`${t.period}T00:00:00Z`).getUTCDay()] ?? '';
    lines.push(
      `  ${t.period} ${day}  ${t.person.padEnd(width)}  ${formatDuration(t.ms).padStart(8)}`,
    );
  }
  lines.push('', 'Weekly totals');
  for (const t of report.weekly) {
    lines.push(`  ${t.period}  ${t.person.padEnd(width)}  ${formatDuration(t.ms).padStart(8)}`);
  }
  lines.push('', 'Sessions');
  // A time in the repeated hour of a fall-back night carries its offset; the columns widen for it.
  const shown = report.sessions.map((s) => ({
    in: formatLocalDateTimeExact(s.inAt, zone),
    out: s.outAt === null ? 'open' : formatLocalDateTimeExact(s.outAt, zone),
  }));
  const inWidth = widest(
    shown.map((t) => t.in),
    16,
  );
  const outWidth = widest(
    shown.map((t) => t.out),
    16,
  );
  report.sessions.forEach((s, i) => {
    const times = shown[i] ?? { in: '', out: '' };
    const ms = endOf(s, options) - s.inAt;
    const overdue = s.outAt === null && openEnd(s, options) < options.now;
    const flag =
      s.status === 'in'
        ? overdue
          ? `  (open past its limit: counted to ${formatLocalDateTimeExact(openEnd(s, options), zone)}, where the clock closes it as auto when it runs)`
          : '  (open: still clocked in)'
        : s.status === 'auto'
          ? `  (closed automatically at the ${s.reason === 'cutoff' ? 'daily cut-off' : 'time limit'})`
          : '';
    const voided = isVoided(s) ? '  (voided: not counted)' : '';
    lines.push(
      `  ${times.in.padEnd(inWidth)} → ${times.out.padEnd(outWidth)}  ${formatDuration(ms).padStart(8)}  ${who(s).padEnd(width)}  ${s.card}${flag}${voided}`,
    );
  });
  if (options.explain === true)
    lines.push(
      '',
      ...formatExplanation(report.totals, options.payroll, zone, options.period !== undefined),
    );
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

/**
 * RFC 4180 CSV, one row per session, header first; CRLF line ends as the RFC says.
 * With payroll rules a `paid` column: the session's share of Paid (inside the
 * range, rounded, its day's break taken off the day's last sessions), so the
 * column adds up to the person's Paid total. Voided sessions are left out.
 */
export function reportCsv(report: Report, options: ReportOptions): string {
  const { zone } = options;
  const time = (at: number): string => formatLocalIso(at, zone);
  const paid = options.payroll === undefined ? null : paidBySession(report.totals);
  const rows = report.sessions
    .filter((s) => !isVoided(s))
    .map((s) =>
      csvLine(
        [
          s.id,
          formatLocalDate(s.inAt, zone),
          s.name ?? '',
          s.card,
          time(s.inAt),
          s.outAt === null ? '' : time(s.outAt),
          toHours(Math.max(0, endOf(s, options) - s.inAt)).toFixed(4), // open from after now: 0
          s.status,
          s.reader,
          ...(paid === null ? [] : [toHours(paid.get(s.id) ?? 0).toFixed(4)]),
        ].map(neutraliseFormula),
      ),
    );
  const header = paid === null ? CSV_HEADER : [...CSV_HEADER, 'paid'];
  return [csvLine(header), ...rows].map((line) => `${line}\r\n`).join('');
}
