/**
 * The Totals tab (layout.ts, `TOTALS`): the table of streams/totals.ts as
 * cells, and what of it to write with the minute's live update.
 *
 * The two periods stand side by side, current first, so a person is one row
 * and the frozen header rows and Name column keep both readable at 300 rows:
 *
 *   row 1: Name | Card | In since | Current pay period 2026-03-26 – 2026-04-25, updated … | … | Previous pay period …
 *   row 2:      |      |          | Total | Week of 03-23 | … | Thu 26 | Fri 27 | … | Total | Week of … | …
 *   row 3+: a person: name, card, when the open session began (blank when out), then hours.
 *
 * Hours are real durations (`[h]:mm`); a week or day with none is blank, a
 * period's Total is 0:00. Every value is RAW (rule 10).
 *
 * Written only when the content changed since the last write that landed
 * (the `updated` time aside): then only the rows that differ, or the whole
 * table when most do. Rows and columns a smaller table no longer uses are
 * written blank. After a failed write, and while it could still land late,
 * the whole table is written each minute, so a late landing never stays.
 * Before rows are written by number, the Card column is read back: a tab a
 * person sorted (or whose rows they moved) is written whole (rule 9).
 */
import { formatLocalDateTime, toSerial, toSerialDuration } from '../../../streams/zoned';
import type { TotalsPeriod, TotalsTable } from '../../../streams/totals';
import { a1, cellText, columnLetter, TOTALS, type Cell } from './layout';
import type { DataFilterValueRange } from './sheetsApi';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The part of a period's columns a person's row fills: Total, weeks, days. */
const periodWidth = (period: TotalsPeriod): number => 1 + period.weeks.length + period.days.length;

/** The table as rows of cells, the first with `updated` after the current period's title. */
export function totalsCells(table: TotalsTable, updated: string, zone: string): Cell[][] {
  const { periods } = table.frame;
  const titles: Cell[] = [...TOTALS.headers];
  const headers: Cell[] = ['', '', ''];
  periods.forEach((period, i) => {
    const label = `${period.days[0]?.date ?? ''} – ${period.days.at(-1)?.date ?? ''}`;
    const title =
      i === 0
        ? `Current pay period ${label}${updated === '' ? '' : `, updated ${updated}`}`
        : `Previous pay period ${label}`;
    titles.push(title, ...Array<Cell>(periodWidth(period) - 1).fill(''));
    headers.push(
      'Total',
      ...period.weeks.map((week) => `Week of ${week.slice(5)}`),
      ...period.days.map((day) => `${DAY_NAMES[day.weekday] ?? ''} ${day.date.slice(8)}`),
    );
  });
  const hours = (ms: number): Cell => (ms === 0 ? '' : toSerialDuration(ms));
  const people = table.rows.map((row): Cell[] => [
    row.name,
    row.card,
    row.inSince === null ? '' : toSerial(row.inSince, zone),
    ...row.periods.flatMap((p) => [
      toSerialDuration(p.total),
      ...p.weeks.map(hours),
      ...p.days.map(hours),
    ]),
  ]);
  return [titles, headers, ...people];
}

/** How far the tab's written cells reach. */
interface Extent {
  readonly rows: number;
  readonly columns: number;
}

/**
 * What the live view reads before the first write, to learn how far the tab's cells reach, and
 * before a write of only the rows that changed: the Card column must still be where the last
 * write put it (a person may have sorted the tab, or inserted or deleted rows), or the write is
 * whole.
 */
export const TOTALS_EXTENT_READS = [a1(TOTALS.title, 'B:B'), a1(TOTALS.title, '2:2')] as const;

export interface TotalsWriter {
  /** Whether the plan of `table` needs the tab read first (TOTALS_EXTENT_READS). */
  readonly needsExtent: (table: TotalsTable) => boolean;
  /** The extent read back: rows of the Card column, and the header row. */
  readonly extentRead: (column: readonly unknown[][], header: readonly unknown[][]) => void;
  /** The writes for `table` at `at` (none when nothing changed); `landed` or `failed` follows. */
  readonly plan: (table: TotalsTable, at: number) => DataFilterValueRange[];
  /** The planned writes landed; `keep` false while a failed update could still land over them. */
  readonly landed: (keep: boolean) => void;
  /** The request failed: the next write is whole. */
  readonly failed: () => void;
  /** Forget the tab (set-up ran again). */
  readonly reset: () => void;
}

