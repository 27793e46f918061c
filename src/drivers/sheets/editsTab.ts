/**
 * The Edits part of a batch (rule 13): a line per field of each correction,
 * appended, never rewritten nor deleted. One read, of the tab's columns
 * (where its data ends, whatever column a person typed into below the last
 * line; Key, which lines it has), and the pure planner (`planEdits` in streams/batchPlan.ts) leaves out the lines the
 * tab has already, so a batch sent again (one that timed out and landed)
 * appends nothing twice. The new lines go below the data with the batch's
 * other value writes, in the same request; every value is RAW (rule 10).
 *
 * Why a Key column and not row tags, as Log has: a tagged row must be written
 * with batchUpdate (the tag is no value), which a correction batch does not
 * otherwise send, so tags would cost a write request where the key costs one
 * read; and a request that lands after its resend read the tab writes the same
 * lines into the same rows, so it cannot add them twice either. The price: a
 * row a person inserts in Edits between the read and the write (milliseconds)
 * puts the last line under the new ones; an append could not keep the promise
 * above.
 */
import { planEdits } from '../../../streams/batchPlan';
import type { OutboxEntry } from '../../../streams/commit';
import { a1, cellText, columnLetter, EDITS, editRow } from './layout';
import type { SheetCalls } from './sheetCalls';
import type { DataFilterValueRange } from './sheetsApi';

/** The last column of Edits (J). */
const LAST = columnLetter(EDITS.headers.length - 1);

/** Reads Edits once, if the batch logs an edit, and plans the lines to write below its data. */
export async function editWrites(
  batchGet: SheetCalls['batchGet'],
  entries: readonly OutboxEntry[],
  zone: string,
): Promise<{ writes: DataFilterValueRange[]; requests: number }> {
  if (!entries.some((entry) => entry.kind === 'edit-logged')) return { writes: [], requests: 0 };
  // Every column: a note a person typed below the last line must not be written over (audit).
  const [rows = []] = await batchGet([a1(EDITS.title, `A:${LAST}`)]);
  const lines = planEdits(entries, new Set(rows.map((row) => cellText(row[EDITS.keyColumn]))));
  if (lines.length === 0) return { writes: [], requests: 1 };
  // Below the last row with anything in it (the header at least).
  const first = Math.max(rows.length, 1) + 1;
  const last = first + lines.length - 1;
  return {
    writes: [
      {
        dataFilter: { a1Range: a1(EDITS.title, `A${first}:${LAST}${last}`) },
        majorDimension: 'ROWS',
        values: lines.map((line) => editRow(line, zone)),
      },
    ],
    requests: 1,
  };
}
