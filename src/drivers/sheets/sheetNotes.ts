/**
 * Where the manager sees what became of an edit typed into `Log` (rule 13):
 * a rejected one is flagged by a note on the cell they typed into, saying
 * what is wrong (the value itself is never written over); one that applied
 * clears that cell's note. Notes go on the cells of the row its session's
 * tag is on as the batch found it, in the batch's own request, so they are
 * placed before any row the batch inserts moves them. The Edits tab has the
 * same line (editsTab.ts).
 */
import type { sheets_v4 } from '@googleapis/sheets';
import type { OutboxEntry } from '../../../streams/commit';
import { ROW_DELETED, type EditField } from '../../../streams/sheetEdits';
import { formatLocalDateTime } from '../../../streams/zoned';
import type { FoundTag } from './rowTags';

/** Columns of Log a manager's edit is read from (0-based): In, Out, Status. */
const COLUMN: Readonly<Record<EditField, number>> = { in: 4, out: 5, status: 7 };

/** The note requests for a batch's sheet edits: the last word on each cell of each session. */
export function noteRequests(
  entries: readonly OutboxEntry[],
  rowsOf: ReadonlyMap<string, readonly FoundTag[]>,
  logSheetId: number,
  zone: string,
): sheets_v4.Schema$Request[] {
  const notes = new Map<string, { session: string; field: EditField; note: string }>();
  for (const entry of entries) {
    if (entry.kind !== 'edit-logged' || entry.source !== 'sheet' || entry.new === ROW_DELETED)
      continue;
    const note =
      entry.result === 'applied'
        ? ''
        : `Not applied: ${entry.result.replace(/^rejected: /, '')}. (badgeclock, ${formatLocalDateTime(entry.seenAt, zone)}; see Edits)`;
    notes.set(`${entry.session}\u0000${entry.field}`, {
      session: entry.session,
      field: entry.field,
      note,
    });
  }
  return [...notes.values()].flatMap(({ session, field, note }) => {
    // The row tagged first, as the batch keeps it (a second row is a duplicate it marks).
    const [row] = [...(rowsOf.get(session) ?? [])].sort((a, b) => a.id - b.id);
    if (row === undefined) return [];
    return [
      {
        updateCells: {
          start: { sheetId: logSheetId, rowIndex: row.row, columnIndex: COLUMN[field] },
          rows: [{ values: [{ note }] }],
          fields: 'note',
        },
      },
    ];
  });
}
