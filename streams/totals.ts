/**
 * The Totals table (PRODUCT.md, "The sheet"): per person, hours per local day
 * and per week of the current and the previous pay period, and each period's
 * total; corrections applied (the sessions come corrected), voided sessions
 * skipped, open sessions counted up to now and marked.
 *
 * A session is split at local midnight (streams/zoned.ts), so a night shift
 * counts on each day it covers and a DST day holds 23 or 25 hours.
 *
 * Weeks group the period's own days. They start on Monday (ISO), except when
 * the pay period is weekly: then a week starts on the period's first day, so
 * a weekly period is one week. A week cut by a period's bound counts only the
 * days inside the period; it is named by its first day even when that day is
 * before the period (`Week of 03-23` for a period starting on Thursday 26).
 *
 * A row is a person, not a card (streams/personKey.ts): the sessions of a
 * card and of its aliases in People count on the row of the person's main
 * card, named as People names them (or as their latest session was, when
 * People does not name them). Two people who share a name keep a row each.
 *
 * Made in two parts so a minute costs little: `tallySessions` adds up closed
 * sessions once (remembered until the store or People changes), `totalsTable`
 * adds the open ones up to now and builds the rows.
 */
import {
  periodAt,
  previousPeriod,
  weekStart,
  type PayPeriod,
  type PeriodBounds,
} from './payPeriod';
import { emptyDirectory, type Directory } from './directory';
import { listedName, personKey } from './personKey';
import { forEachLocalDay, localDays, type LocalDay } from './zoned';

/** What the table needs of a session (the store's SessionRow has it). */
export interface TotalsSession {
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly voided?: true;
}

/** A local day of a period: its date and the index of its week in the period. */
export interface TotalsDay {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** 0 Sunday … 6 Saturday. */
  readonly weekday: number;
  readonly week: number;
}

/** A pay period's columns: its days and its weeks (each named by its first day, `YYYY-MM-DD`). */
export interface TotalsPeriod {
  readonly bounds: PeriodBounds;
  readonly days: readonly TotalsDay[];
  readonly weeks: readonly string[];
}

/** The two periods (current first), and where each local day falls in them. */
export interface TotalsFrame {
  readonly zone: string;
  readonly periods: readonly [TotalsPeriod, TotalsPeriod];
  /** `YYYY-MM-DD` → [period index, day index]. */
  readonly index: ReadonlyMap<string, readonly [number, number]>;
  /** The zone's local days, remembered (streams/zoned.ts). */
  readonly dayOf: (at: number) => LocalDay;
}

/** Per person (their main card): the latest session's name, and ms per day of each period. */
export type Tally = ReadonlyMap<string, TallyEntry>;

export interface TallyEntry {
  readonly name: string | null;
  /** When the session that gave the name started (the latest wins). */
  readonly nameAt: number;
  /** ms[period][day]. */
  readonly ms: readonly (readonly number[])[];
}

/** One person's row: the name, whether they are in (since when), and per period its figures. */
export interface TotalsRow {
  /** The person's main card (People's `Card`), or the sessions' card when People does not list it. */
  readonly card: string;
  /** People's name, else the latest session's, else the card. */
  readonly name: string;
  /** The start of the open session counted up to now, or null. */
  readonly inSince: number | null;
  readonly periods: readonly PersonPeriod[];
}

export interface PersonPeriod {
  readonly total: number;
  readonly weeks: readonly number[];
  readonly days: readonly number[];
}

export interface TotalsTable {
  readonly frame: TotalsFrame;
  /** Sorted by name, then card. */
  readonly rows: readonly TotalsRow[];
}

const DAY = 86_400_000;

/** The current and previous pay period at `now`, with their days and weeks. */
export function totalsFrame(now: number, payPeriod: PayPeriod, zone: string): TotalsFrame {
  const dayOf = localDays(zone);
  const index = new Map<string, readonly [number, number]>();
  const first = weekStart(payPeriod);
  const columns = (bounds: PeriodBounds, p: number): TotalsPeriod => {
    const days: TotalsDay[] = [];
    const weeks: string[] = [];
    for (let at = bounds.from; at < bounds.to; at = dayOf(at).next) {
      const { date } = dayOf(at);
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      const weekOf = new Date(Date.parse(`${date}T00:00:00Z`) - ((weekday - first + 7) % 7) * DAY)
        .toISOString()
        .slice(0, 10);
      if (weeks.at(-1) !== weekOf) weeks.push(weekOf);
      index.set(date, [p, days.length]);
      days.push({ date, weekday, week: weeks.length - 1 });
    }
    return { bounds, days, weeks };
  };
  const current = columns(periodAt(now, payPeriod, zone), 0);
  const previous = columns(previousPeriod(now, payPeriod, zone), 1);
  return { zone, periods: [current, previous], index, dayOf };
}

