/**
 * Set-up, the first thing every write waits for: creates the tabs that are
 * missing (with their number formats and headers), checks the headers of
 * those that exist, learns the tabs' grid ids, and tags the `Log` rows an
 * older badgeclock wrote before rows were tagged. Memoised until it fails;
 * `reset` makes the next write run it again (a tab renamed or deleted).
 */
import type { sheets_v4 } from '@googleapis/sheets';
import { a1, cellText, checkHeaders, LOG, TABS, type TabLayout } from './layout';
import { CARD_TAG, SESSION_TAG, TAGGED_TAG, TAIL_TAG, tagFilter, tagRows } from './rowTags';
import type { SheetCalls } from './sheetCalls';
import { SheetError } from './sheetError';
import { normaliseCardId } from '../../../streams/cardId';
import { idParts } from '../../../streams/sessionIds';

type Request = sheets_v4.Schema$Request;

/** Legacy rows are tagged in chunks, so no request body grows without bound. */
const TAG_CHUNK = 2_000;

export interface SheetSetUp {
  /** Runs set-up once (again after a failure or a reset); resolves to the requests it made. */
  readonly setUp: () => Promise<number>;
  /** Forgets that set-up ran, so the next `setUp` runs it again. */
  readonly reset: () => void;
  /** The grid id of `Log`, as set-up learnt it; a SheetError ('retry') if it is missing. */
  readonly logSheetId: () => number;
  /** Reads the header rows of tabs that exist: which are blank, and what changed in the others. */
  readonly inspectHeaders: (present: readonly TabLayout[]) => Promise<HeaderInspection>;
}

/** What the header rows of the tabs that exist say. */
export interface HeaderInspection {
  /** Tabs whose header row is empty: set-up writes it. */
  readonly blank: TabLayout[];
  /** Tabs whose first row is a row of data (a person deleted the header row): set-up puts one back above it. */
  readonly headless: TabLayout[];
  readonly errors: string[];
  readonly warnings: string[];
}

/** Set-up over `calls`; header changes the clock lives with go to `warn`. */
export function makeSheetSetUp(calls: SheetCalls, warn: (message: string) => void): SheetSetUp {
  let setUpDone: Promise<number> | null = null;
  /** The tabs' grid ids, learnt at set-up. */
  const sheetIds = new Map<string, number>();
  const logSheetId = (): number => {
    const id = sheetIds.get(LOG.title);
    if (id === undefined) throw new SheetError('the Log tab is missing', 'retry');
    return id;
  };
  return {
    setUp: () => {
      setUpDone ??= runSetUp(calls, sheetIds, warn).catch((error: unknown) => {
        setUpDone = null;
        throw error;
      });
      return setUpDone;
    },
    reset: () => {
      setUpDone = null;
    },
    logSheetId,
    inspectHeaders: (present) => inspectHeaders(calls.batchGet, present),
  };
}

