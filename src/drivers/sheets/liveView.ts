/**
 * The live view, every minute: the Hours of open sessions (written through
 * their rows' tags), the Now tab's list of who is in, and the clock's health
 * beside it, in one write; the People tab is read on the way (one read, which
 * also looks for the second rows of suspect sessions due, and heals them).
 * What closes wrote while a failed live update could still land is written
 * again here (lateWrites.ts). It remembers how long the Now list was, to
 * blank out the rows a shorter list leaves; `reset` forgets it. The Totals
 * tab, when its table is given and changed, is written in the same request
 * (totalsTab.ts).
 */
import { planBatch } from '../../../streams/batchPlan';
import type { Person } from '../../../streams/directory';
import type { LiveUpdate } from '../../../streams/events';
import type { LogRowRead, WatchedRow } from '../../../streams/sheetEdits';
import type { TotalsTable } from '../../../streams/totals';
import { formatLocalDateTime, toSerial, toSerialDuration } from '../../../streams/zoned';
import { a1, checkHeaders, LOG, NOW, PEOPLE, type Cell } from './layout';
import { isDataRow } from './sheetSetUp';
import type { LateWrites } from './lateWrites';
import { healDuplicates, searchSessions, taggedRows, toSession } from './logRows';
import { SESSION_TAG, tagFilter } from './rowTags';
import type { SheetCalls } from './sheetCalls';
import type { DataFilter, DataFilterValueRange } from './sheetsApi';
import type { SheetSetUp } from './sheetSetUp';
import { makeTotalsWriter, TOTALS_EXTENT_READS, type TotalsWriter } from './totalsTab';

/** What the live view works with. */
export interface LiveViewContext {
  readonly calls: SheetCalls;
  readonly sheet: SheetSetUp;
  readonly late: LateWrites;
  /** Parses the People tab's rows (peopleTab.ts). */
  readonly parsePeople: (rows: unknown[][]) => Person[];
  readonly zone: string;
  /** This clock's name and version, for the health block on the Now tab. */
  readonly device: string;
  readonly version: string;
}

export interface LiveView {
  /**
   * The live view: open sessions' hours, the Now tab, and the Totals tab when `totals` is given
   * and changed; returns the People tab it read on the way, and the `watched` rows (read back
   * for corrections typed into the sheet: editWatch.ts).
   */
  readonly update: (
    open: LiveUpdate['open'],
    at: number,
    health: LiveUpdate['health'],
    totals?: TotalsTable,
    watched?: readonly WatchedRow[],
  ) => Promise<LiveRead>;
  /** Forgets the Now list's length and what Totals holds (after set-up runs again). */
  readonly reset: () => void;
}

/** What a live update read on the way. */
export interface LiveRead {
  readonly people: Person[];
  readonly rows: readonly LogRowRead[];
  readonly requests: number;
}

/** Makes the live view. */
export function makeLiveView(context: LiveViewContext): LiveView {
  /** How many rows of the Now tab hold a list, from the last update (null: not known yet). */
  const now: { rows: number | null } = { rows: null };
  const totalsWriter = makeTotalsWriter(context.zone);
  return {
    update: (open, at, health, totals, watched = []) =>
      liveUpdate(context, { now, totalsWriter }, { open, at, health, totals, watched }),
    reset: () => {
      now.rows = null;
      totalsWriter.reset();
    },
  };
}

/** What the live view remembers between minutes. */
interface Memory {
  readonly now: { rows: number | null };
  readonly totalsWriter: TotalsWriter;
}

/** One minute's update: what it writes, and the rows it reads back. */
interface Minute {
  readonly open: LiveUpdate['open'];
  readonly at: number;
  readonly health: LiveUpdate['health'];
  readonly totals: TotalsTable | undefined;
  readonly watched: readonly WatchedRow[];
}

/** An open session's Hours, by its row's tag: a row not written yet, or deleted, takes nothing. */
const hoursWrite = (session: LiveUpdate['open'][number]): DataFilterValueRange =>
  toSession(session.session, [
    null,
    null,
    null,
    null,
    null,
    null,
    toSerialDuration(session.openForMs),
  ]);

