/**
 * The batch writer: writes a batch of outbox entries to the sheet,
 * idempotently, so the driver can send a whole batch again. It finds the
 * batch's sessions by their tags (logRows.ts), lets the pure planner
 * (`streams/batchPlan.ts`) decide which sessions are inserted, which rows
 * written, which are duplicates and which cards listed, and turns the plan
 * into requests: new rows with their tags in one atomic request, closes,
 * corrections and names through data filters on the tags, new cards appended
 * to People. It remembers a batch that failed, so that sending it again is
 * known (its inserts become suspects of a late second row: lateWrites.ts).
 */
import type { sheets_v4 } from '@googleapis/sheets';
import { normaliseCardId } from '../../../streams/cardId';
import { planBatch, planNewPeople, sessionsOf, type RowWrite } from '../../../streams/batchPlan';
import type { OutboxEntry } from '../../../streams/commit';
import { toSerial, toSerialDate, toSerialDuration } from '../../../streams/zoned';
import { a1, cellText, columnLetter, logRow, PEOPLE, peopleRow, type Cell } from './layout';
import type { LateWrites } from './lateWrites';
import { healDuplicates, insertionRow, searchSessions, taggedRows, toSession } from './logRows';
import { CARD_TAG, SESSION_TAG, TAIL_TAG, tagFilter, tagRows, type FoundTag } from './rowTags';
import type { SheetCalls } from './sheetCalls';
import type { DataFilterValueRange } from './sheetsApi';
import type { SheetSetUp } from './sheetSetUp';

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
  const { calls, sheet, late, zone } = context;
  const { call, batchGet } = calls;
  const { setUp, logSheetId } = sheet;
  /** Keys of the last batch that failed: a batch with any of them is being sent again. */
  let failedKeys: ReadonlySet<string> | null = null;

  /** Writes a batch; remembers its keys when it fails, so that sending it again is known. */
  const writeBatch = async (entries: readonly OutboxEntry[], now: number): Promise<number> => {
    const resent = failedKeys === null || entries.some((entry) => failedKeys?.has(entry.key));
    try {
      const requests = await writeEntries(entries, now, resent);
      failedKeys = new Set();
      return requests;
    } catch (error) {
      failedKeys = new Set(entries.map((entry) => entry.key));
      throw error;
    }
  };

  const writeEntries = async (
    entries: readonly OutboxEntry[],
    now: number,
    resent: boolean,
  ): Promise<number> => {
    let requests = await setUp().then(() => 0);
    const sheetId = logSheetId();

    // Which of this batch's sessions already have a row (written before a crash, or by a
    // request that timed out and still landed), and where the tail is.
    const sessions = sessionsOf(entries);
    let rowsOf = new Map<string, FoundTag[]>();
    let tail: FoundTag | undefined;
    if (sessions.length > 0) {
      const opens = entries.some((entry) => entry.kind === 'session-opened');
      ({ rowsOf, tail } = await searchSessions(call, logSheetId, sessions, opens));
      requests += 1;
    }
    const plan = planBatch(entries, taggedRows(rowsOf));
    const { writes, untag } = healDuplicates(plan.duplicates);

    const insert: Request[] = [];
    if (plan.insert.length > 0) {
      const { row, reads } = await insertionRow(batchGet, tail);
      requests += reads;
      const rows = plan.insert.map((fresh) => logRow({ ...fresh, now }, zone));
      insert.push(
        ...(tail === undefined
          ? []
          : [{ deleteDeveloperMetadata: { dataFilter: tagFilter(TAIL_TAG) } }]),
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
        ...plan.insert.flatMap((fresh, i) => [
          tagRows(sheetId, row + i, SESSION_TAG, fresh.session),
          tagRows(sheetId, row + i, CARD_TAG, fresh.card),
        ]),
        tagRows(sheetId, row + rows.length - 1, TAIL_TAG, ''),
      );
    }

    writes.push(...plan.writes.map(rowWrite));
    // What a live update that may still land late could overwrite: the last write per session.
    const final = new Map(plan.final.map((write) => [write.session, rowWrite(write)]));
    // A name typed into People for a card clocked without one: into that card's rows still blank.
    const named = entries.filter((e) => e.kind === 'name-filled');
    if (named.length > 0) {
      const byCard = new Map(named.map((entry) => [entry.card, entry.name]));
      const matched = await call((port) =>
        port.batchGetByDataFilter([...byCard.keys()].map((card) => tagFilter(CARD_TAG, card))),
      );
      requests += 1;
      for (const range of matched.valueRanges ?? []) {
        const card = range.dataFilters?.[0]?.developerMetadataLookup?.metadataValue;
        const name = card === undefined || card === null ? undefined : byCard.get(card);
        const row = range.valueRange?.values?.[0] ?? [];
        const session: unknown = row[0];
        if (name === undefined || typeof session !== 'string' || session === '') continue;
        if (cellText(row[2]).trim() !== '') continue;
        writes.push(toSession(session, [null, null, name]));
      }
    }

    // People: cards seen for the first time, appended once (found by card, not by row).
    let newPeople: ReturnType<typeof planNewPeople> = [];
    if (entries.some((entry) => entry.kind === 'card-listed')) {
      const [rows = []] = await batchGet([a1(PEOPLE.title, 'A2:A')]);
      requests += 1;
      const inPeople = new Set(
        rows.map((row) => normaliseCardId(cellText(row[0]))).flatMap((r) => (r.ok ? [r.card] : [])),
      );
      newPeople = planNewPeople(entries, inPeople);
    }

    if (insert.length > 0) {
      await call((port) => port.batchUpdate(insert));
      requests += 1;
    }
    if (resent) for (const fresh of plan.insert) late.suspect(fresh.session, now);
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
    if (newPeople.length > 0) {
      await call((port) =>
        port.append(
          a1(PEOPLE.title, `A:${columnLetter(PEOPLE.headers.length - 1)}`),
          newPeople.map((e) => peopleRow(e.card, e.at, zone)),
        ),
      );
      requests += 1;
    }
    return requests;
  };

  /** A planned write to a session's row, as cells (null: left as it is). */
  const rowWrite = (write: RowWrite): DataFilterValueRange => {
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
    }
  };

  return writeBatch;
}
