/**
 * The Sheets I/O: the first-run setup of the tabs, ordered writes of outbox
 * batches, the per-minute live update and the doctor's check, over the
 * `SheetsApi` port (the Google client live, a spreadsheet model in the
 * simulation). Each call is a Promise; the driver turns them into
 * observables and decides about retries.
 *
 * Rows of `Log` are found by their tags (developer metadata: rowTags.ts),
 * never by a row number: a batch searches the tags of its sessions, inserts
 * new rows together with their tags in one atomic request, and writes closes,
 * corrections, names and live hours through data filters on those tags. A
 * batch is idempotent (a session already tagged is not inserted again), so
 * the driver can safely run a whole batch again; no request reads all of
 * `Log`, so what a minute costs does not grow with its length.
 */
import type { sheets_v4 } from '@googleapis/sheets';
import { normaliseCardId } from '../../../streams/cardId';
import {
  planBatch,
  planNewPeople,
  sessionsOf,
  type BatchPlan,
  type RowWrite,
  type TaggedRow,
} from '../../../streams/batchPlan';
import type { OutboxEntry } from '../../../streams/commit';
import type { Person } from '../../../streams/directory';
import type { LiveUpdate } from '../../../streams/events';
import {
  formatLocalDateTime,
  toSerial,
  toSerialDate,
  toSerialDuration,
} from '../../../streams/zoned';
import {
  a1,
  cellText,
  checkHeaders,
  columnLetter,
  logRow,
  LOG,
  NOW,
  PEOPLE,
  peopleRow,
  TABS,
  type Cell,
  type TabLayout,
} from './layout';
import {
  CARD_TAG,
  foundTags,
  SESSION_TAG,
  TAGGED_TAG,
  TAIL_TAG,
  tagFilter,
  tagRows,
  type FoundTag,
} from './rowTags';
import { makeGoogleSheetsApi, type DataFilterValueRange, type SheetsApi } from './sheetsApi';
import { loadServiceAccount } from './serviceAccount';
import { classify, SheetError } from './sheetError';

export { loadServiceAccount } from './serviceAccount';

export interface SheetsClientOptions {
  readonly spreadsheetId: string;
  readonly keyFile: string;
  readonly rootUrl: string;
  readonly timeoutMs: number;
  readonly zone: string;
  /** This clock's name and version, for the health block on the Now tab. */
  readonly device: string;
  readonly version: string;
  /** Non-fatal findings (a renamed header, a bad People row). */
  readonly warn: (message: string) => void;
  /** See GoogleSheetsApiOptions.fetchImplementation. */
  readonly fetchImplementation?: typeof fetch;
  /** The API to talk to; default: the Google client for spreadsheetId, keyFile and rootUrl. */
  readonly api?: SheetsApi;
}

export interface SheetsClient {
  readonly account: string;
  /** Creates missing tabs, checks headers, tags rows written before tags existed; memoised until it fails. */
  setUp(): Promise<number>;
  /** Writes a batch of outbox entries, idempotently. Returns the number of requests made. */
  writeBatch(entries: readonly OutboxEntry[], now: number): Promise<number>;
  /** The live view: open sessions' hours and the Now tab; returns the People tab it read on the way. */
  liveUpdate(
    open: LiveUpdate['open'],
    at: number,
    health: LiveUpdate['health'],
  ): Promise<{ people: Person[]; requests: number }>;
  /** Reads the People tab alone (at start). */
  readPeople(): Promise<Person[]>;
  /**
   * The doctor's check: reachable, writable, and tabs and headers the clock
   * can use. Changes nothing: write access is proven by setting the title to
   * itself. Rejects with the SheetError of the first request that fails.
   */
  check(): Promise<SheetCheck>;
}

export interface SheetCheck {
  readonly title: string;
  /** False when the server would not take the no-op write that proves edit access. */
  readonly writeConfirmed: boolean;
  /** Tabs the clock will create on its first start. */
  readonly missingTabs: readonly string[];
  /** Header changes that stop the clock's writes (moved or removed columns). */
  readonly headerErrors: readonly string[];
  /** Header changes the clock lives with (renamed columns). */
  readonly headerWarnings: readonly string[];
}