async function liveUpdate(
  context: LiveViewContext,
  { now, totalsWriter }: Memory,
  { open, at, health, totals, watched }: Minute,
): Promise<LiveRead> {
  const { calls, sheet, late, parsePeople, zone } = context;
  const { call } = calls;
  await sheet.setUp();
  const due = late.due(at);
  // One read: People, the Now list's length, the rows of suspect sessions due (a late write
  // shows as a second row), and the watched rows (a suspect's row is read once: counted twice,
  // it would look like a second row).
  // From row 1: a header row a person deleted leaves a person there, who must not drop out.
  const peopleRange = a1(PEOPLE.title, 'A1:D');
  const nowRange = a1(NOW.title, 'A2:A');
  const logHeaderRange = a1(LOG.title, '1:1');
  // How far the Totals tab reaches, read after a start or set-up (to blank what a smaller table
  // leaves), and its Card column before rows are written by number (a person may have sorted it).
  const extentReads =
    totals !== undefined && totalsWriter.needsExtent(totals) ? TOTALS_EXTENT_READS : [];
  const read = await call((port) =>
    port.batchGetByDataFilter([
      { a1Range: peopleRange },
      { a1Range: nowRange },
      // Log's header row: a Log tab renamed or deleted makes this read fail (400), and set-up
      // runs again (afterSetUp), so the clock heals without a restart; columns a person moved
      // or inserted since set-up stop the writes below (they go by position).
      { a1Range: logHeaderRange },
      ...extentReads.map((a1Range) => ({ a1Range })),
      ...due.map((session) => tagFilter(SESSION_TAG, session)),
      ...watched
        .filter((row) => !due.includes(row.session))
        .map((row) => tagFilter(SESSION_TAG, row.session)),
    ]),
  );
  const valuesOf = (range: string): unknown[][] =>
    (read.valueRanges ?? []).find((r) => r.dataFilters?.some((f) => f.a1Range === range))
      ?.valueRange?.values ?? [];
  await columnsStill(sheet, valuesOf(logHeaderRange)[0] ?? []);
  const peopleRows = await withoutHeader(sheet, valuesOf(peopleRange));
  const requests = 2 + (await healSuspects(context, read.valueRanges ?? []));
  late.looked(due);
  if (extentReads.length > 0) {
    const [column, header] = TOTALS_EXTENT_READS;
    totalsWriter.extentRead(valuesOf(column), valuesOf(header));
  }
  const people = parsePeople(peopleRows);
  const names = new Map(people.map((p) => [p.card, p.name]));
  const data: DataFilterValueRange[] = open.map(hoursWrite);
  // Blank out rows left from a longer list a minute ago.
  const listed = Math.max(valuesOf(nowRange).length, now.rows ?? 0);
  data.push(nowList(open, names, at, zone, listed), healthBlock(context, at, health));
  // Rows written while a failed write could still land over them, written again once none can.
  const reasserted = late.reassertDue(at);
  data.push(...reasserted.map(({ write }) => write));
  // The Totals tab, when its content changed, in the same request.
  if (totals !== undefined) data.push(...totalsWriter.plan(totals, at));
  try {
    await call((port) => port.batchUpdateByDataFilter(data));
  } catch (error) {
    late.liveFailed();
    totalsWriter.failed();
    throw error;
  }
  // While a failed update could still land over it, Totals is not taken as written.
  totalsWriter.landed(!late.liveUncertain(at));
  late.reasserted(reasserted.map(({ session }) => session));
  now.rows = open.length;
  return { people, requests, rows: rowsRead(watched, read.valueRanges ?? []) };
}

/**
 * The watched rows as read: each one's cells when `Log` holds exactly one row for it, null when
 * none (deleted); left out when it is on two rows (a duplicate the read heals) or outside `Log`
 * (a tab renamed to archive it keeps its rows' tags).
 */
function rowsRead(
  watched: readonly WatchedRow[],
  ranges: readonly {
    readonly dataFilters?: DataFilter[] | null;
    readonly valueRange?: { range?: string | null; values?: unknown[][] | null } | null;
  }[],
): LogRowRead[] {
  const found = new Map<string, { range: string; values: unknown[] }[]>();
  for (const range of ranges)
    for (const filter of range.dataFilters ?? []) {
      const session = filter.developerMetadataLookup?.metadataValue;
      if (typeof session !== 'string') continue;
      const rows = found.get(session) ?? [];
      rows.push({
        range: range.valueRange?.range ?? '',
        values: range.valueRange?.values?.[0] ?? [],
      });
      found.set(session, rows);
    }
  return watched.flatMap((row): LogRowRead[] => {
    const rows = found.get(row.session) ?? [];
    if (rows.length === 0) return [{ row, cells: null }];
    const [only] = rows;
    if (rows.length > 1 || only === undefined || !isLogRange(only.range)) return [];
    const [, , , , inCell, outCell, , status] = only.values;
    return [{ row, cells: { in: inCell, out: outCell, status } }];
  });
}