/** Reads the header rows of tabs that exist: which are blank, and what changed in the others. */
async function inspectHeaders(
  batchGet: SheetCalls['batchGet'],
  all: readonly TabLayout[],
): Promise<HeaderInspection> {
  // A tab the clock rewrites whole (Totals) is not checked: its next write puts it right.
  const present = all.filter((tab) => tab.owned !== true);
  if (present.length === 0) return { blank: [], headless: [], errors: [], warnings: [] };
  const headers = await batchGet(present.map((tab) => a1(tab.title, '1:1')));
  const blank: TabLayout[] = [];
  const headless: TabLayout[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  present.forEach((tab, i) => {
    const row = headers[i]?.[0] ?? [];
    // An empty header row holds no data: a tab a person just created, or a setup cut short.
    if (row.every((cell) => cellText(cell).trim() === '')) {
      blank.push(tab);
      return;
    }
    if (isDataRow(tab, row)) {
      headless.push(tab);
      return;
    }
    const check = checkHeaders(tab, row);
    warnings.push(...check.warnings);
    errors.push(...check.errors);
  });
  return { blank, headless, errors, warnings };
}

/**
 * Whether a tab's first row is one of its rows of data, not a header a person changed: its key
 * cell holds what only data holds there (a session id, a card id, an Edits line's key).
 */
export function isDataRow(tab: TabLayout, row: readonly unknown[]): boolean {
  const key = cellText(row[tab.keyColumn]).trim();
  switch (tab.title) {
    case 'Log':
      return idParts(key) !== null;
    case 'People':
      return normaliseCardId(key).ok;
    case 'Edits':
      return key.startsWith('edit:');
    default:
      return false;
  }
}

/** One run of set-up: learns the grid ids, adds missing tabs, checks the others, tags old rows. */
async function runSetUp(
  calls: SheetCalls,
  sheetIds: Map<string, number>,
  warn: (message: string) => void,
): Promise<number> {
  let requests = 1;
  const got = await calls.call((port) => port.get('sheets.properties'));
  sheetIds.clear();
  for (const sheet of got.sheets ?? []) {
    const { title, sheetId } = sheet.properties ?? {};
    if (typeof title === 'string' && typeof sheetId === 'number') sheetIds.set(title, sheetId);
  }
  const missing = TABS.filter((tab) => !sheetIds.has(tab.title));
  if (missing.length > 0) requests += await addTabs(calls, sheetIds, missing);
  const present = TABS.filter((tab) => !missing.includes(tab));
  if (present.length > 0) requests += await checkTabs(calls, sheetIds, present, warn);
  const logId = sheetIds.get(LOG.title);
  if (logId === undefined) throw new SheetError('the Log tab is missing', 'retry');
  return requests + (await tagLegacyRows(calls, logId));
}

/** Adds the missing tabs with frozen headers and their columns' number formats. */
async function addTabs(
  { call, writeValues }: SheetCalls,
  sheetIds: Map<string, number>,
  missing: readonly TabLayout[],
): Promise<number> {
  let requests = 1;
  const added = await call((port) =>
    port.batchUpdate(
      missing.map((tab) => ({
        addSheet: {
          properties: {
            title: tab.title,
            gridProperties: {
              frozenRowCount: tab.frozen?.rows ?? 1,
              ...(tab.frozen === undefined ? {} : { frozenColumnCount: tab.frozen.columns }),
              ...(tab.columnCount === undefined ? {} : { columnCount: tab.columnCount }),
            },
          },
        },
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
          endColumnIndex: (format.through ?? format.column) + 1,
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
  return requests;
}

/**
 * Checks the headers of tabs that exist: fills blank ones, puts back one a person deleted (above
 * the row of data that took its place), warns of renames, stops on moves.
 */
async function checkTabs(
  { batchGet, writeValues, call }: SheetCalls,
  sheetIds: ReadonlyMap<string, number>,
  present: readonly TabLayout[],
  warn: (message: string) => void,
): Promise<number> {
  let requests = 1;
  const { blank, headless, errors, warnings } = await inspectHeaders(batchGet, present);
  warnings.forEach(warn);
  if (headless.length > 0 && errors.length === 0) {
    requests += 1;
    // The row and its headers in one request: a blank row 1 left by half of it would be taken
    // for a header row a person may type into.
    await call((port) =>
      port.batchUpdate(
        headless.flatMap((tab) => {
          const sheetId = sheetIds.get(tab.title);
          return [
            {
              insertDimension: {
                range: { sheetId, dimension: 'ROWS', startIndex: 0, endIndex: 1 },
                inheritFromBefore: false,
              },
            },
            {
              updateCells: {
                start: { sheetId, rowIndex: 0, columnIndex: 0 },
                rows: [
                  { values: tab.headers.map((h) => ({ userEnteredValue: { stringValue: h } })) },
                ],
                fields: 'userEnteredValue',
              },
            },
          ];
        }),
      ),
    );
    for (const tab of headless)
      warn(
        `${tab.title}: its header row was deleted (row 1 held data); the clock put it back above`,
      );
  }
  if (blank.length > 0 && errors.length === 0) {
    requests += 1;
    await writeValues(
      blank.map((tab) => ({ range: a1(tab.title, 'A1'), values: [[...tab.headers]] })),
    );
  }
  if (errors.length > 0) {
    throw new SheetError(
      `the sheet's headers were changed in a way that would make the clock write into the wrong columns: ${errors.join('; ')}. ` +
        `Restore the header rows (${TABS.map((tab) => `${tab.title}: ${tab.headers.join(' | ')}`).join('; ')}). Taps are kept and queued meanwhile.`,
      'final',
    );
  }
  return requests;
}

/**
 * Tags the rows of `Log` written before rows were tagged (an older
 * badgeclock), once: its whole session column is read this one time. The
 * sheet-level tag says it was done, and the newest row becomes the tail.
 */
async function tagLegacyRows({ call, batchGet }: SheetCalls, sheetId: number): Promise<number> {
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
}