type Request = sheets_v4.Schema$Request;

/** Legacy rows are tagged in chunks, so no request body grows without bound. */
const TAG_CHUNK = 2_000;

/** A value cell for updateCells: RAW, so text is never taken for a formula. */
function cellData(cell: Cell): sheets_v4.Schema$CellData {
  if (typeof cell === 'number') return { userEnteredValue: { numberValue: cell } };
  if (typeof cell === 'boolean') return { userEnteredValue: { boolValue: cell } };
  return cell === '' ? {} : { userEnteredValue: { stringValue: cell } };
}

/** Makes the client. */
export function makeSheetsClient(options: SheetsClientOptions): SheetsClient {
  const { spreadsheetId, zone, warn } = options;
  const account = safeAccount(options.keyFile);
  const context = { spreadsheetId, account };
  const api = options.api ?? makeGoogleSheetsApi(options);
  let setUpDone: Promise<number> | null = null;
  /** The tabs' grid ids, learnt at set-up. */
  const sheetIds = new Map<string, number>();
  /** How many rows of the Now tab hold a list, from the last update (null: not known yet). */
  let nowRows: number | null = null;
  /**
   * Sessions inserted by a batch sent again (after a failure, or as the first batch of this
   * process): the first attempt may still land late and make a second row. The live update
   * looks once, when the first attempt would have landed, and a second row is marked as a
   * duplicate (so does any batch that touches the session). Session → when to look.
   */
  const suspects = new Map<string, number>();
  /**
   * A live update that failed may still land late, after a close has fixed the row's Hours: until
   * then, what closes write is written again by the first live update after this instant.
   */
  let liveUncertainUntil = -Infinity;
  /** Final cells written while a failed live update could still land: session → write, when. */
  const reassert = new Map<string, { write: DataFilterValueRange; at: number }>();
  /**
   * By when a request that timed out has landed, if it ever does: a timeout and a minute after
   * the attempt that followed it (the first attempt was sent a timeout before that one).
   */
  const lateWithin = options.timeoutMs + 60_000;
  /** Keys of the last batch that failed: a batch with any of them is being sent again. */
  let failedKeys: ReadonlySet<string> | null = null;

  /** Runs one API call; every failure becomes a SheetError. */
  const call = async <T>(work: (port: SheetsApi) => Promise<T>): Promise<T> => {
    try {
      return await work(api);
    } catch (error) {
      throw classify(error, context);
    }
  };

  const batchGet = async (ranges: string[]): Promise<unknown[][][]> => {
    const response = await call((port) => port.batchGet(ranges));
    return ranges.map((_, i) => (response.valueRanges?.[i]?.values ?? []) as unknown[][]);
  };

  const writeValues = async (data: { range: string; values: Cell[][] }[]): Promise<void> => {
    await call((port) => port.batchUpdateValues(data));
  };

  /** Reads the header rows of tabs that exist: which are blank, and what changed in the others. */
  const inspectHeaders = async (
    present: readonly TabLayout[],
  ): Promise<{ blank: TabLayout[]; errors: string[]; warnings: string[] }> => {
    const headers = await batchGet(present.map((tab) => a1(tab.title, '1:1')));
    const blank: TabLayout[] = [];
    const errors: string[] = [];
    const warnings: string[] = [];
    present.forEach((tab, i) => {
      const row = headers[i]?.[0] ?? [];
      // An empty header row holds no data: a tab a person just created, or a setup cut short.
      if (row.every((cell) => cellText(cell).trim() === '')) {
        blank.push(tab);
        return;
      }
      const check = checkHeaders(tab, row);
      warnings.push(...check.warnings);
      errors.push(...check.errors);
    });
    return { blank, errors, warnings };
  };

  const logSheetId = (): number => {
    const id = sheetIds.get(LOG.title);
    if (id === undefined) throw new SheetError('the Log tab is missing', 'retry');
    return id;
  };

  /**
   * Tags the rows of `Log` written before rows were tagged (an older
   * badgeclock), once: its whole session column is read this one time. The
   * sheet-level tag says it was done, and the newest row becomes the tail.
   */
  const tagLegacyRows = async (): Promise<number> => {
    const sheetId = logSheetId();
    const marker = await call((port) => port.searchMetadata([tagFilter(TAGGED_TAG)]));
    if ((marker.matchedDeveloperMetadata ?? []).length > 0) return 1;
    const [rows = []] = await batchGet([a1(LOG.title, 'A2:D')]);
    const requests: Request[] = [];
    let last: number | null = null;
    for (const [i, [id, , , card]] of rows.entries()) {
      if (typeof id !== 'string' || id === '') continue;
      requests.push(tagRows(sheetId, i + 1, SESSION_TAG, id));
      requests.push(tagRows(sheetId, i + 1, CARD_TAG, cellText(card)));
      last = i + 1;
    }
    if (last !== null) requests.push(tagRows(sheetId, last, TAIL_TAG, ''));
    requests.push({
      createDeveloperMetadata: {
        developerMetadata: {
          metadataKey: TAGGED_TAG,
          metadataValue: 'v1',
          location: { sheetId },
          visibility: 'DOCUMENT',
        },
      },
    });
    let made = 2;
    for (let i = 0; i < requests.length; i += TAG_CHUNK) {
      const chunk = requests.slice(i, i + TAG_CHUNK);
      await call((port) => port.batchUpdate(chunk));
      made += 1;
    }
    return made;
  };

  const runSetUp = async (): Promise<number> => {
    let requests = 1;
    const got = await call((port) => port.get('sheets.properties'));
    sheetIds.clear();
    for (const sheet of got.sheets ?? []) {
      const { title, sheetId } = sheet.properties ?? {};
      if (typeof title === 'string' && typeof sheetId === 'number') sheetIds.set(title, sheetId);
    }
    const missing = TABS.filter((tab) => !sheetIds.has(tab.title));
    if (missing.length > 0) {
      requests += 1;
      const added = await call((port) =>
        port.batchUpdate(
          missing.map((tab) => ({
            addSheet: { properties: { title: tab.title, gridProperties: { frozenRowCount: 1 } } },
          })),
        ),
      );
      const ids = (added.replies ?? []).map((reply) => reply.addSheet?.properties?.sheetId ?? null);
      missing.forEach((tab, i) => {
        const id = ids[i];
        if (typeof id === 'number') sheetIds.set(tab.title, id);
      });
      const formats = missing.flatMap((tab) => {
        const sheetId = sheetIds.get(tab.title);
        if (sheetId === undefined) return [];
        return tab.formats.map((format) => ({
          repeatCell: {
            range: {
              sheetId,
              startRowIndex: 1,
              startColumnIndex: format.column,
              endColumnIndex: format.column + 1,
            },
            cell: {
              userEnteredFormat: { numberFormat: { type: format.type, pattern: format.pattern } },
            },
            fields: 'userEnteredFormat.numberFormat',
          },
        }));
      });
      if (formats.length > 0) {
        requests += 1;
        await call((port) => port.batchUpdate(formats));
      }
      requests += 1;
      await writeValues(
        missing.map((tab) => ({ range: a1(tab.title, 'A1'), values: [[...tab.headers]] })),
      );
    }
    const present = TABS.filter((tab) => !missing.includes(tab));
    if (present.length > 0) {
      requests += 1;
      const { blank, errors, warnings } = await inspectHeaders(present);
      warnings.forEach(warn);
      if (blank.length > 0 && errors.length === 0) {
        requests += 1;
        await writeValues(
          blank.map((tab) => ({ range: a1(tab.title, 'A1'), values: [[...tab.headers]] })),
        );
      }
      if (errors.length > 0) {
        throw new SheetError(
          `the sheet's headers were changed in a way that would make the clock write into the wrong columns: ${errors.join('; ')}. ` +
            `Restore the header rows (Log: ${LOG.headers.join(' | ')}; People: ${PEOPLE.headers.join(' | ')}; Now: ${NOW.headers.join(' | ')}). Taps are kept and queued meanwhile.`,
          'final',
        );
      }
    }
    return requests + (await tagLegacyRows());
  };

  const setUp = (): Promise<number> => {
    setUpDone ??= runSetUp().catch((error: unknown) => {
      setUpDone = null;
      throw error;
    });
    return setUpDone;
  };

  // People as last parsed: the tab rarely changes between two minutes, and an unchanged tab
  // gives the same list (the same array) without its rows' warnings again every minute.
  let lastPeople: { readonly rows: unknown[][]; readonly people: Person[] } | null = null;
  const parsePeople = (rows: unknown[][]): Person[] => {
    if (lastPeople !== null && sameRows(lastPeople.rows, rows)) return lastPeople.people;
    const people = parsePeopleRows(rows);
    lastPeople = { rows, people };
    return people;
  };
  const parsePeopleRows = (rows: unknown[][]): Person[] => {
    const people: Person[] = [];
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      const [rawCard, name, active, aliases] = row;
      if (rawCard === undefined || rawCard === '') return;
      const card = normaliseCardId(cellText(rawCard));
      if (!card.ok) {
        warn(`People!A${i + 2}: ${card.reason}; row ignored`);
        return;
      }
      if (seen.has(card.card)) return;
      seen.add(card.card);
      const activeText = cellText(active).trim().toLowerCase();
      people.push({
        card: card.card,
        name: typeof name === 'string' ? name.trim() : cellText(name).trim(),
        active: !(
          active === false || ['no', 'n', 'false', '0', 'inactive', 'off'].includes(activeText)
        ),
        aliases: cellText(aliases)
          .split(/[\s;,]+/)
          .filter((alias) => alias !== '')
          .flatMap((alias) => {
            const id = normaliseCardId(alias);
            if (!id.ok) warn(`People!D${i + 2}: alias ${JSON.stringify(alias)}: ${id.reason}`);
            return id.ok ? [id.card] : [];
          }),
      });
    });
    return people;
  };

  const check = async (): Promise<SheetCheck> => {
    const got = await call((port) => port.get('properties.title,sheets.properties.title'));
    const known = got.properties?.title;
    const title = known ?? '';
    // Without the title there is nothing to set it back to: never risk renaming the sheet.
    let writable = false;
    if (typeof known === 'string') {
      try {
        await call((port) =>
          port.batchUpdate([
            { updateSpreadsheetProperties: { properties: { title }, fields: 'title' } },
          ]),
        );
        writable = true;
      } catch (error) {
        // A 403 is the answer (no edit right). A 400 means the server did not take the no-op
        // request itself (a Sheets-compatible stand-in): write access is then not confirmed.
        if (!(error instanceof SheetError && error.status === 400)) throw error;
      }
    }
    const existing = new Set((got.sheets ?? []).map((t) => t.properties?.title ?? ''));
    const present = TABS.filter((tab) => existing.has(tab.title));
    const headers =
      present.length === 0 ? { errors: [], warnings: [] } : await inspectHeaders(present);
    return {
      title,
      writeConfirmed: writable,
      missingTabs: TABS.filter((tab) => !existing.has(tab.title)).map((tab) => tab.title),
      headerErrors: headers.errors,
      headerWarnings: headers.warnings,
    };
  };

  /** A write to the row tagged with `session`: null cells are left as they are. */
  const toSession = (session: string, cells: (Cell | null)[]): DataFilterValueRange => ({
    dataFilter: tagFilter(SESSION_TAG, session),
    majorDimension: 'ROWS',
    values: [cells],
  });
  /**
   * Sessions on more than one row (a write that timed out, landed, and was sent again), as the
   * planner found them: each extra row is marked as a duplicate and untagged, by its own tag
   * id, so no sort in between can make this touch another row.
   */
  const healDuplicates = (
    duplicates: BatchPlan['duplicates'],
  ): { writes: DataFilterValueRange[]; untag: Request[] } => {
    const writes: DataFilterValueRange[] = [];
    const untag: Request[] = [];
    for (const { session, tagId } of duplicates) {
      const byId = { developerMetadataLookup: { metadataId: tagId } };
      writes.push({
        dataFilter: byId,
        majorDimension: 'ROWS',
        values: [[`${session} (duplicate)`, null, null, null, null, null, null, 'duplicate']],
      });
      untag.push({ deleteDeveloperMetadata: { dataFilter: byId } });
    }
    return { writes, untag };
  };

  /** The rows found, as the planner takes them. */
  const taggedRows = (rowsOf: ReadonlyMap<string, readonly FoundTag[]>): Map<string, TaggedRow[]> =>
    new Map(
      [...rowsOf].map(([session, tags]) => [
        session,
        tags.map((tag) => ({ tagId: tag.id, row: tag.row })),
      ]),
    );

  /** The session tags of these sessions, as they are now: session → the rows it is on. */
  const searchSessions = async (
    sessions: readonly string[],
    withTail: boolean,
  ): Promise<{ rowsOf: Map<string, FoundTag[]>; tail: FoundTag | undefined }> => {
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
  };

  /** The suspects due to be looked for at `now` (forgotten only once the look succeeded). */
  const dueSuspects = (now: number): string[] =>
    [...suspects].filter(([, at]) => at <= now).map(([session]) => session);

  /** Where the next new rows go: just below the tail row, or below the last row with data. */
  const insertionRow = async (
    tail: FoundTag | undefined,
  ): Promise<{ row: number; reads: number }> => {
    if (tail !== undefined) return { row: tail.row + 1, reads: 0 };
    // The tail row was deleted by a person (or this is the first row): find the end of the data once.
    const [column = []] = await batchGet([a1(LOG.title, 'A:A')]);
    return { row: Math.max(1, column.length), reads: 1 };
  };

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
      ({ rowsOf, tail } = await searchSessions(sessions, opens));
      requests += 1;
    }
    const plan = planBatch(entries, taggedRows(rowsOf));
    const { writes, untag } = healDuplicates(plan.duplicates);

    const insert: Request[] = [];
    if (plan.insert.length > 0) {
      const { row, reads } = await insertionRow(tail);
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
    if (resent) for (const fresh of plan.insert) suspects.set(fresh.session, now + lateWithin);
    if (now < liveUncertainUntil)
      for (const [session, write] of final)
        reassert.set(session, { write, at: liveUncertainUntil });
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

  const liveUpdate = async (
    open: LiveUpdate['open'],
    at: number,
    health: LiveUpdate['health'],
  ): Promise<{ people: Person[]; requests: number }> => {
    await setUp();
    const due = dueSuspects(at);
    // One read: People, the Now list's length, and the rows of suspect sessions due (a late
    // write shows as a second row).
    const peopleRange = a1(PEOPLE.title, 'A2:D');
    const nowRange = a1(NOW.title, 'A2:A');
    const read = await call((port) =>
      port.batchGetByDataFilter([
        { a1Range: peopleRange },
        { a1Range: nowRange },
        // Log's first cell: a Log tab renamed or deleted makes this read fail (400), and set-up
        // runs again (afterSetUp), so the clock heals without a restart.
        { a1Range: a1(LOG.title, 'A1') },
        ...due.map((session) => tagFilter(SESSION_TAG, session)),
      ]),
    );
    let requests = 2;
    const valuesOf = (range: string): unknown[][] =>
      (read.valueRanges ?? []).find((r) => r.dataFilters?.some((f) => f.a1Range === range))
        ?.valueRange?.values ?? [];
    const peopleRows = valuesOf(peopleRange);
    const nowColumn = valuesOf(nowRange);
    const rowCount = new Map<string, number>();
    for (const range of read.valueRanges ?? [])
      for (const filter of range.dataFilters ?? []) {
        const session = filter.developerMetadataLookup?.metadataValue;
        if (typeof session === 'string') rowCount.set(session, (rowCount.get(session) ?? 0) + 1);
      }
    const doubled = [...rowCount].filter(([, count]) => count > 1).map(([session]) => session);
    if (doubled.length > 0) {
      const { rowsOf } = await searchSessions(doubled, false);
      const { writes, untag } = healDuplicates(planBatch([], taggedRows(rowsOf)).duplicates);
      if (untag.length > 0) {
        await call((port) => port.batchUpdateByDataFilter(writes));
        await call((port) => port.batchUpdate(untag));
        requests += 3;
      }
    }
    for (const session of due) suspects.delete(session);
    const people = parsePeople(peopleRows);
    const names = new Map(people.map((p) => [p.card, p.name]));
    const updated = toSerial(at, zone);
    // Hours of open sessions, by their rows' tags: a row not written yet, or deleted, takes nothing.
    const data: DataFilterValueRange[] = open.map((session) =>
      toSession(session.session, [
        null,
        null,
        null,
        null,
        null,
        null,
        toSerialDuration(at - session.inAt),
      ]),
    );
    const nowValues: Cell[][] =
      open.length === 0
        ? [['(nobody clocked in)', '', '', '', updated]]
        : open.map((s) => [
            (names.get(s.card) ?? '') || (s.name ?? ''),
            s.card,
            toSerial(s.inAt, zone),
            toSerialDuration(at - s.inAt),
            updated,
          ]);
    // Blank out rows left from a longer list a minute ago.
    const listed = Math.max(nowColumn.length, nowRows ?? 0);
    while (nowValues.length < listed) nowValues.push(['', '', '', '', '']);
    data.push({
      dataFilter: { a1Range: a1(NOW.title, `A2:E${nowValues.length + 1}`) },
      majorDimension: 'ROWS',
      values: nowValues,
    });
    // The clock's health beside the list, in the same request (text, for people to read).
    const when = (ms: number | null): string =>
      ms === null ? 'never' : formatLocalDateTime(ms, zone);
    const setAside = health.setAside ?? 0;
    data.push({
      dataFilter: { a1Range: a1(NOW.title, 'G1:H10') },
      majorDimension: 'ROWS',
      values: [
        ['Status', ''],
        ['Device', options.device],
        ['Version', options.version],
        ['Updated', when(at)],
        ['Last tap', when(health.lastTapAt)],
        ['Last sync', when(health.lastSyncAt)],
        ['Outbox', health.outboxDepth],
        ['Reader', health.readerFault === null ? 'ok' : `fault: ${health.readerFault}`],
        [
          'Clock',
          health.clockSynced ? 'synchronised' : 'NOT synchronised (times will be corrected)',
        ],
        [
          'Set aside',
          setAside === 0
            ? 'none'
            : `${setAside} change(s) the sheet refused: see badgeclock status`,
        ],
      ],
    });
    // Closes written while a failed live update could still land, written again once it can't.
    const reasserted = [...reassert].filter(([, { at: when }]) => when <= at);
    data.push(...reasserted.map(([, { write }]) => write));
    try {
      await call((port) => port.batchUpdateByDataFilter(data));
    } catch (error) {
      liveUncertainUntil = at + lateWithin;
      throw error;
    }
    for (const [session] of reasserted) reassert.delete(session);
    nowRows = open.length;
    return { people, requests };
  };

  /**
   * Runs work that relies on set-up; a 400 (a tab renamed or deleted, a grid
   * that is gone: "Unable to parse range") makes set-up run again, and the
   * work is tried once more, so a person's change to the tabs heals without
   * a restart.
   */
  const afterSetUp = async <A extends unknown[], T>(
    work: (...args: A) => Promise<T>,
    ...args: A
  ): Promise<T> => {
    try {
      return await work(...args);
    } catch (error) {
      if (!(error instanceof SheetError && error.status === 400)) throw error;
      setUpDone = null;
      nowRows = null;
      return await work(...args);
    }
  };

  return {
    account,
    setUp,
    check,
    writeBatch: (entries, now) => afterSetUp(writeBatch, entries, now),
    liveUpdate: (open, at, health) => afterSetUp(liveUpdate, open, at, health),
    readPeople: () =>
      afterSetUp(async () => {
        await setUp();
        const [rows = []] = await batchGet([a1(PEOPLE.title, 'A2:D')]);
        return parsePeople(rows);
      }),
  };
}

/** Whether two ranges of cell values (as the API returns them: rows of primitives) are equal. */
function sameRows(a: readonly unknown[][], b: readonly unknown[][]): boolean {
  if (a.length !== b.length) return false;
  return a.every((row, i) => {
    const other = b[i];
    return (
      other !== undefined &&
      row.length === other.length &&
      row.every((cell, j) => Object.is(cell, other[j]))
    );
  });
}

/** The account's e-mail for messages, even when the key file is broken. */
function safeAccount(keyFile: string): string {
  try {
    return loadServiceAccount(keyFile).client_email;
  } catch {
    return `the service account of ${keyFile}`;
  }
}