/** Makes the Totals tab's writer for `zone`. */
export function makeTotalsWriter(zone: string): TotalsWriter {
  /** The rows that landed last (the title row without its time), or null: write whole. */
  let last: Cell[][] | null = null;
  let extent: Extent | null = null;
  let pending: { rows: Cell[][]; extent: Extent } | null = null;
  /** The minute's table as cells, built once for both the look before the read and the plan. */
  let built: { table: TotalsTable; rows: Cell[][] } | null = null;
  const cellsOf = (table: TotalsTable): Cell[][] => {
    if (built?.table !== table) built = { table, rows: totalsCells(table, '', zone) };
    return built.rows;
  };
  return {
    needsExtent: (table) => extent === null || (last !== null && !sameTable(cellsOf(table), last)),
    extentRead: (column, header) => {
      extent = { rows: column.length, columns: header[0]?.length ?? 0 };
      // Rows moved by hand: only a whole write puts every person back on their own row.
      if (last !== null && !sameCards(column, last)) last = null;
    },
    plan: (table, at) => {
      const rows = cellsOf(table);
      const width = Math.max(...rows.map((r) => r.length));
      const size = { rows: rows.length, columns: width };
      const seen = extent ?? { rows: 0, columns: 0 };
      const reach = {
        rows: Math.max(size.rows, seen.rows),
        columns: Math.max(size.columns, seen.columns),
      };
      const padded = padTo(rows, reach);
      const changed = padded
        .map((row, i) => i)
        .filter((i) => last === null || !sameRow(padded[i] ?? [], last[i] ?? []));
      pending = { rows: padded, extent: last === null ? reach : size };
      if (changed.length === 0) return [];
      // The title row carries the time of the write that changed something.
      padded[0] = padRow(
        totalsCells({ ...table, rows: [] }, formatLocalDateTime(at, zone), zone)[0] ?? [],
        reach.columns,
      );
      const whole = last === null || changed.length > padded.length / 2;
      const rowsToWrite = whole
        ? [[0, padded.length - 1]]
        : runsOf([0, ...changed.filter((i) => i > 0)]);
      const out = rowsToWrite.map(([first = 0, end = 0]) => ({
        dataFilter: {
          a1Range: a1(TOTALS.title, `A${first + 1}:${columnLetter(reach.columns - 1)}${end + 1}`),
        },
        majorDimension: 'ROWS',
        values: padded.slice(first, end + 1),
      }));
      padded[0] = rows[0] === undefined ? [] : padRow(rows[0], reach.columns);
      return out;
    },
    landed: (keep) => {
      if (pending === null) return;
      last = keep ? pending.rows : null;
      extent = keep
        ? pending.extent
        : { rows: pending.rows.length, columns: pending.rows[0]?.length ?? 0 };
      pending = null;
    },
    failed: () => {
      if (pending !== null)
        extent = { rows: pending.rows.length, columns: pending.rows[0]?.length ?? 0 };
      last = null;
      pending = null;
    },
    reset: () => {
      last = null;
      extent = null;
      pending = null;
    },
  };
}

/** Whether `rows` fills the cells `last` holds (the title row's time aside). */
function sameTable(rows: readonly Cell[][], last: readonly Cell[][]): boolean {
  const width = last[0]?.length ?? 0;
  const padded = padTo(rows, { rows: last.length, columns: width });
  return (
    padded.length === last.length &&
    padded.every((row, i) => i === 0 || sameRow(row, last[i] ?? []))
  );
}

/** Whether the Card column read back is the one the last write left (blank cells as ''). */
function sameCards(column: readonly unknown[][], last: readonly Cell[][]): boolean {
  const rows = Math.max(column.length, last.length);
  for (let i = 0; i < rows; i += 1) {
    if (cellText(column[i]?.[0]) !== cellText(last[i]?.[1])) return false;
  }
  return true;
}

function padRow(row: readonly Cell[], columns: number): Cell[] {
  return row.length >= columns ? [...row] : [...row, ...Array<Cell>(columns - row.length).fill('')];
}

function padTo(rows: readonly Cell[][], reach: Extent): Cell[][] {
  const padded = rows.map((row) => padRow(row, reach.columns));
  while (padded.length < reach.rows) padded.push(padRow([], reach.columns));
  return padded;
}

function sameRow(a: readonly Cell[], b: readonly Cell[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/** Sorted row indexes as [first, last] runs of consecutive rows. */
function runsOf(indexes: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const i of indexes) {
    const run = runs.at(-1);
    if (run !== undefined && run[1] === i - 1) run[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}
