/**
 * Finding and healing the rows of `Log`, by their tags (rowTags.ts), never by
 * a row number: which rows a session is on and where the tail is
 * (`searchSessions`), where new rows go (`insertionRow`), a write to the row
 * tagged with a session (`toSession`), and the requests that mark and untag
 * a session's extra rows (`healDuplicates`). Used by the batch writer and the
 * live view.
 */
import type { sheets_v4 } from '@googleapis/sheets';
import type { BatchPlan, TaggedRow } from '../../../streams/batchPlan';
import { a1, LOG, type Cell } from './layout';
import { foundTags, SESSION_TAG, TAIL_TAG, tagFilter, type FoundTag } from './rowTags';
import type { SheetCalls } from './sheetCalls';
import type { DataFilterValueRange } from './sheetsApi';

type Request = sheets_v4.Schema$Request;

/** A write to the row tagged with `session`: null cells are left as they are. */
export function toSession(session: string, cells: (Cell | null)[]): DataFilterValueRange {
  return {
    dataFilter: tagFilter(SESSION_TAG, session),
    majorDimension: 'ROWS',
    values: [cells],
  };
}

/**
 * Sessions on more than one row (a write that timed out, landed, and was sent again), as the
 * planner found them: each extra row is marked as a duplicate, its times blanked, and untagged, by its own tag
 * id, so no sort in between can make this touch another row.
 */
export function healDuplicates(duplicates: BatchPlan['duplicates']): {
  writes: DataFilterValueRange[];
  untag: Request[];
} {
  const writes: DataFilterValueRange[] = [];
  const untag: Request[] = [];
  for (const { session, tagId } of duplicates) {
    const byId = { developerMetadataLookup: { metadataId: tagId } };
    writes.push({
      dataFilter: byId,
      majorDimension: 'ROWS',
      // In, Out and Hours blanked: a sum of Hours counts the session once, on its own row.
      values: [[`${session} (duplicate)`, null, null, null, '', '', '', 'duplicate']],
    });
    untag.push({ deleteDeveloperMetadata: { dataFilter: byId } });
  }
  return { writes, untag };
}

/** The rows found, as the planner takes them. */
export function taggedRows(
  rowsOf: ReadonlyMap<string, readonly FoundTag[]>,
): Map<string, TaggedRow[]> {
  return new Map(
    [...rowsOf].map(([session, tags]) => [
      session,
      tags.map((tag) => ({ tagId: tag.id, row: tag.row })),
    ]),
  );
}

/** The session tags of these sessions, as they are now: session → the rows it is on. */
export async function searchSessions(
  call: SheetCalls['call'],
  logSheetId: () => number,
  sessions: readonly string[],
  withTail: boolean,
): Promise<{ rowsOf: Map<string, FoundTag[]>; tail: FoundTag | undefined }> {
  const found = foundTags(
    await call((port) =>
      port.searchMetadata([
        ...sessions.map((session) => tagFilter(SESSION_TAG, session)),
        ...(withTail ? [tagFilter(TAIL_TAG)] : []),
      ]),
    ),
  );
  const rowsOf = new Map<string, FoundTag[]>();
  let tail: FoundTag | undefined;
  const seen = new Set<number>();
  const log = logSheetId();
  for (const tag of found) {
    // Only rows of the Log tab count: a tab renamed to archive old rows keeps their tags.
    if (seen.has(tag.id) || tag.sheetId !== log) continue;
    seen.add(tag.id);
    if (tag.key === TAIL_TAG) tail = tail === undefined || tag.row > tail.row ? tag : tail;
    if (tag.key !== SESSION_TAG) continue;
    rowsOf.set(tag.value, [...(rowsOf.get(tag.value) ?? []), tag]);
  }
  return { rowsOf, tail };
}

/** Where the next new rows go: just below the tail row, or below the last row with data. */
export async function insertionRow(
  batchGet: SheetCalls['batchGet'],
  tail: FoundTag | undefined,
): Promise<{ row: number; reads: number }> {
  if (tail !== undefined) return { row: tail.row + 1, reads: 0 };
  // The tail row was deleted by a person (or this is the first row): find the end of the data once.
  const [column = []] = await batchGet([a1(LOG.title, 'A:A')]);
  return { row: Math.max(1, column.length), reads: 1 };
}
