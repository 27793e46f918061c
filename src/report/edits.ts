/**
 * `report --edits`: the audit trail of corrections (rule 13) — when each was
 * seen, the session, the person, the field, old and new value, applied or
 * rejected and why, and where it came from — as text or CSV.
 */
import type { EditRow } from '../drivers/store/store';
import { csvLine } from '../formats/csv';
import { neutraliseFormula, nobodyGoesBy, peopleAskedFor } from './report';
import type { Directory } from '../../streams/directory';
import { personKey } from '../../streams/personKey';
import { formatLocalDateTimeExact } from '../../streams/zoned';

const HEADER = ['Seen', 'Session', 'Name', 'Field', 'Old', 'New', 'Result', 'Why', 'Source'];

/**
 * A value as a person reads it: a time in the zone, anything else as it is. A time in the
 * repeated hour of a fall-back night carries its offset, as in the report's session list: a
 * move from the first 02:30 to the second would otherwise read as 02:30 to 02:30.
 * A time is what the store writes for one (`toISOString`); text a manager typed that was
 * not a time (`2026-02-30T10:00`) stays as typed, not read as some other day or zone.
 */
function shown(value: string | null, zone: string): string {
  if (value === null) return '';
  const at = Date.parse(value);
  const recorded = !Number.isNaN(at) && new Date(at).toISOString() === value;
  return recorded ? formatLocalDateTimeExact(at, zone) : value;
}

function cells(row: EditRow, zone: string): string[] {
  return [
    formatLocalDateTimeExact(row.seenAt, zone),
    row.session,
    row.name ?? row.card,
    row.field,
    shown(row.old, zone),
    shown(row.new, zone),
    row.applied ? 'applied' : `rejected: ${row.reason ?? ''}`,
    row.why ?? '',
    row.source,
  ];
}

/**
 * The corrections of the person `person` names, as `report --person` finds them: any of
 * their names or cards, People's or their sessions'.
 */
export function editsOfPerson(
  rows: readonly EditRow[],
  person: string,
  directory: Directory,
): EditRow[] {
  const asked = peopleAskedFor(rows, person, directory);
  return rows.filter((row) => asked.has(personKey(directory, row.card)));
}

/**
 * The edits as aligned text, one per line, or a line saying there are none, and, when
 * `unknown` is the `--person` nobody answers to, that no one does (a typo, not a person
 * without corrections).
 */
export function formatEdits(rows: readonly EditRow[], zone: string, unknown?: string): string {
  if (rows.length === 0)
    return unknown === undefined
      ? 'No corrections in these days.\n'
      : `No corrections in these days.\n${nobodyGoesBy(unknown.trim())}\n`;
  const table = [HEADER, ...rows.map((row) => cells(row, zone))];
  // A fold, not Math.max(...): years of a large site's corrections would overflow the stack.
  const widths = HEADER.map((_, i) =>
    table.reduce((widest, line) => Math.max(widest, (line[i] ?? '').length), 0),
  );
  return table
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** The edits as RFC 4180 CSV (CRLF), a header first. */
export function editsCsv(rows: readonly EditRow[], zone: string): string {
  return [HEADER, ...rows.map((row) => cells(row, zone))]
    .map((line) => `${csvLine(line.map(neutraliseFormula))}\r\n`)
    .join('');
}