/**
 * Adds up sessions per person (through `directory`) and local day of the
 * frame's periods, each up to `endOf(session)` (its Out, or now for an open
 * one); voided ones are skipped. `base` is left as it is: the result copies
 * what it adds to.
 */
export function tallySessions(
  sessions: readonly TotalsSession[],
  frame: TotalsFrame,
  endOf: (session: TotalsSession) => number,
  directory: Directory = emptyDirectory,
  base: Tally = new Map(),
): Tally {
  const tally = new Map(base);
  const copied = new Set<string>();
  const [current, previous] = frame.periods;
  const spanFrom = previous.bounds.from;
  const spanTo = current.bounds.to;
  for (const session of sessions) {
    if (session.voided === true) continue;
    const start = Math.max(session.inAt, spanFrom);
    const end = Math.min(endOf(session), spanTo);
    if (start >= end) continue;
    const key = personKey(directory, session.card);
    let entry = tally.get(key);
    if (entry === undefined || !copied.has(key)) {
      entry = {
        name: entry?.name ?? null,
        nameAt: entry?.nameAt ?? -Infinity,
        ms: frame.periods.map((p, i) => [...(entry?.ms[i] ?? p.days.map(() => 0))]),
      };
      copied.add(key);
    }
    if (session.name !== null && session.inAt >= entry.nameAt)
      entry = { ...entry, name: session.name, nameAt: session.inAt };
    tally.set(key, entry);
    const ms = entry.ms as number[][];
    forEachLocalDay(start, end, frame.dayOf, (day, piece) => {
      const at = frame.index.get(day.date);
      const row = at === undefined ? undefined : ms[at[0]];
      if (at !== undefined && row !== undefined) row[at[1]] = (row[at[1]] ?? 0) + piece;
    });
  }
  return tally;
}

/**
 * The table at `now`: the closed sessions' tally plus the open sessions
 * counted up to now (each person's marked with when they came in). `directory`
 * is the one the closed sessions were tallied with.
 */
export function totalsTable(
  frame: TotalsFrame,
  closed: Tally,
  open: readonly TotalsSession[],
  now: number,
  directory: Directory = emptyDirectory,
): TotalsTable {
  const counted = open.filter((s) => s.voided !== true && s.outAt === null);
  const tally = tallySessions(counted, frame, () => now, directory, closed);
  const inSince = new Map<string, number>();
  for (const session of counted) {
    const key = personKey(directory, session.card);
    if (session.inAt < now) inSince.set(key, Math.min(session.inAt, inSince.get(key) ?? Infinity));
  }
  const rows = [...tally].map(([card, entry]): TotalsRow => {
    const periods = frame.periods.map((period, p): PersonPeriod => {
      const days = entry.ms[p] ?? [];
      const weeks = period.weeks.map(() => 0);
      period.days.forEach((day, d) => {
        weeks[day.week] = (weeks[day.week] ?? 0) + (days[d] ?? 0);
      });
      return { total: weeks.reduce((sum, ms) => sum + ms, 0), weeks, days };
    });
    const name = listedName(directory, card) ?? entry.name ?? card;
    return { card, name, inSince: inSince.get(card) ?? null, periods };
  });
  rows.sort((a, b) => a.name.localeCompare(b.name) || a.card.localeCompare(b.card));
  return { frame, rows };
}

/**
 * The table from sessions as the store hands them out (closed and open), at
 * `now`, each person's cards told by `directory` (People).
 */
export function totalsOf(
  sessions: readonly TotalsSession[],
  now: number,
  payPeriod: PayPeriod,
  zone: string,
  directory: Directory = emptyDirectory,
): TotalsTable {
  const frame = totalsFrame(now, payPeriod, zone);
  const closed = tallySessions(
    sessions.filter((s) => s.outAt !== null),
    frame,
    (s) => s.outAt ?? now,
    directory,
  );
  return totalsTable(
    frame,
    closed,
    sessions.filter((s) => s.outAt === null),
    now,
    directory,
  );
}
