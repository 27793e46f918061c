/**
 * The sheet's layout (PRODUCT.md, "The sheet"): tabs, headers, number formats,
 * and the rows the clock writes. Every value is written RAW: text stays text,
 * numbers are serial dates/times/durations shown through the column formats.
 */
import type { NewPerson, NewRow } from '../../../streams/batchPlan';
import type { OutboxEntry } from '../../../streams/commit';
import { toSerial, toSerialDate, toSerialDuration } from '../../../streams/zoned';

export type Cell = string | number | boolean;

export interface ColumnFormat {
  /** 0-based column index. */
  readonly column: number;
  /** The last column (0-based) the format reaches, when it covers several. */
  readonly through?: number;
  readonly type: 'DATE' | 'DATE_TIME' | 'TIME';
  readonly pattern: string;
}

export interface TabLayout {
  readonly title: 'Log' | 'Now' | 'People' | 'Edits' | 'Totals';
  readonly headers: readonly string[];
  readonly formats: readonly ColumnFormat[];
  /** The column whose header must never move: rows are found by it. */
  readonly keyColumn: number;
  /** Rows and columns kept in view (default: the header row). */
  readonly frozen?: { readonly rows: number; readonly columns: number };
  /** Columns of a new tab, when it needs more than a new sheet's 26. */
  readonly columnCount?: number;
  /**
   * The clock rewrites the whole tab: its headers are not checked (a person's change to them
   * is simply written over, and never stops the clock's other writes).
   */
  readonly owned?: true;
}

/**
 * Columns of the Totals tab: Name, Card, In since, and per period its Total, at most 6 weeks and
 * 31 days (a monthly period), twice.
 */
export const TOTALS_COLUMNS = 3 + 2 * (1 + 6 + 31);

const DATE: Omit<ColumnFormat, 'column'> = { type: 'DATE', pattern: 'yyyy-mm-dd' };
const DATE_TIME: Omit<ColumnFormat, 'column'> = { type: 'DATE_TIME', pattern: 'yyyy-mm-dd hh:mm' };
const DURATION: Omit<ColumnFormat, 'column'> = { type: 'TIME', pattern: '[h]:mm' };

export const LOG: TabLayout = {
  title: 'Log',
  headers: ['Session', 'Date', 'Name', 'Card', 'In', 'Out', 'Hours', 'Status', 'Reader'],
  formats: [
    { column: 1, ...DATE },
    { column: 4, ...DATE_TIME },
    { column: 5, ...DATE_TIME },
    { column: 6, ...DURATION },
  ],
  keyColumn: 0,
};

export const NOW: TabLayout = {
  title: 'Now',
  headers: ['Name', 'Card', 'In since', 'Hours', 'Updated'],
  formats: [
    { column: 2, ...DATE_TIME },
    { column: 3, ...DURATION },
    { column: 4, ...DATE_TIME },
  ],
  keyColumn: 0,
};

export const PEOPLE: TabLayout = {
  title: 'People',
  headers: ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'],
  formats: [{ column: 4, ...DATE_TIME }],
  keyColumn: 0,
};

/**
 * The audit trail of corrections (rule 13), append-only. `Key` holds the line's outbox key: a
 * batch sent again finds its lines by it and does not append them twice (editsTab.ts).
 */
export const EDITS: TabLayout = {
  title: 'Edits',
  headers: ['Seen', 'Session', 'Name', 'Field', 'Old', 'New', 'Result', 'Why', 'Source', 'Key'],
  formats: [
    { column: 0, ...DATE_TIME },
    { column: 4, ...DATE_TIME },
    { column: 5, ...DATE_TIME },
  ],
  keyColumn: 9,
};

/**
 * Per person, hours per day and week of the current and the previous pay period, side by
 * side (totalsTab.ts): rows 1-2 are headers (period titles, then Total, weeks and days),
 * a row per person below, sorted by name. Written whole by the clock, so never checked.
 */
export const TOTALS: TabLayout = {
  title: 'Totals',
  headers: ['Name', 'Card', 'In since'],
  formats: [
    { column: 2, ...DATE_TIME },
    { column: 3, through: TOTALS_COLUMNS - 1, ...DURATION },
  ],
  keyColumn: 0,
  frozen: { rows: 2, columns: 1 },
  columnCount: TOTALS_COLUMNS,
  owned: true,
};

export const TABS: readonly TabLayout[] = [LOG, NOW, PEOPLE, EDITS, TOTALS];

/** Column letter(s) of a 0-based index: A..Z, then AA..ZZ (the Totals tab reaches CA). */
export function columnLetter(index: number): string {
  const last = String.fromCharCode(65 + (index % 26));
  return index < 26 ? last : `${String.fromCharCode(64 + Math.floor(index / 26))}${last}`;
}

