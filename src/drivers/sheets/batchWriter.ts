/**
 * The batch writer: writes a batch of outbox entries to the sheet,
 * idempotently, so the driver can send a whole batch again. It finds the
 * batch's sessions by their tags (logRows.ts), lets the pure planner
 * (`streams/batchPlan.ts`) decide which sessions are inserted, which rows
 * written, which are duplicates and which cards listed, and turns the plan
 * into requests: new rows with their tags in one atomic request, closes,
 * corrections, a manager's fixes and names through data filters on the tags,
 * People's part (peopleWrites.ts): new cards appended, aliases written into
 * their rows' Aliases cells with the other value writes, and the Edits lines
 * of corrections (editsTab.ts), with the value writes too. It remembers a batch that
 * failed, so that sending it again is known (its inserts become suspects of a
 * late second row: lateWrites.ts).
 */
import type { sheets_v4 } from '@googleapis/sheets';
import {
  planBatch,
  sessionsOf,
  type FixWrite,
  type NewRow,
  type RowWrite,
} from '../../../streams/batchPlan';
import type { OutboxEntry } from '../../../streams/commit';
import { toSerial, toSerialDate, toSerialDuration } from '../../../streams/zoned';
import { editWrites } from './editsTab';
import { cellText, logRow, type Cell } from './layout';
import type { LateWrites } from './lateWrites';
import { healDuplicates, insertionRow, searchSessions, taggedRows, toSession } from './logRows';
import { appendPeople, peopleWrites } from './peopleWrites';
import { CARD_TAG, SESSION_TAG, TAIL_TAG, tagFilter, tagRows, type FoundTag } from './rowTags';
import type { SheetCalls } from './sheetCalls';
import type { DataFilterValueRange } from './sheetsApi';
import type { SheetSetUp } from './sheetSetUp';
import { noteRequests } from './sheetNotes';

type Request = sheets_v4.Schema$Request;

/** A value cell for updateCells: RAW, so text is never taken for a formula. */
function cellData(cell: Cell): sheets_v4.Schema$CellData {
  if (typeof cell === 'number') return { userEnteredValue: { numberValue: cell } };
  if (typeof cell === 'boolean') return { userEnteredValue: { boolValue: cell } };
  return cell === '' ? {} : { userEnteredValue: { stringValue: cell } };
}

/** What the batch writer works with: calls, set-up, late-write bookkeeping, the time zone. */
export interface BatchWriterContext {
  readonly calls: SheetCalls;
  readonly sheet: SheetSetUp;
  readonly late: LateWrites;
  readonly zone: string;
}

/** Makes `writeBatch(entries, now)`, which resolves to the number of requests it made. */
export function makeBatchWriter(
  context: BatchWriterContext,
): (entries: readonly OutboxEntry[], now: number) => Promise<number> {
  /** Keys of the last batch that failed: a batch with any of them is being sent again. */
  let failedKeys: ReadonlySet<string> | null = null;
  // Remembers the keys of a batch that fails, so that sending it again is known.
  return async (entries, now) => {
    const resent = failedKeys === null || entries.some((entry) => failedKeys?.has(entry.key));
    try {
      const requests = await writeEntries(context, entries, now, resent);
      failedKeys = new Set();
      return requests;
    } catch (error) {
      failedKeys = new Set(entries.map((entry) => entry.key));
      context.late.writeFailed();
      throw error;
    }
  };
}

/** Writes one batch: finds its rows, plans it, and sends the plan as requests, in order. */
async function writeEntries(
  context: BatchWriterContext,
  entries: readonly OutboxEntry[],
  now: number,
  resent: boolean,
): Promise<number> {
  const { calls, sheet, late, zone } = context;
  const { call, batchGet } = calls;
  let requests = await sheet.setUp().then(() => 0);
  const sheetId = sheet.logSheetId();

  // Which of this batch's sessions already have a row (written before a crash, or by a
  // request that timed out and still landed), and where the tail is.
  const sessions = sessionsOf(entries);
  let rowsOf = new Map<string, FoundTag[]>();
  let tail: FoundTag | undefined;
  if (sessions.length > 0) {
    const opens = entries.some((entry) => entry.kind === 'session-opened');
    ({ rowsOf, tail } = await searchSessions(call, sheet.logSheetId, sessions, opens));
    requests += 1;
  }
  const plan = planBatch(entries, taggedRows(rowsOf));
  const { writes, untag } = healDuplicates(plan.duplicates);

  // Notes on cells edited in the sheet go first, on the rows as found, before inserts move them.
  const insert: Request[] = noteRequests(entries, rowsOf, sheetId, zone);
  if (plan.insert.length > 0) {
    const { row, reads } = await insertionRow(batchGet, tail);
    requests += reads;
    insert.push(...insertRequests(sheetId, row, plan.insert, tail !== undefined, now, zone));
  }

  writes.push(...plan.writes.map((write) => rowWrite(write, zone)));
  // What a live update that may still land late could overwrite: the last write per session.
  const final = new Map(plan.final.map((write) => [write.session, rowWrite(write, zone)]));
  const names = await nameWrites(call, entries);
  writes.push(...names.writes);
  requests += names.requests;
  const people = await peopleWrites(batchGet, entries);
  writes.push(...people.writes);
  requests += people.requests;
  const edits = await editWrites(batchGet, entries, zone);
  writes.push(...edits.writes);
  requests += edits.requests;

  if (insert.length > 0) {
    await call((port) => port.batchUpdate(insert));
    requests += 1;
  }
  // Sent again: an earlier attempt's insert may still land, whether this attempt inserts the
  // row or finds one (another attempt's, which landed first): every session it opens is a suspect.
  if (resent)
    for (const entry of entries)
      if (entry.kind === 'session-opened') late.suspect(entry.session, now);
  late.finals(final, now);
  if (writes.length > 0) {
    await call((port) => port.batchUpdateByDataFilter(writes));
    requests += 1;
  }
  // Duplicates lose their tag only once they are marked (the mark is written through it).
  if (untag.length > 0) {
    await call((port) => port.batchUpdate(untag));
    requests += 1;
  }
  requests += await appendPeople(call, people.append, zone);
  return requests;
}