/** Whether an A1 range an answer names is on `Log` (`Log!A5:I5`, or quoted). */
const isLogRange = (range: string): boolean =>
  range.startsWith(`${LOG.title}!`) || range.startsWith(`'${LOG.title}'!`);

/**
 * A suspect session found on two rows (a write that timed out landed late): the second row is
 * marked as a duplicate and untagged. Returns the requests it took.
 */
async function healSuspects(
  { calls, sheet }: LiveViewContext,
  ranges: readonly {
    readonly dataFilters?: DataFilter[] | null;
    readonly valueRange?: { range?: string | null } | null;
  }[],
): Promise<number> {
  const rowCount = new Map<string, number>();
  // Rows of Log only: a tab renamed to archive old rows keeps their tags (and is never healed).
  for (const range of ranges.filter((r) => isLogRange(r.valueRange?.range ?? '')))
    for (const filter of range.dataFilters ?? []) {
      const session = filter.developerMetadataLookup?.metadataValue;
      if (typeof session === 'string') rowCount.set(session, (rowCount.get(session) ?? 0) + 1);
    }
  const doubled = [...rowCount].filter(([, count]) => count > 1).map(([session]) => session);
  if (doubled.length === 0) return 0;
  const { rowsOf } = await searchSessions(calls.call, sheet.logSheetId, doubled, false);
  const { writes, untag } = healDuplicates(planBatch([], taggedRows(rowsOf)).duplicates);
  if (untag.length === 0) return 0;
  await calls.call((port) => port.batchUpdateByDataFilter(writes));
  await calls.call((port) => port.batchUpdate(untag));
  return 3;
}

/** The Now tab's list: who is in, since when, for how long; blank rows up to `listed`. */
function nowList(
  open: LiveUpdate['open'],
  names: ReadonlyMap<string, string>,
  at: number,
  zone: string,
  listed: number,
): DataFilterValueRange {
  const updated = toSerial(at, zone);
  const values: Cell[][] =
    open.length === 0
      ? [['(nobody clocked in)', '', '', '', updated]]
      : open.map((s) => [
          (names.get(s.card) ?? '') || (s.name ?? ''),
          s.card,
          toSerial(s.inAt, zone),
          toSerialDuration(s.openForMs),
          updated,
        ]);
  while (values.length < listed) values.push(['', '', '', '', '']);
  return {
    dataFilter: { a1Range: a1(NOW.title, `A2:E${values.length + 1}`) },
    majorDimension: 'ROWS',
    values,
  };
}

/** The clock's health beside the list, in the same request (text, for people to read). */
function healthBlock(
  { zone, device, version }: LiveViewContext,
  at: number,
  health: LiveUpdate['health'],
): DataFilterValueRange {
  const when = (ms: number | null): string =>
    ms === null ? 'never' : formatLocalDateTime(ms, zone);
  const setAside = health.setAside ?? 0;
  return {
    dataFilter: { a1Range: a1(NOW.title, 'G1:H10') },
    majorDimension: 'ROWS',
    values: [
      ['Status', ''],
      ['Device', device],
      ['Version', version],
      ['Updated', when(at)],
      ['Last tap', when(health.lastTapAt)],
      ['Last sync', when(health.lastSyncAt)],
      ['Outbox', health.outboxDepth],
      ['Reader', health.readerFault === null ? 'ok' : `fault: ${health.readerFault}`],
      ['Clock', health.clockSynced ? 'synchronised' : 'NOT synchronised (times will be corrected)'],
      [
        'Set aside',
        setAside === 0 ? 'none' : `${setAside} change(s) the sheet refused: see badgeclock status`,
      ],
    ],
  };
}

/**
 * Log's columns are where set-up found them: a column a person inserted or moved since would
 * make every write by position land in the wrong column (In overwritten with Out). Then set-up
 * runs again, and refuses with what to restore (a final failure: taps are kept meanwhile).
 */
async function columnsStill(sheet: SheetSetUp, header: readonly unknown[]): Promise<void> {
  if (checkHeaders(LOG, header).errors.length === 0) return;
  sheet.reset();
  await sheet.setUp();
}

/**
 * People's rows below its header. When row 1 holds a person (a person deleted the header row),
 * they are kept, and set-up runs again to put the header back above them.
 */
async function withoutHeader(sheet: SheetSetUp, rows: unknown[][]): Promise<unknown[][]> {
  const [first = []] = rows;
  if (!isDataRow(PEOPLE, first)) return rows.slice(1);
  sheet.reset();
  await sheet.setUp();
  return rows;
}