/** A1 range of one tab, with the sheet name quoted as Sheets expects. */
export function a1(tab: string, range: string): string {
  return `'${tab.replace(/'/g, "''")}'!${range}`;
}

/** A new row as the planner decided it, and the instant it is written. */
export interface LogRowInput extends NewRow {
  /** For an open session: hours so far, up to this instant. */
  readonly now: number;
}

/** One `Log` row: Session | Date | Name | Card | In | Out | Hours | Status | Reader. */
export function logRow(row: LogRowInput, zone: string): Cell[] {
  return [
    row.session,
    toSerialDate(row.inAt, zone),
    row.name ?? '',
    row.card,
    toSerial(row.inAt, zone),
    row.outAt === null ? '' : toSerial(row.outAt, zone),
    toSerialDuration((row.outAt ?? row.now) - row.inAt),
    row.status,
    row.reader,
  ];
}

/** The `Out | Hours | Status` cells of a closed session. */
export function closedCells(
  entry: Extract<OutboxEntry, { kind: 'session-closed' }>,
  zone: string,
): Cell[] {
  return [toSerial(entry.outAt, zone), toSerialDuration(entry.outAt - entry.inAt), entry.status];
}

/**
 * A `People` row the clock appends: `Card | Name | Active | Aliases | First seen | Note`, for a
 * card it saw first (blank name for the manager to fill, or a placeholder name and a note when
 * enrolled at the reader), or for a card given an alias that has no row.
 */
export function peopleRow(person: NewPerson, zone: string): Cell[] {
  return [
    person.card,
    person.name,
    person.active,
    person.aliases,
    person.firstSeen === null ? '' : toSerial(person.firstSeen, zone),
    person.note,
  ];
}

/**
 * An `Edits` line: `Seen | Session | Name | Field | Old | New | Result | Why | Source | Key`.
 * Times are serial date-times; a status, or text typed where a time belongs, stays text (RAW).
 */
export function editRow(
  entry: Extract<OutboxEntry, { kind: 'edit-logged' }>,
  zone: string,
): Cell[] {
  const value = (v: number | string | null): Cell =>
    typeof v === 'number' ? toSerial(v, zone) : (v ?? '');
  return [
    toSerial(entry.seenAt, zone),
    entry.session,
    entry.name ?? '',
    entry.field,
    value(entry.old),
    value(entry.new),
    entry.result,
    entry.why ?? '',
    entry.source,
    entry.key,
  ];
}

/** Headers as they should read, compared with what a person left there. */
export interface HeaderCheck {
  /** Safe differences: renamed headers; the clock carries on. */
  readonly warnings: string[];
  /** Unsafe differences: columns moved or the key column changed; the clock must not write. */
  readonly errors: string[];
}

/** A cell read back (UNFORMATTED_VALUE) as text: strings as they are, numbers and booleans printed. */
export function cellText(cell: unknown): string {
  if (typeof cell === 'string') return cell;
  if (typeof cell === 'number' || typeof cell === 'boolean') return String(cell);
  return '';
}

const norm = (cell: unknown): string => cellText(cell).trim().toLowerCase();

/** Says exactly how a tab's header row differs from the layout, and whether writing is still safe. */
export function checkHeaders(layout: TabLayout, actual: readonly unknown[]): HeaderCheck {
  const warnings: string[] = [];
  const errors: string[] = [];
  const expected = layout.headers.map((h) => h.toLowerCase());
  layout.headers.forEach((header, index) => {
    const found = norm(actual[index]);
    if (found === header.toLowerCase()) return;
    const cell = `${layout.title}!${columnLetter(index)}1`;
    const movedTo = actual.findIndex(
      (value, i) => i !== index && norm(value) === header.toLowerCase(),
    );
    if (movedTo !== -1) {
      errors.push(
        `${cell}: "${header}" is now in column ${columnLetter(movedTo)}; columns were moved, and the clock writes by position`,
      );
    } else if (index === layout.keyColumn) {
      errors.push(
        `${cell}: expected "${header}", found ${JSON.stringify(actual[index] ?? '')}; rows are found by this column`,
      );
    } else if (found === '') {
      warnings.push(
        `${cell}: header "${header}" is empty; the clock still writes ${header} in this column`,
      );
    } else if (expected.includes(found)) {
      errors.push(
        `${cell}: expected "${header}", found "${String(actual[index])}" (another column's header)`,
      );
    } else {
      warnings.push(
        `${cell}: header renamed from "${header}" to "${String(actual[index])}"; the clock still writes ${header} here`,
      );
    }
  });
  return { warnings, errors };
}