/**
 * New rows below the tail (or the data's end), with their cells and their tags, in one
 * atomic request: the tail tag moves to the last of them.
 */
function insertRequests(
  sheetId: number,
  row: number,
  fresh: readonly NewRow[],
  hadTail: boolean,
  now: number,
  zone: string,
): Request[] {
  const rows = fresh.map((session) => logRow({ ...session, now }, zone));
  return [
    ...(hadTail ? [{ deleteDeveloperMetadata: { dataFilter: tagFilter(TAIL_TAG) } }] : []),
    {
      insertDimension: {
        range: { sheetId, dimension: 'ROWS', startIndex: row, endIndex: row + rows.length },
        // Formats (dates, durations) come from the row above, unless that is the header.
        inheritFromBefore: row > 1,
      },
    },
    {
      updateCells: {
        start: { sheetId, rowIndex: row, columnIndex: 0 },
        rows: rows.map((cells) => ({ values: cells.map(cellData) })),
        fields: 'userEnteredValue',
      },
    },
    ...fresh.flatMap((session, i) => [
      tagRows(sheetId, row + i, SESSION_TAG, session.session),
      tagRows(sheetId, row + i, CARD_TAG, session.card),
    ]),
    tagRows(sheetId, row + rows.length - 1, TAIL_TAG, ''),
  ];
}

/**
 * A name typed into People for a card clocked without one: into that card's rows still blank,
 * or still showing the placeholder it was enrolled under (a name the manager typed stays).
 */
async function nameWrites(
  call: SheetCalls['call'],
  entries: readonly OutboxEntry[],
): Promise<{ writes: DataFilterValueRange[]; requests: number }> {
  const named = entries.filter((e) => e.kind === 'name-filled');
  if (named.length === 0) return { writes: [], requests: 0 };
  const byCard = new Map(named.map((entry) => [entry.card, entry]));
  const matched = await call((port) =>
    port.batchGetByDataFilter([...byCard.keys()].map((card) => tagFilter(CARD_TAG, card))),
  );
  const writes: DataFilterValueRange[] = [];
  for (const range of matched.valueRanges ?? []) {
    const card = range.dataFilters?.[0]?.developerMetadataLookup?.metadataValue;
    const fill = card === undefined || card === null ? undefined : byCard.get(card);
    const row = range.valueRange?.values?.[0] ?? [];
    const session: unknown = row[0];
    if (fill === undefined || typeof session !== 'string' || session === '') continue;
    const shown = cellText(row[2]).trim();
    if (shown !== '' && shown !== fill.placeholder) continue;
    writes.push(toSession(session, [null, null, fill.name]));
  }
  return { writes, requests: 1 };
}

/** A planned write to a session's row, as cells (null: left as it is). */
function rowWrite(write: RowWrite, zone: string): DataFilterValueRange {
  switch (write.kind) {
    case 'close':
      return toSession(write.session, [
        null,
        null,
        null,
        null,
        null,
        toSerial(write.outAt, zone),
        toSerialDuration(write.outAt - write.inAt),
        write.status,
        // RAW, like every text the clock writes (rule 10).
        ...(write.readers === undefined ? [] : [write.readers]),
      ]);
    case 'correct': {
      const times: (Cell | null)[] = [
        null,
        toSerialDate(write.inAt, zone),
        null,
        null,
        toSerial(write.inAt, zone),
      ];
      return toSession(
        write.session,
        write.outAt === null
          ? times
          : [...times, toSerial(write.outAt, zone), toSerialDuration(write.outAt - write.inAt)],
      );
    }
    case 'card':
      return toSession(write.session, [null, null, null, write.card]);
    case 'fix': {
      // Cells typed in the sheet are left as typed (rule 13); Hours follows them.
      const typed = (field: 'in' | 'out' | 'status', cell: Cell): Cell | null =>
        write.typed?.includes(field) === true ? null : cell;
      return toSession(write.session, [
        null,
        toSerialDate(write.inAt, zone),
        null,
        null,
        typed('in', toSerial(write.inAt, zone)),
        typed('out', write.outAt === null ? '' : toSerial(write.outAt, zone)),
        fixedHours(write),
        typed('status', write.status),
        ...(write.readers === undefined ? [] : [write.readers]),
      ]);
    }
  }
}

/** A fixed row's Hours: Out − In; the live view's while open; blank for a void never closed. */
function fixedHours(write: FixWrite): Cell | null {
  if (write.outAt !== null) return toSerialDuration(write.outAt - write.inAt);
  return write.status === 'in' ? null : '';
}
