/**
 * One in-process model of Google Sheets, REST-shaped: `request()` takes what
 * an HTTP request carries (method, path, query, parsed JSON body, the caller's
 * account) and answers `{ status, body }` with bodies as Google documents them
 * and errors as Google's error JSON. The HTTP test server (sheetsTestServer.ts)
 * puts it behind real HTTP; a simulation calls it directly, in virtual time.
 *
 * Deterministic: no wall clock (quotas read the injected `now`), no
 * randomness (metadata ids come from a counter). No imports, so a worker
 * thread can load it by transpiling alone.
 *
 * What is modelled, and the choices where Google's reference is silent, are
 * listed at `request()`.
 */

export type Cell = string | number | boolean;

/** The REST call a request is, by method and path. */
export type CallKind =
  | 'spreadsheets.get'
  | 'spreadsheets.batchUpdate'
  | 'values.get'
  | 'values.batchGet'
  | 'values.update'
  | 'values.batchUpdate'
  | 'values.append'
  | 'values.clear'
  | 'values.batchGetByDataFilter'
  | 'values.batchUpdateByDataFilter'
  | 'developerMetadata.get'
  | 'developerMetadata.search'
  | 'unknown';

const READS: ReadonlySet<CallKind> = new Set<CallKind>([
  'spreadsheets.get',
  'values.get',
  'values.batchGet',
  'values.batchGetByDataFilter',
  'developerMetadata.get',
  'developerMetadata.search',
]);

export interface ModelRequest {
  readonly method: string;
  /** The URL path, e.g. `/v4/spreadsheets/ID/values:batchGet`; percent-encoding is decoded. */
  readonly path: string;
  readonly query?: URLSearchParams;
  /** The parsed JSON body, if any. */
  readonly body?: unknown;
  /** The caller's e-mail (sharing and quota are per account). */
  readonly account: string;
}

export interface ModelResponse {
  readonly status: number;
  readonly body: unknown;
  /** Response headers beyond content-type (Retry-After on a 429). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly call: CallKind;
}

/** Requests per account per minute (Sheets: 60 reads and 60 writes per minute per user). */
export interface Quota {
  readonly readsPerMinute?: number;
  readonly writesPerMinute?: number;
}

export interface SpreadsheetModelOptions {
  /** The clock quotas are counted by (ms); only read when a quota is set. */
  readonly now?: () => number;
  readonly quota?: Quota;
  /**
   * Measure the answers to reads into `bytesOut` (default true). The simulation measures only
   * the answers it asks about (those of quiet minutes): stringifying every answer was a tenth
   * of its CPU.
   */
  readonly measureBytes?: boolean;
}

export type Role = 'editor' | 'viewer';

export interface NumberFormat {
  readonly column: number;
  readonly pattern: string;
}

/** A call's kind and whether it counts as a read or a write (for sharing and quotas). */
export function classify(
  method: string,
  path: string,
): { call: CallKind; access: 'read' | 'write' } {
  const call = route(method, decodePath(path))?.call ?? 'unknown';
  return {
    call,
    access:
      call === 'unknown'
        ? method === 'GET'
          ? 'read'
          : 'write'
        : READS.has(call)
          ? 'read'
          : 'write',
  };
}

// ---- state ------------------------------------------------------------------------

/** A row, replaced (never mutated) on every change so a snapshot is a shallow copy. */
interface Row {
  readonly cells: readonly Cell[];
  /** Ids of the ROW developer metadata on this row: they move with it. */
  readonly tags: readonly number[];
  /**
   * The cells' notes by column (undefined: none; absent: none on the row). On the row,
   * so they move with it when rows are sorted, inserted or deleted, as in Sheets.
   */
  readonly notes?: readonly (string | undefined)[];
}

interface Tab {
  sheetId: number;
  title: string;
  frozenRows: number;
  rowCount: number;
  columnCount: number;
  /** Stored rows from the top; rows below (up to rowCount) are blank and untagged. */
  rows: Row[];
  formats: NumberFormat[];
}

type Place =
  | { readonly kind: 'SPREADSHEET' }
  | { readonly kind: 'SHEET'; readonly sheetId: number }
  | { readonly kind: 'ROW'; readonly sheetId: number };

interface Metadata {
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly visibility: string;
  /** For ROW metadata the row is the one whose `tags` hold the id. */
  readonly place: Place;
}

interface Book {
  title: string;
  tabs: Tab[];
  metadata: Map<number, Metadata>;
  nextSheetId: number;
  nextMetadataId: number;
  /** Bumped whenever rows move or metadata comes or goes: the metadata index is rebuilt then. */
  layout: number;
  /** Metadata ids by key, and by key and then value. */
  readonly byKey: Map<string, Set<number>>;
  readonly byKeyValue: Map<string, Map<string, Set<number>>>;
  /** While a write runs: each metadata change's id and previous entry, to undo it on failure. */
  journal: [number, Metadata | undefined][] | null;
  readonly editors: Set<string>;
  readonly viewers: Set<string>;
  /** The most cells its grids may hold (Google's is 10 million), or null for no limit. */
  cellLimit: number | null;
}

/** A rectangle of one tab; `null` ends are open (to the grid's edge). */
interface Area {
  readonly tab: Tab;
  readonly startRow: number;
  readonly endRow: number | null;
  readonly startCol: number;
  readonly endCol: number | null;
}

/** Where a metadata entry is now: its place, and for ROW metadata the tab and row index. */
interface Located {
  readonly meta: Metadata;
  readonly tab?: Tab;
  readonly row?: number;
}

const BLANK_ROW: Row = { cells: [], tags: [] };
const NEW_TAB_ROWS = 1000;
const NEW_TAB_COLUMNS = 26;

class ModelError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

const invalid = (message: string): ModelError => new ModelError(400, message, 'INVALID_ARGUMENT');

// ---- JSON input, read without casts -------------------------------------------------

type Json = Record<string, unknown>;

const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object field (absent or null → empty object); anything else is a 400. */
function object(value: unknown, where: string): Json {
  if (value === undefined || value === null) return {};
  if (isJson(value)) return value;
  throw invalid(`Invalid value at '${where}': expected an object`);
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  throw invalid(`Invalid value at '${where}': expected a list`);
}

function optionalInt(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n)) return n;
  throw invalid(`Invalid value at '${where}' (TYPE_INT32), ${JSON.stringify(value)}`);
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw invalid(`Invalid value at '${where}' (TYPE_STRING), ${JSON.stringify(value)}`);
}

// ---- A1 notation -------------------------------------------------------------------

/** 0-based column index of letters (A → 0). */
export function columnIndex(letters: string): number {
  return letters.split('').reduce((n, c) => n * 26 + (c.toUpperCase().charCodeAt(0) - 64), 0) - 1;
}

/** Letters of a 0-based column index (0 → A, 26 → AA). */
export function columnLetters(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** A sheet name as Google writes it in a range: quoted unless plain. */
const sheetName = (title: string): string =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(title) && !/^[A-Za-z]{1,3}[0-9]+$/.test(title)
    ? title
    : `'${title.replace(/'/g, "''")}'`;

/** The A1 text of an area, its open ends closed at the grid's edge. */
function areaText(area: Area): string {
  const endRow = area.endRow ?? area.tab.rowCount;
  const endCol = area.endCol ?? area.tab.columnCount;
  const from = `${columnLetters(area.startCol)}${area.startRow + 1}`;
  const to = `${columnLetters(endCol - 1)}${endRow}`;
  return `${sheetName(area.tab.title)}!${from === to ? from : `${from}:${to}`}`;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

// ---- routes ------------------------------------------------------------------------

interface Route {
  readonly call: CallKind;
  readonly id: string;
  /** The A1 range in the path (values.get/update/append/clear) or the metadata id. */
  readonly param: string;
}

function route(method: string, path: string): Route | null {
  const match = /^\/v4\/spreadsheets\/([^/:]+)(.*)$/.exec(path);
  if (match === null) return null;
  const id = match[1] ?? '';
  const rest = match[2] ?? '';
  const fixed: Record<string, CallKind | undefined> = {
    'GET ': 'spreadsheets.get',
    'POST :batchUpdate': 'spreadsheets.batchUpdate',
    'GET /values:batchGet': 'values.batchGet',
    'POST /values:batchUpdate': 'values.batchUpdate',
    'POST /values:batchGetByDataFilter': 'values.batchGetByDataFilter',
    'POST /values:batchUpdateByDataFilter': 'values.batchUpdateByDataFilter',
    'POST /developerMetadata:search': 'developerMetadata.search',
  };
  const call = fixed[`${method} ${rest}`];
  if (call !== undefined) return { call, id, param: '' };
  const metadata = /^\/developerMetadata\/(\d+)$/.exec(rest);
  if (metadata !== null && method === 'GET')
    return { call: 'developerMetadata.get', id, param: metadata[1] ?? '' };
  const values = /^\/values\/(.+?)(:append|:clear)?$/.exec(rest);
  if (values === null) return null;
  const range = values[1] ?? '';
  if (values[2] === undefined && method === 'GET') return { call: 'values.get', id, param: range };
  if (values[2] === undefined && method === 'PUT')
    return { call: 'values.update', id, param: range };
  if (values[2] === ':append' && method === 'POST')
    return { call: 'values.append', id, param: range };
  if (values[2] === ':clear' && method === 'POST')
    return { call: 'values.clear', id, param: range };
  return null;
}

// ---- the model -------------------------------------------------------------------------

/**
 * Spreadsheets in memory, answered as the Sheets API v4 answers. Typed
 * helpers stand in for a person editing the sheet (sort, insert, delete, …).
 */
export class SpreadsheetModel {
  /**
   * JSON length of every answer to a read, per call (errors included). Answers
   * to writes are not measured: nothing reads their size, and the simulation
   * sends a write every minute.
   */
  readonly bytesOut: Record<CallKind, number> = zeroes();
  /** Requests answered, per call (errors included). */
  readonly requestsByCall: Record<CallKind, number> = zeroes();
  private readonly books = new Map<string, Book>();
  private readonly now: (() => number) | undefined;
  private quota: Quota | undefined;
  private readonly measureBytes: boolean;
  private readonly used = new Map<string, { minute: number; reads: number; writes: number }>();

  constructor(options: SpreadsheetModelOptions = {}) {
    this.now = options.now;
    this.measureBytes = options.measureBytes ?? true;
    this.setQuota(options.quota);
  }

  /** Sets (or, with undefined, lifts) the per-account, per-minute request budget. */
  setQuota(quota: Quota | undefined): void {
    if (quota !== undefined && this.now === undefined)
      throw new Error('a quota needs the clock it is counted by: pass `now`');
    this.quota = quota;
    this.used.clear();
  }

  /**
   * Answers one REST call. Choices where Google's reference is silent:
   * - a data filter that matches nothing reads and writes nothing (no error);
   * - a data filter matching several rows writes the values to each;
   * - `null` in written values leaves the cell; in updateCells, a CellData
   *   without userEnteredValue clears it when `fields` names userEnteredValue
   *   (the field-mask rule);
   * - empty lists and zero totals are left out of responses, as Google's JSON does;
   * - reads ignore number formats: UNFORMATTED_VALUE returns what is stored,
   *   FORMATTED_VALUE the same printed as text; formulas are not evaluated.
   */
  request(request: ModelRequest): ModelResponse {
    const found = route(request.method, decodePath(request.path));
    const call = found?.call ?? 'unknown';
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> | undefined;
    try {
      if (found === null)
        throw new ModelError(404, `No route for ${request.method} ${request.path}`, 'NOT_FOUND');
      body = this.serve(found, request);
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      status = error.status;
      headers = error.headers;
      body = { error: { code: error.status, message: error.message, status: error.reason } };
    }
    this.requestsByCall[call] += 1;
    if (this.measureBytes && READS.has(call)) this.bytesOut[call] += JSON.stringify(body).length;
    return { status, body, call, ...(headers === undefined ? {} : { headers }) };
  }

  // ---- set-up and inspection (typed helpers) ----------------------------------------------

  /** A spreadsheet with no tabs, shared with `editors` (Editor) and `viewers` (Viewer). */
  createSpreadsheet(id: string, editors: readonly string[], viewers: readonly string[] = []): void {
    this.books.set(id, {
      title: `Sheet ${id}`,
      tabs: [],
      metadata: new Map(),
      nextSheetId: 1000,
      nextMetadataId: 1,
      layout: 0,
      journal: null,
      byKey: new Map(),
      byKeyValue: new Map(),
      editors: new Set(editors),
      viewers: new Set(viewers),
      cellLimit: null,
    });
  }

  /**
   * Sets (or, with null, lifts) the most cells the workbook's grids may hold: inserting rows
   * past it is refused with Google's 400, while writes inside the grid go on (a full workbook).
   */
  setCellLimit(id: string, limit: number | null): void {
    this.book(id).cellLimit = limit;
  }

  /** Shares the spreadsheet with an account (replacing its role, if it had one). */
  share(id: string, account: string, role: Role): void {
    const book = this.book(id);
    book.editors.delete(account);
    book.viewers.delete(account);
    (role === 'editor' ? book.editors : book.viewers).add(account);
  }

  unshare(id: string, account: string): void {
    const book = this.book(id);
    book.editors.delete(account);
    book.viewers.delete(account);
  }

  title(id: string): string {
    return this.book(id).title;
  }

  tabTitles(id: string): string[] {
    return this.book(id).tabs.map((t) => t.title);
  }

  /** A tab's values, row-major as stored ('' for blank cells within a row; no trailing empty rows). */
  values(id: string, title: string): Cell[][] {
    const tab = this.book(id).tabs.find((t) => t.title === title);
    if (tab === undefined) return [];
    const rows = tab.rows.map((row) => [...row.cells]);
    while (rows.length > 0 && rows.at(-1)?.length === 0) rows.pop();
    return rows;
  }

  /**
   * A tab's cell notes, row-major from row 1 (undefined for a cell without one; each row
   * ends at its last note, and rows after the last with a note are left out).
   */
  notes(id: string, title: string): (string | undefined)[][] {
    const tab = this.book(id).tabs.find((t) => t.title === title);
    if (tab === undefined) return [];
    const rows = tab.rows.map((row) => trimmedNotes(row.notes ?? []));
    while (rows.length > 0 && rows.at(-1)?.length === 0) rows.pop();
    return rows;
  }

  frozenRows(id: string, title: string): number {
    return this.tab(id, title).frozenRows;
  }

  formats(id: string, title: string): NumberFormat[] {
    return [...this.tab(id, title).formats];
  }

  /** The tab's grid size (rowCount grows with inserts and writes beyond it, shrinks with deletes). */
  gridSize(id: string, title: string): { rowCount: number; columnCount: number } {
    const tab = this.tab(id, title);
    return { rowCount: tab.rowCount, columnCount: tab.columnCount };
  }

  /** Every developer metadata entry as Google describes it, where it is now. */
  metadata(id: string): Json[] {
    const book = this.book(id);
    return located(book).map((at) => describe(at));
  }

  // ---- a person edits the sheet -------------------------------------------------------------

  /** A tab a person made by hand, with these rows. */
  /** Renames a tab, as a person does (it keeps its grid id, rows and their metadata). */
  renameTab(id: string, from: string, to: string): void {
    const book = this.book(id);
    if (book.tabs.some((t) => t.title === to)) throw new Error(`tab ${to} exists`);
    book.layout += 1;
    this.tab(id, from).title = to;
  }

  addTab(id: string, title: string, rows: readonly (readonly Cell[])[]): void {
    const book = this.book(id);
    if (book.tabs.some((t) => t.title === title)) throw new Error(`tab ${title} exists`);
    book.layout += 1;
    book.tabs.push({
      sheetId: book.nextSheetId++,
      title,
      frozenRows: 0,
      rowCount: Math.max(NEW_TAB_ROWS, rows.length),
      columnCount: Math.max(NEW_TAB_COLUMNS, ...rows.map((r) => r.length)),
      rows: rows.map((cells) => ({ cells: [...cells], tags: [] })),
      formats: [],
    });
  }

  /**
   * Sorts the data rows (below the header row) by a column, as Data → Sort
   * range does: stable; numbers before text before booleans (text without
   * regard to case); blank cells last in either direction. Rows carry their
   * metadata with them.
   */
  sortRows(id: string, title: string, column: number, descending = false): void {
    const tab = this.tab(id, title);
    const [header, ...data] = tab.rows;
    data.sort((a, b) => compareCells(a.cells[column], b.cells[column], descending));
    this.book(id).layout += 1;
    tab.rows = header === undefined ? data : [header, ...data];
  }

  /** Inserts `count` blank rows before a row (1-based); metadata below moves down. */
  insertRows(id: string, title: string, before: number, count = 1): void {
    insertRowsAt(this.book(id), this.tab(id, title), before - 1, count);
  }

  /** Deletes rows (1-based), and the metadata on them. */
  deleteRow(id: string, title: string, rowNumber: number, count = 1): void {
    const book = this.book(id);
    deleteRowsAt(book, this.tab(id, title), rowNumber - 1, count);
  }

  /** Types a value into a cell (row 1-based, column 0-based); '' blanks it. */
  setCell(id: string, title: string, rowNumber: number, column: number, value: Cell): void {
    const tab = this.tab(id, title);
    growGrid(tab, rowNumber, column + 1);
    setCells(tab, rowNumber - 1, column, [value]);
  }

  /** Adds a column after the last header cell, with this header text; returns its index. */
  addColumn(id: string, title: string, header: string): number {
    const tab = this.tab(id, title);
    const width = trimmed(tab.rows[0]?.cells ?? []).length;
    growGrid(tab, 1, width + 1);
    setCells(tab, 0, width, [header]);
    return width;
  }

  /** Renames a header (column 0-based). */
  renameHeader(id: string, title: string, column: number, header: string): void {
    this.setCell(id, title, 1, column, header);
  }

  /** Clears the contents of every row below the header (rows, their metadata and notes stay). */
  clearDataRows(id: string, title: string): void {
    const tab = this.tab(id, title);
    tab.rows = tab.rows.map((row, i) => (i === 0 ? row : { ...row, cells: [] }));
  }

  // ---- serving ------------------------------------------------------------------------------

  private serve(found: Route, request: ModelRequest): unknown {
    const { call } = found;
    const write = !READS.has(call);
    this.charge(request.account, write);
    const book = this.books.get(found.id);
    if (book === undefined)
      throw new ModelError(404, 'Requested entity was not found.', 'NOT_FOUND');
    const canRead = book.editors.has(request.account) || book.viewers.has(request.account);
    if (!canRead || (write && !book.editors.has(request.account)))
      throw new ModelError(403, 'The caller does not have permission', 'PERMISSION_DENIED');
    const query = request.query ?? new URLSearchParams();
    const body = object(request.body, 'body');
    const id = found.id;
    const run = (): unknown => {
      switch (call) {
        case 'spreadsheets.get':
          return spreadsheet(id, book);
        case 'spreadsheets.batchUpdate':
          return { spreadsheetId: id, replies: batchUpdate(book, list(body.requests, 'requests')) };
        case 'values.get':
          return readArea(
            parseA1(book, found.param),
            readOptions(query.get('valueRenderOption'), query.get('majorDimension')),
          );
        case 'values.batchGet': {
          const options = readOptions(query.get('valueRenderOption'), query.get('majorDimension'));
          const valueRanges = query
            .getAll('ranges')
            .map((r) => readArea(parseA1(book, r), options));
          return { spreadsheetId: id, ...(valueRanges.length === 0 ? {} : { valueRanges }) };
        }
        case 'values.update': {
          const option = inputOption(query.get('valueInputOption'));
          const area = parseA1(book, found.param);
          const values = grid(body.values, body.majorDimension, 'values');
          return { spreadsheetId: id, ...updateResponse(writeArea(area, values, option, false)) };
        }
        case 'values.batchUpdate':
          return batchUpdateValues(id, book, body);
        case 'values.append':
          return append(id, book, found.param, query, body);
        case 'values.clear': {
          const area = parseA1(book, found.param);
          clearArea(area);
          return { spreadsheetId: id, clearedRange: areaText(area) };
        }
        case 'values.batchGetByDataFilter':
          return batchGetByDataFilter(id, book, body);
        case 'values.batchUpdateByDataFilter':
          return batchUpdateByDataFilter(id, book, body);
        case 'developerMetadata.get': {
          const meta = book.metadata.get(Number(found.param));
          if (meta === undefined)
            throw new ModelError(404, `No developer metadata with ID: ${found.param}`, 'NOT_FOUND');
          return describe(locate(book, meta));
        }
        case 'developerMetadata.search':
          return searchMetadata(book, body);
        case 'unknown':
          throw new ModelError(404, 'Not found', 'NOT_FOUND');
      }
    };
    return write ? transact(book, run) : run();
  }

  /** Counts the request against the account's budget for this minute; 429 past it. */
  private charge(account: string, write: boolean): void {
    const limit = write ? this.quota?.writesPerMinute : this.quota?.readsPerMinute;
    if (limit === undefined || this.now === undefined) return;
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    let used = this.used.get(account);
    if (used?.minute !== minute) {
      used = { minute, reads: 0, writes: 0 };
      this.used.set(account, used);
    }
    const count = write ? used.writes : used.reads;
    if (count >= limit) {
      const metric = write ? 'Write requests' : 'Read requests';
      const retryAfter = Math.max(1, Math.ceil(((minute + 1) * 60_000 - now) / 1000));
      throw new ModelError(
        429,
        `Quota exceeded for quota metric '${metric}' and limit '${metric} per minute per user' of service 'sheets.googleapis.com'.`,
        'RESOURCE_EXHAUSTED',
        { 'retry-after': String(retryAfter) },
      );
    }
    if (write) used.writes += 1;
    else used.reads += 1;
  }

  private book(id: string): Book {
    const book = this.books.get(id);
    if (book === undefined) throw new Error(`no spreadsheet ${id}`);
    return book;
  }

  private tab(id: string, title: string): Tab {
    const tab = this.book(id).tabs.find((t) => t.title === title);
    if (tab === undefined) throw new Error(`no tab ${title}`);
    return tab;
  }
}

const zeroes = (): Record<CallKind, number> => ({
  'spreadsheets.get': 0,
  'spreadsheets.batchUpdate': 0,
  'values.get': 0,
  'values.batchGet': 0,
  'values.update': 0,
  'values.batchUpdate': 0,
  'values.append': 0,
  'values.clear': 0,
  'values.batchGetByDataFilter': 0,
  'values.batchUpdateByDataFilter': 0,
  'developerMetadata.get': 0,
  'developerMetadata.search': 0,
  unknown: 0,
});

/** Runs a write; if it fails, the spreadsheet is as it was (Google applies a request whole or not at all). */
function transact<T>(book: Book, work: () => T): T {
  // Rows are replaced, never mutated, so copying the row lists is enough (and cheap); metadata,
  // the larger part, is journaled instead.
  const tabs = book.tabs.map((tab) => ({
    tab,
    saved: { ...tab, rows: [...tab.rows], formats: [...tab.formats] },
  }));
  const saved = {
    title: book.title,
    tabs: [...book.tabs],
    nextSheetId: book.nextSheetId,
    nextMetadataId: book.nextMetadataId,
  };
  const journal: [number, Metadata | undefined][] = [];
  book.journal = journal;
  try {
    return work();
  } catch (error) {
    for (const { tab, saved: state } of tabs) Object.assign(tab, state);
    Object.assign(book, saved);
    for (const [id, previous] of journal.reverse()) storeMetadata(book, id, previous);
    book.layout += 1;
    throw error;
  } finally {
    book.journal = null;
  }
}

/** Sets (or, with undefined, deletes) a metadata entry, journaled while a write runs. */
function putMetadata(book: Book, id: number, meta: Metadata | undefined): void {
  book.journal?.push([id, book.metadata.get(id)]);
  storeMetadata(book, id, meta);
}

// ---- cells and rows ---------------------------------------------------------------------

const isBlank = (cell: Cell | undefined): boolean => cell === undefined || cell === '';

function trimmed(cells: readonly Cell[]): Cell[] {
  const out = [...cells];
  while (out.length > 0 && isBlank(out.at(-1))) out.pop();
  return out;
}

/** Sheets' sort order: numbers < text (case-insensitive) < booleans; blanks last either way. */
function compareCells(a: Cell | undefined, b: Cell | undefined, descending: boolean): number {
  if (isBlank(a) || isBlank(b)) return (isBlank(a) ? 1 : 0) - (isBlank(b) ? 1 : 0);
  const rank = (c: Cell | undefined): number =>
    typeof c === 'number' ? 0 : typeof c === 'string' ? 1 : 2;
  let order = rank(a) - rank(b);
  if (order === 0) {
    const x = typeof a === 'string' ? a.toLowerCase() : Number(a);
    const y = typeof b === 'string' ? b.toLowerCase() : Number(b);
    order = x < y ? -1 : x > y ? 1 : 0;
  }
  return descending ? -order : order;
}

/** Grows the grid to hold `rows` rows and `columns` columns (writes beyond it do, in Sheets). */
function growGrid(tab: Tab, rows: number, columns: number): void {
  tab.rowCount = Math.max(tab.rowCount, rows);
  tab.columnCount = Math.max(tab.columnCount, columns);
}

/** Writes cells from (row, column) on; `undefined` entries are skipped. */
function setCells(
  tab: Tab,
  row: number,
  column: number,
  values: readonly (Cell | undefined)[],
): void {
  while (tab.rows.length <= row) tab.rows.push(BLANK_ROW);
  const old = tab.rows[row] ?? BLANK_ROW;
  const cells = [...old.cells];
  values.forEach((value, j) => {
    if (value === undefined) return;
    while (cells.length < column + j) cells.push('');
    cells[column + j] = value;
  });
  tab.rows[row] = withCells(old, cells);
}

/** The row with these cells (its tags and notes kept), built without an object spread: every write comes here. */
const withCells = (old: Row, cells: readonly Cell[]): Row =>
  old.notes === undefined ? { cells, tags: old.tags } : { cells, tags: old.tags, notes: old.notes };

function trimmedNotes(notes: readonly (string | undefined)[]): (string | undefined)[] {
  const out = [...notes];
  while (out.length > 0 && out.at(-1) === undefined) out.pop();
  return out;
}

/** Sets notes from (row, column) on ('' or undefined clears one); the values stay. */
function setNotes(
  tab: Tab,
  row: number,
  column: number,
  notes: readonly (string | undefined)[],
): void {
  while (tab.rows.length <= row) tab.rows.push(BLANK_ROW);
  const old = tab.rows[row] ?? BLANK_ROW;
  const next = [...(old.notes ?? [])];
  notes.forEach((note, j) => {
    while (next.length < column + j) next.push(undefined);
    next[column + j] = note === '' ? undefined : note;
  });
  const kept = trimmedNotes(next);
  tab.rows[row] = { ...old, notes: kept.length === 0 ? undefined : kept };
}

function insertRowsAt(book: Book, tab: Tab, start: number, count: number): void {
  tab.rowCount += count;
  // Rows added below the stored ones (Log's new rows) move no row, and no tag.
  if (start >= tab.rows.length) return;
  tab.rows.splice(start, 0, ...Array.from({ length: count }, () => BLANK_ROW));
  shiftPositions(book, tab, start, count);
}

function deleteRowsAt(book: Book, tab: Tab, start: number, count: number): void {
  const cached = currentPositions(book);
  for (const row of tab.rows.slice(start, start + count))
    for (const id of row.tags) {
      putMetadata(book, id, undefined);
      cached?.rowOf.delete(id);
    }
  tab.rows.splice(start, count);
  tab.rowCount = Math.max(0, tab.rowCount - count);
  shiftPositions(book, tab, start + count, -count);
}

// ---- ranges ------------------------------------------------------------------------------

function tabById(book: Book, sheetId: unknown, where: string): Tab {
  const tab = book.tabs.find((t) => t.sheetId === sheetId);
  if (tab === undefined) throw invalid(`${where}: No grid with id: ${String(sheetId)}`);
  return tab;
}

/** An A1 range: `Tab!A1:B2`, `'It''s'!A:A`, `Tab!1:1`, `Tab!A2:D`, a bare tab name, or a bare range on the first tab. */
function parseA1(book: Book, a1: string): Area {
  const fail = (): ModelError => invalid(`Unable to parse range: ${a1}`);
  const m = /^(?:'((?:[^']|'')+)'|([^!']+))!(.+)$/.exec(a1);
  let tab: Tab | undefined;
  let ref: string;
  if (m === null) {
    const named = book.tabs.find(
      (t) => t.title === a1.replace(/^'(.*)'$/, '$1').replace(/''/g, "'"),
    );
    if (named !== undefined)
      return { tab: named, startRow: 0, endRow: null, startCol: 0, endCol: null };
    tab = book.tabs[0];
    ref = a1;
  } else {
    const title = m[1]?.replace(/''/g, "'") ?? m[2];
    tab = book.tabs.find((t) => t.title === title);
    ref = m[3] ?? '';
  }
  if (tab === undefined) throw fail();
  const cell = /^([A-Z]*)(\d*)$/i;
  const [from = '', to, extra] = ref.split(':');
  if (extra !== undefined) throw fail();
  const a = cell.exec(from);
  const b = to === undefined ? a : cell.exec(to);
  if (a === null || b === null || from === '' || to === '') throw fail();
  const [, fc = '', fr = ''] = a;
  const [, tc = '', tr = ''] = b;
  const area: Area = {
    tab,
    startRow: fr === '' ? 0 : Number(fr) - 1,
    endRow: tr === '' ? null : Number(tr),
    startCol: fc === '' ? 0 : columnIndex(fc),
    endCol: tc === '' ? null : columnIndex(tc) + 1,
  };
  if (area.startRow < 0 || (area.endRow !== null && area.endRow <= area.startRow)) throw fail();
  if (area.endCol !== null && area.endCol <= area.startCol) throw fail();
  return area;
}

function gridArea(book: Book, value: unknown, where: string): Area {
  const range = object(value, where);
  const tab = tabById(book, optionalInt(range.sheetId, `${where}.sheetId`) ?? 0, where);
  return {
    tab,
    startRow: optionalInt(range.startRowIndex, `${where}.startRowIndex`) ?? 0,
    endRow: optionalInt(range.endRowIndex, `${where}.endRowIndex`) ?? null,
    startCol: optionalInt(range.startColumnIndex, `${where}.startColumnIndex`) ?? 0,
    endCol: optionalInt(range.endColumnIndex, `${where}.endColumnIndex`) ?? null,
  };
}

/** Reads must stay inside the grid (Google: "exceeds grid limits"). */
function checkInGrid(area: Area): void {
  const { tab } = area;
  const rows = area.endRow ?? area.startRow + 1;
  const cols = area.endCol ?? area.startCol + 1;
  if (rows > tab.rowCount || cols > tab.columnCount)
    throw invalid(
      `Range (${areaText({ ...area, endRow: rows, endCol: cols })}) exceeds grid limits. Max rows: ${tab.rowCount}, max columns: ${tab.columnCount}`,
    );
}

// ---- reading -----------------------------------------------------------------------------

interface ReadOptions {
  readonly render: 'UNFORMATTED_VALUE' | 'FORMATTED_VALUE' | 'FORMULA';
  readonly columns: boolean;
}

function readOptions(render: unknown, major: unknown): ReadOptions {
  const r = render ?? 'FORMATTED_VALUE';
  if (r !== 'UNFORMATTED_VALUE' && r !== 'FORMATTED_VALUE' && r !== 'FORMULA')
    throw invalid(`Invalid valueRenderOption: ${JSON.stringify(r)}`);
  const d = major ?? 'ROWS';
  if (d !== 'ROWS' && d !== 'COLUMNS')
    throw invalid(`Invalid majorDimension: ${JSON.stringify(d)}`);
  return { render: r, columns: d === 'COLUMNS' };
}

function render(cell: Cell, option: ReadOptions['render']): Cell {
  const formula = typeof cell === 'string' && cell.startsWith('FORMULA:');
  if (option === 'FORMULA') return formula && typeof cell === 'string' ? cell.slice(8) : cell;
  if (option === 'FORMATTED_VALUE')
    return typeof cell === 'boolean' ? (cell ? 'TRUE' : 'FALSE') : String(cell);
  return cell;
}

/** A ValueRange of an area: trailing blank cells and rows left out, as Google does. */
function readArea(area: Area, options: ReadOptions): Json {
  checkInGrid(area);
  const { tab } = area;
  const endRow = Math.min(area.endRow ?? tab.rowCount, tab.rows.length);
  let values: Cell[][] = [];
  // One copy per row (the slice), trimmed in place; unformatted values are the stored cells.
  const rendered = options.render !== 'UNFORMATTED_VALUE';
  for (let r = area.startRow; r < endRow; r++) {
    const cells = tab.rows[r]?.cells ?? [];
    const row = cells.slice(area.startCol, area.endCol ?? cells.length);
    while (row.length > 0 && isBlank(row[row.length - 1])) row.pop();
    values.push(rendered ? row.map((c) => render(c, options.render)) : row);
  }
  while (values.length > 0 && values.at(-1)?.length === 0) values.pop();
  if (options.columns)
    values = transpose(values).map((column) => trimmed(column.map((c) => c ?? '')));
  return {
    range: areaText(area),
    majorDimension: options.columns ? 'COLUMNS' : 'ROWS',
    ...(values.length === 0 ? {} : { values }),
  };
}

function transpose<T>(rows: readonly (readonly (T | undefined)[])[]): (T | undefined)[][] {
  const width = Math.max(0, ...rows.map((r) => r.length));
  return Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));
}

// ---- writing values ------------------------------------------------------------------------

type InputOption = 'RAW' | 'USER_ENTERED';

function inputOption(value: unknown): InputOption {
  if (value === 'RAW' || value === 'USER_ENTERED') return value;
  throw invalid(
    value === undefined || value === null
      ? "'valueInputOption' is required but not specified"
      : `Invalid valueInputOption: ${JSON.stringify(value)}`,
  );
}

/** Written values as rows; `undefined` marks a null (skipped) cell. */
function grid(values: unknown, major: unknown, where: string): (Cell | undefined)[][] {
  const d = major ?? 'ROWS';
  if (d !== 'ROWS' && d !== 'COLUMNS' && d !== 'DIMENSION_UNSPECIFIED')
    throw invalid(`Invalid majorDimension: ${JSON.stringify(d)}`);
  const rows = list(values, where).map((row, i) =>
    list(row, `${where}[${i}]`).map((cell, j): Cell | undefined => {
      if (cell === null || cell === undefined) return undefined;
      if (typeof cell === 'string' || typeof cell === 'number' || typeof cell === 'boolean')
        return cell;
      throw invalid(`Invalid values[${i}][${j}]: struct_value`);
    }),
  );
  return d === 'COLUMNS' ? transpose(rows) : rows;
}

function convert(value: Cell, option: InputOption): Cell {
  if (option === 'RAW' || typeof value !== 'string') return value;
  if (value.startsWith('=')) return `FORMULA:${value}`;
  if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}

interface Written {
  readonly area: Area;
  readonly rows: number;
  readonly columns: number;
  readonly cells: number;
}

/**
 * Writes values from the area's top-left. With `bounded`, values beyond the
 * area fail the request (data-filter writes); without, the grid grows.
 */
function writeArea(
  area: Area,
  values: (Cell | undefined)[][],
  option: InputOption,
  bounded: boolean,
): Written {
  const height = values.length;
  const width = Math.max(0, ...values.map((r) => r.length));
  const { tab } = area;
  // A single cell is where the values start, not a bound (`Tab!A1` takes a whole table).
  const anchor = area.endRow === area.startRow + 1 && area.endCol === area.startCol + 1;
  const open = bounded ? null : Infinity;
  const maxRows = ((anchor ? null : area.endRow) ?? open ?? tab.rowCount) - area.startRow;
  const maxCols = ((anchor ? null : area.endCol) ?? open ?? tab.columnCount) - area.startCol;
  if (height > maxRows || width > maxCols)
    throw invalid(
      `Requested writing within range [${areaText(area)}], but tried writing ${height > maxRows ? `to row [${area.startRow + height}]` : `to column [${columnLetters(area.startCol + width - 1)}]`}`,
    );
  growGrid(tab, area.startRow + height, area.startCol + width);
  let cells = 0;
  const rows = new Set<number>();
  const columns = new Set<number>();
  values.forEach((row, i) => {
    const converted = row.map((v) => (v === undefined ? undefined : convert(v, option)));
    if (converted.every((v) => v === undefined)) return;
    setCells(tab, area.startRow + i, area.startCol, converted);
    converted.forEach((v, j) => {
      if (v === undefined) return;
      cells += 1;
      rows.add(i);
      columns.add(j);
    });
  });
  const written: Area = {
    tab,
    startRow: area.startRow,
    endRow: area.startRow + Math.max(height, 1),
    startCol: area.startCol,
    endCol: area.startCol + Math.max(width, 1),
  };
  return { area: written, rows: rows.size, columns: columns.size, cells };
}

function clearArea(area: Area): void {
  const { tab } = area;
  const end = Math.min(area.endRow ?? tab.rows.length, tab.rows.length);
  for (let r = area.startRow; r < end; r++) {
    const old = tab.rows[r] ?? BLANK_ROW;
    const stop = area.endCol ?? old.cells.length;
    const cells = old.cells.map((c, j) => (j >= area.startCol && j < stop ? '' : c));
    tab.rows[r] = { ...old, cells: trimmed(cells) };
  }
}

/** An UpdateValuesResponse (zero counts left out, as Google's JSON does). */
function updateResponse(w: Written): Json {
  const out: Json = { updatedRange: areaText(w.area) };
  if (w.rows !== 0) out.updatedRows = w.rows;
  if (w.columns !== 0) out.updatedColumns = w.columns;
  if (w.cells !== 0) out.updatedCells = w.cells;
  return out;
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in counts) {
    const n = counts[key];
    if (n !== undefined && n !== 0) out[key] = n;
  }
  return out;
}

function batchUpdateValues(id: string, book: Book, body: Json): Json {
  const option = inputOption(body.valueInputOption);
  const responses = list(body.data, 'data').map((item, i) => {
    const data = object(item, `data[${i}]`);
    const range = optionalString(data.range, `data[${i}].range`) ?? '';
    const written = writeArea(
      parseA1(book, range),
      grid(data.values, data.majorDimension, `data[${i}].values`),
      option,
      false,
    );
    return written;
  });
  return {
    spreadsheetId: id,
    ...totals(responses),
    ...(responses.length === 0
      ? {}
      : { responses: responses.map((w) => ({ spreadsheetId: id, ...updateResponse(w) })) }),
  };
}

function totals(written: readonly Written[]): Record<string, number> {
  return nonZero({
    totalUpdatedRows: written.reduce((n, w) => n + w.rows, 0),
    totalUpdatedColumns: written.reduce((n, w) => n + w.columns, 0),
    totalUpdatedCells: written.reduce((n, w) => n + w.cells, 0),
    totalUpdatedSheets: new Set(written.filter((w) => w.cells > 0).map((w) => w.area.tab)).size,
  });
}

/** values.append: finds the table in the range and writes after its last row with data. */
function append(id: string, book: Book, a1: string, query: URLSearchParams, body: Json): Json {
  const option = inputOption(query.get('valueInputOption'));
  const insert = query.get('insertDataOption') ?? 'OVERWRITE';
  if (insert !== 'OVERWRITE' && insert !== 'INSERT_ROWS')
    throw invalid(`Invalid insertDataOption: ${insert}`);
  const area = parseA1(book, a1);
  const values = grid(body.values, body.majorDimension, 'values');
  const { tab } = area;
  const width = (area.endCol ?? tab.columnCount) - area.startCol;
  let first = -1;
  let last = -1;
  tab.rows.forEach((row, r) => {
    if (r < area.startRow) return;
    if (row.cells.slice(area.startCol, area.startCol + width).some((v) => !isBlank(v))) {
      if (first < 0) first = r;
      last = r;
    }
  });
  const start = last + 1 > area.startRow ? last + 1 : area.startRow;
  // INSERT_ROWS: rows below move down (with their metadata) instead of being overwritten.
  if (insert === 'INSERT_ROWS') insertRowsAt(book, tab, start, values.length);
  const written = writeArea(
    { tab, startRow: start, endRow: null, startCol: area.startCol, endCol: null },
    values,
    option,
    false,
  );
  const table: Area = {
    tab,
    startRow: first,
    endRow: last + 1,
    startCol: area.startCol,
    endCol: area.startCol + width,
  };
  return {
    spreadsheetId: id,
    ...(first < 0 ? {} : { tableRange: areaText(table) }),
    updates: {
      spreadsheetId: id,
      updatedRange: areaText({
        tab,
        startRow: start,
        endRow: start + Math.max(values.length, 1),
        startCol: area.startCol,
        endCol: area.startCol + Math.max(width, 1),
      }),
      ...nonZero({
        updatedRows: written.rows,
        updatedColumns: written.columns,
        updatedCells: written.cells,
      }),
    },
  };
}

// ---- developer metadata ------------------------------------------------------------------

/**
 * Where ROW metadata is now: rebuilt (one pass over the tags) after rows were
 * sorted, tabs added or a write undone; kept up to date in place when rows
 * are inserted or deleted and when a row is tagged (what every new session's
 * row costs, so a long Log is not walked again for each).
 */
interface Positions {
  readonly layout: number;
  readonly rowOf: Map<number, { readonly tab: Tab; readonly row: number }>;
  readonly tabIndex: ReadonlyMap<number, number>;
}

const positionsOf = new WeakMap<Book, Positions>();

/** The cached positions, if nothing has moved rows since they were made. */
function currentPositions(book: Book): Positions | undefined {
  const cached = positionsOf.get(book);
  return cached?.layout === book.layout ? cached : undefined;
}

/** Rows of `tab` from `from` on moved by `by` (an insert or a delete above them). */
function shiftPositions(book: Book, tab: Tab, from: number, by: number): void {
  const cached = currentPositions(book);
  if (cached === undefined) {
    book.layout += 1;
    return;
  }
  for (const [id, at] of cached.rowOf)
    if (at.tab === tab && at.row >= from) cached.rowOf.set(id, { tab, row: at.row + by });
}

function positions(book: Book): Positions {
  const cached = positionsOf.get(book);
  if (cached?.layout === book.layout) return cached;
  const rowOf = new Map<number, { tab: Tab; row: number }>();
  for (const tab of book.tabs)
    tab.rows.forEach((row, r) => {
      for (const id of row.tags) rowOf.set(id, { tab, row: r });
    });
  const fresh: Positions = {
    layout: book.layout,
    rowOf,
    tabIndex: new Map(book.tabs.map((tab, i) => [tab.sheetId, i])),
  };
  positionsOf.set(book, fresh);
  return fresh;
}

/** A metadata entry with where it is now. */
function locate(book: Book, meta: Metadata): Located {
  const { place } = meta;
  if (place.kind === 'SPREADSHEET') return { meta };
  if (place.kind === 'SHEET') return { meta, tab: tabById(book, place.sheetId, 'metadata') };
  const at = positions(book).rowOf.get(meta.id);
  if (at === undefined) throw new Error(`metadata ${meta.id} is on no row`);
  return { meta, tab: at.tab, row: at.row };
}

/** Sheet order: the spreadsheet's, then each tab's (sheet-level, then rows top-down); then by id. */
function inSheetOrder(book: Book, list: readonly Located[]): Located[] {
  const { tabIndex } = positions(book);
  const key = (at: Located): [number, number, number] =>
    at.tab === undefined
      ? [-1, 0, 0]
      : [tabIndex.get(at.tab.sheetId) ?? 0, at.row === undefined ? 0 : 1, at.row ?? 0];
  return [...list].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || a.meta.id - b.meta.id;
  });
}

/** Every metadata entry with where it is now, in sheet order. */
function located(book: Book): Located[] {
  return inSheetOrder(
    book,
    [...book.metadata.values()].map((meta) => locate(book, meta)),
  );
}

/** The ids with this key and value. */
const withKeyValue = (book: Book, key: string, value: string): Set<number> | undefined =>
  book.byKeyValue.get(key)?.get(value);

/**
 * The key and (non-empty) value of a lookup that gives only those, or null for any other
 * lookup: those are matched field by field (lookupPredicate), which also checks them.
 */
function keyValueLookup(lookup: unknown): { key: string; value: string } | null {
  if (!isJson(lookup)) return null;
  const { metadataKey, metadataValue } = lookup;
  if (typeof metadataKey !== 'string' || typeof metadataValue !== 'string' || metadataValue === '')
    return null;
  return lookup.metadataId === undefined &&
    lookup.visibility === undefined &&
    lookup.locationType === undefined &&
    lookup.locationMatchingStrategy === undefined &&
    lookup.metadataLocation === undefined
    ? { key: metadataKey, value: metadataValue }
    : null;
}

/** Adds or removes an id under a key of an index. */
function indexId(map: Map<string, Set<number>>, key: string, id: number, add: boolean): void {
  let ids = map.get(key);
  if (ids === undefined) map.set(key, (ids = new Set()));
  if (add) ids.add(id);
  else ids.delete(id);
  if (ids.size === 0) map.delete(key);
}

/** Adds or removes an entry in the key and key-value indexes. */
function indexMetadata(book: Book, meta: Metadata, add: boolean): void {
  indexId(book.byKey, meta.key, meta.id, add);
  let values = book.byKeyValue.get(meta.key);
  if (values === undefined) {
    values = new Map<string, Set<number>>();
    book.byKeyValue.set(meta.key, values);
  }
  indexId(values, meta.value, meta.id, add);
  if (values.size === 0) book.byKeyValue.delete(meta.key);
}

/**
 * Sets (or, with undefined, deletes) an entry, indexes included; no journal.
 * Positions are the caller's to keep: the tags on rows say where ROW entries are.
 */
function storeMetadata(book: Book, id: number, meta: Metadata | undefined): void {
  const old = book.metadata.get(id);
  if (old !== undefined) indexMetadata(book, old, false);
  if (meta === undefined) book.metadata.delete(id);
  else {
    book.metadata.set(id, meta);
    indexMetadata(book, meta, true);
  }
}

function locationJson(at: Located): Json {
  const { place } = at.meta;
  if (place.kind === 'SPREADSHEET') return { locationType: 'SPREADSHEET', spreadsheet: true };
  if (place.kind === 'SHEET') return { locationType: 'SHEET', sheetId: place.sheetId };
  const row = at.row ?? 0;
  return {
    locationType: 'ROW',
    dimensionRange: {
      sheetId: place.sheetId,
      dimension: 'ROWS',
      startIndex: row,
      endIndex: row + 1,
    },
  };
}

/** A DeveloperMetadata as Google writes it (an empty value left out). */
function describe(at: Located): Json {
  const { meta } = at;
  return {
    metadataId: meta.id,
    metadataKey: meta.key,
    ...(meta.value === '' ? {} : { metadataValue: meta.value }),
    location: locationJson(at),
    visibility: meta.visibility,
  };
}

interface Location {
  readonly kind: 'SPREADSHEET' | 'SHEET' | 'ROW';
  readonly sheetId?: number;
  readonly start?: number;
  readonly end?: number;
}

function parseLocation(book: Book, value: unknown, where: string): Location {
  const location = object(value, where);
  if (location.spreadsheet === true) return { kind: 'SPREADSHEET' };
  if (location.dimensionRange !== undefined && location.dimensionRange !== null) {
    const range = object(location.dimensionRange, `${where}.dimensionRange`);
    const tab = tabById(
      book,
      optionalInt(range.sheetId, `${where}.dimensionRange.sheetId`) ?? 0,
      where,
    );
    if (range.dimension !== 'ROWS')
      throw invalid(
        `${where}.dimensionRange: only ROWS are modelled (got ${String(range.dimension)})`,
      );
    const start = optionalInt(range.startIndex, `${where}.dimensionRange.startIndex`);
    const end = optionalInt(range.endIndex, `${where}.dimensionRange.endIndex`);
    if (start === undefined || end === undefined)
      throw invalid(`${where}.dimensionRange: the range must be bounded`);
    return { kind: 'ROW', sheetId: tab.sheetId, start, end };
  }
  const sheetId = optionalInt(location.sheetId, `${where}.sheetId`);
  if (sheetId !== undefined)
    return { kind: 'SHEET', sheetId: tabById(book, sheetId, where).sheetId };
  throw invalid(`${where}: a location must set spreadsheet, sheetId or dimensionRange`);
}

/** Whether a metadata entry's location is (EXACT) or meets (INTERSECTING) a location. */
function atLocation(at: Located, location: Location, exact: boolean): boolean {
  const { place } = at.meta;
  if (location.kind === 'SPREADSHEET') return place.kind === 'SPREADSHEET';
  if (place.kind === 'SPREADSHEET' || place.sheetId !== location.sheetId) return false;
  if (exact) {
    if (place.kind !== location.kind) return false;
    return (
      place.kind === 'SHEET' || (at.row === location.start && (at.row ?? 0) + 1 === location.end)
    );
  }
  if (location.kind === 'SHEET' || place.kind === 'SHEET') return true;
  const row = at.row ?? -1;
  return row >= (location.start ?? 0) && row < (location.end ?? Infinity);
}

/** A DeveloperMetadataLookup as a predicate: every field given must match. */
function lookupPredicate(book: Book, value: unknown, where: string): (at: Located) => boolean {
  const lookup = object(value, where);
  const id = optionalInt(lookup.metadataId, `${where}.metadataId`);
  const key = optionalString(lookup.metadataKey, `${where}.metadataKey`);
  // An empty value is no value in Google's JSON: it does not narrow the lookup.
  const metaValue = optionalString(lookup.metadataValue, `${where}.metadataValue`) || undefined;
  const visibility = optionalString(lookup.visibility, `${where}.visibility`);
  const locationType = optionalString(lookup.locationType, `${where}.locationType`);
  const strategy = optionalString(
    lookup.locationMatchingStrategy,
    `${where}.locationMatchingStrategy`,
  );
  const location =
    lookup.metadataLocation === undefined || lookup.metadataLocation === null
      ? undefined
      : parseLocation(book, lookup.metadataLocation, `${where}.metadataLocation`);
  if (strategy !== undefined && location === undefined)
    throw invalid(`${where}: locationMatchingStrategy requires a metadataLocation`);
  if (strategy === 'EXACT_LOCATION' && locationType !== undefined)
    throw invalid(`${where}: locationType must be left unspecified with EXACT_LOCATION`);
  const exact = strategy === 'EXACT_LOCATION';
  return (at) =>
    (id === undefined || at.meta.id === id) &&
    (key === undefined || at.meta.key === key) &&
    (metaValue === undefined || at.meta.value === metaValue) &&
    (visibility === undefined || at.meta.visibility === visibility) &&
    (locationType === undefined || at.meta.place.kind === locationType) &&
    (location === undefined || atLocation(at, location, exact));
}

/** The metadata a data filter selects: by lookup, or those on locations meeting a range. */
function metadataOf(book: Book, filter: Json, where: string): Located[] {
  const lookup = filter.developerMetadataLookup;
  const pair = keyValueLookup(lookup);
  if (pair !== null) {
    // The common lookup (a row's tag): its key-value index entry holds exactly the matches.
    const ids = withKeyValue(book, pair.key, pair.value);
    if (ids === undefined) return [];
    const found: Located[] = [];
    for (const id of ids) {
      const meta = book.metadata.get(id);
      if (meta !== undefined) found.push(locate(book, meta));
    }
    return found.length < 2 ? found : inSheetOrder(book, found);
  }
  if (lookup !== undefined && lookup !== null) {
    const matches = lookupPredicate(book, lookup, `${where}.developerMetadataLookup`);
    // Only the entries that can match are looked at: by id, or by key (and value), else all.
    const { metadataId, metadataKey, metadataValue } = object(lookup, where);
    const ids =
      typeof metadataId === 'number'
        ? [metadataId]
        : typeof metadataKey === 'string'
          ? typeof metadataValue === 'string' && metadataValue !== ''
            ? withKeyValue(book, metadataKey, metadataValue)
            : book.byKey.get(metadataKey)
          : book.metadata.keys();
    const candidates: Located[] = [];
    for (const id of ids ?? []) {
      const meta = book.metadata.get(id);
      if (meta !== undefined) candidates.push(locate(book, meta));
    }
    return inSheetOrder(book, candidates.filter(matches));
  }
  const area = areaOf(book, filter, where);
  return located(book).filter(
    (at) =>
      at.tab === area.tab &&
      (at.row === undefined || (at.row >= area.startRow && at.row < (area.endRow ?? Infinity))),
  );
}

function areaOf(book: Book, filter: Json, where: string): Area {
  if (typeof filter.a1Range === 'string') return parseA1(book, filter.a1Range);
  if (filter.gridRange !== undefined && filter.gridRange !== null)
    return gridArea(book, filter.gridRange, `${where}.gridRange`);
  throw invalid(`${where}: a data filter must set a1Range, gridRange or developerMetadataLookup`);
}

/** The areas a data filter selects: its range, or the rows (whole width) and sheets of the metadata it finds. */
function areasOf(book: Book, filter: Json, where: string): Area[] {
  if (filter.developerMetadataLookup === undefined || filter.developerMetadataLookup === null)
    return [areaOf(book, filter, where)];
  const areas: Area[] = [];
  for (const at of metadataOf(book, filter, where)) {
    if (at.tab === undefined) continue; // spreadsheet metadata has no cells
    areas.push(
      at.row === undefined
        ? { tab: at.tab, startRow: 0, endRow: null, startCol: 0, endCol: null }
        : { tab: at.tab, startRow: at.row, endRow: at.row + 1, startCol: 0, endCol: null },
    );
  }
  return areas;
}

/** Which area an area is, within its tab (two areas are the same when their tab and this are). */
const areaKey = (a: Area): string => `${a.startRow}:${a.endRow}:${a.startCol}:${a.endCol}`;

/** Matched areas over all filters, each once, with the filters that matched it, in filter order then sheet order. */
function matchAreas(
  book: Book,
  filters: readonly unknown[],
  where: string,
): { area: Area; filters: unknown[] }[] {
  const out: { area: Area; filters: unknown[] }[] = [];
  // Each area found once by its tab and key: a read of a few hundred rows is not quadratic.
  const seenIn = new Map<Tab, Map<string, { area: Area; filters: unknown[] }>>();
  filters.forEach((raw, i) => {
    const filter = object(raw, `${where}[${i}]`);
    for (const area of areasOf(book, filter, `${where}[${i}]`)) {
      let inTab = seenIn.get(area.tab);
      if (inTab === undefined) {
        inTab = new Map<string, { area: Area; filters: unknown[] }>();
        seenIn.set(area.tab, inTab);
      }
      const key = areaKey(area);
      const seen = inTab.get(key);
      if (seen === undefined) {
        const match = { area, filters: [raw] };
        out.push(match);
        inTab.set(key, match);
      } else if (!seen.filters.includes(raw)) seen.filters.push(raw);
    }
  });
  return out;
}

function batchGetByDataFilter(id: string, book: Book, body: Json): Json {
  const options = readOptions(body.valueRenderOption, body.majorDimension);
  const matched = matchAreas(book, list(body.dataFilters, 'dataFilters'), 'dataFilters');
  const valueRanges = matched.map((m) => ({
    valueRange: readArea(m.area, options),
    dataFilters: m.filters,
  }));
  return { spreadsheetId: id, ...(valueRanges.length === 0 ? {} : { valueRanges }) };
}

function batchUpdateByDataFilter(id: string, book: Book, body: Json): Json {
  const option = inputOption(body.valueInputOption);
  const responses: { written: Written; filter: unknown }[] = [];
  list(body.data, 'data').forEach((item, i) => {
    const data = object(item, `data[${i}]`);
    const values = grid(data.values, data.majorDimension, `data[${i}].values`);
    const filter = object(data.dataFilter, `data[${i}].dataFilter`);
    // Every area is found before anything is written, so this item's writes cannot move its own targets.
    for (const area of areasOf(book, filter, `data[${i}].dataFilter`))
      responses.push({ written: writeArea(area, values, option, true), filter: data.dataFilter });
  });
  return {
    spreadsheetId: id,
    ...totals(responses.map((r) => r.written)),
    ...(responses.length === 0
      ? {}
      : {
          responses: responses.map((r) => {
            const response = updateResponse(r.written);
            response.dataFilter = r.filter;
            return response;
          }),
        }),
  };
}

function searchMetadata(book: Book, body: Json): Json {
  const matched: { at: Located; filters: unknown[] }[] = [];
  list(body.dataFilters, 'dataFilters').forEach((raw, i) => {
    for (const at of metadataOf(book, object(raw, `dataFilters[${i}]`), `dataFilters[${i}]`)) {
      const seen = matched.find((m) => m.at.meta.id === at.meta.id);
      if (seen === undefined) matched.push({ at, filters: [raw] });
      else seen.filters.push(raw);
    }
  });
  const order = new Map(
    inSheetOrder(
      book,
      matched.map((m) => m.at),
    ).map((at, i) => [at, i]),
  );
  const rank = (m: { at: Located }): number => order.get(m.at) ?? 0;
  matched.sort((a, b) => rank(a) - rank(b));
  return matched.length === 0
    ? {}
    : {
        matchedDeveloperMetadata: matched.map((m) => ({
          developerMetadata: describe(m.at),
          dataFilters: m.filters,
        })),
      };
}

// ---- spreadsheets.get and batchUpdate -------------------------------------------------

function sheetProperties(tab: Tab, index: number): Json {
  return {
    sheetId: tab.sheetId,
    title: tab.title,
    index,
    sheetType: 'GRID',
    gridProperties: {
      rowCount: tab.rowCount,
      columnCount: tab.columnCount,
      ...(tab.frozenRows === 0 ? {} : { frozenRowCount: tab.frozenRows }),
    },
  };
}

function spreadsheet(id: string, book: Book): Json {
  return {
    spreadsheetId: id,
    properties: { title: book.title },
    sheets: book.tabs.map((tab, index) => ({ properties: sheetProperties(tab, index) })),
  };
}

/** spreadsheets.batchUpdate: in order; the caller's transaction undoes all if one fails. */
function batchUpdate(book: Book, requests: readonly unknown[]): Json[] {
  return requests.map((raw, i) => {
    const request = object(raw, `requests[${i}]`);
    const kinds = Object.keys(request).filter(
      (k) => request[k] !== undefined && request[k] !== null,
    );
    const [kind] = kinds;
    if (kind === undefined || kinds.length > 1)
      throw invalid(`Invalid requests[${i}]: exactly one kind of request must be set`);
    const where = `Invalid requests[${i}].${kind}`;
    const body = object(request[kind], where);
    switch (kind) {
      case 'addSheet':
        return { addSheet: addSheet(book, body, where) };
      case 'updateSpreadsheetProperties': {
        const properties = object(body.properties, where);
        const fields = optionalString(body.fields, where) ?? '';
        if (fields === '') throw invalid(`${where}: At least one field must be specified`);
        if (
          (fields === '*' || fields.split(',').includes('title')) &&
          typeof properties.title === 'string'
        )
          book.title = properties.title;
        return {};
      }
      case 'repeatCell': {
        const area = gridArea(book, body.range, where);
        const format = object(
          object(object(body.cell, where).userEnteredFormat, where).numberFormat,
          where,
        );
        if (typeof format.pattern === 'string')
          area.tab.formats.push({ column: area.startCol, pattern: format.pattern });
        return {};
      }
      case 'insertDimension':
        insertDimension(book, body, where);
        return {};
      case 'deleteDimension':
        deleteDimension(book, body, where);
        return {};
      case 'updateCells':
        updateCells(book, body, where);
        return {};
      case 'createDeveloperMetadata':
        return {
          createDeveloperMetadata: { developerMetadata: createMetadata(book, body, where) },
        };
      case 'deleteDeveloperMetadata': {
        const filter = object(body.dataFilter, `${where}.dataFilter`);
        const deleted = metadataOf(book, filter, `${where}.dataFilter`);
        for (const at of deleted) untag(book, at);
        return {
          deleteDeveloperMetadata:
            deleted.length === 0
              ? {}
              : { deletedDeveloperMetadata: deleted.map((at) => describe(at)) },
        };
      }
      default:
        throw invalid(`Invalid requests[${i}]: ${kind} is not modelled by the test spreadsheet`);
    }
  });
}

function addSheet(book: Book, body: Json, where: string): Json {
  const properties = object(body.properties, where);
  const gridProperties = object(properties.gridProperties, `${where}.properties.gridProperties`);
  const title =
    optionalString(properties.title, `${where}.properties.title`) ?? `Sheet${book.tabs.length + 1}`;
  if (book.tabs.some((t) => t.title.toLowerCase() === title.toLowerCase()))
    throw invalid(
      `${where}: A sheet with the name "${title}" already exists. Please enter another name.`,
    );
  const requested = optionalInt(properties.sheetId, `${where}.properties.sheetId`);
  if (requested !== undefined && book.tabs.some((t) => t.sheetId === requested))
    throw invalid(`${where}: Sheet with id ${requested} already exists.`);
  while (book.tabs.some((t) => t.sheetId === book.nextSheetId)) book.nextSheetId += 1;
  const tab: Tab = {
    sheetId: requested ?? book.nextSheetId++,
    title,
    frozenRows: optionalInt(gridProperties.frozenRowCount, where) ?? 0,
    rowCount: optionalInt(gridProperties.rowCount, where) ?? NEW_TAB_ROWS,
    columnCount: optionalInt(gridProperties.columnCount, where) ?? NEW_TAB_COLUMNS,
    rows: [],
    formats: [],
  };
  const index = Math.min(
    optionalInt(properties.index, where) ?? book.tabs.length,
    book.tabs.length,
  );
  book.layout += 1;
  book.tabs.splice(index, 0, tab);
  return { properties: sheetProperties(tab, index) };
}

/** A ROWS DimensionRange, bounded; returns its tab and ends. */
function rowsRange(
  book: Book,
  value: unknown,
  where: string,
): { tab: Tab; start: number; end: number } {
  const range = object(value, `${where}.range`);
  const tab = tabById(book, optionalInt(range.sheetId, `${where}.range.sheetId`) ?? 0, where);
  if (range.dimension !== 'ROWS')
    throw invalid(`${where}: only ROWS are modelled (got ${String(range.dimension)})`);
  const start = optionalInt(range.startIndex, `${where}.range.startIndex`);
  const end = optionalInt(range.endIndex, `${where}.range.endIndex`);
  if (start === undefined || end === undefined)
    throw invalid(`${where}: the range must be bounded`);
  if (start < 0 || end <= start)
    throw invalid(`${where}: endIndex must be greater than startIndex`);
  return { tab, start, end };
}

function insertDimension(book: Book, body: Json, where: string): void {
  const { tab, start, end } = rowsRange(book, body.range, where);
  const cells = book.tabs.reduce((sum, t) => sum + t.rowCount * t.columnCount, 0);
  if (book.cellLimit !== null && cells + (end - start) * tab.columnCount > book.cellLimit)
    throw invalid(
      `${where}: This action would increase the number of cells in the workbook above the limit of ${book.cellLimit} cells.`,
    );
  if (start > tab.rowCount)
    throw invalid(
      `${where}: range.startIndex (${start}) must be less than or equal to the grid's row count (${tab.rowCount})`,
    );
  if (body.inheritFromBefore === true && start === 0)
    throw invalid(`${where}: Cannot inherit properties from before the first row`);
  insertRowsAt(book, tab, start, end - start);
}

function deleteDimension(book: Book, body: Json, where: string): void {
  const { tab, start, end } = rowsRange(book, body.range, where);
  if (end > tab.rowCount)
    throw invalid(
      `${where}: Invalid range: rows ${start}-${end} beyond the grid's ${tab.rowCount}`,
    );
  if (tab.rowCount - (end - start) <= tab.frozenRows)
    throw invalid(`${where}: You can't delete all the rows on the sheet.`);
  deleteRowsAt(book, tab, start, end - start);
}

/** An ExtendedValue as a stored cell ('' when absent). */
function extendedValue(value: unknown, where: string): Cell {
  const v = object(value, where);
  const set = ['stringValue', 'numberValue', 'boolValue', 'formulaValue', 'errorValue'].filter(
    (k) => v[k] !== undefined && v[k] !== null,
  );
  if (set.length > 1) throw invalid(`${where}: only one of ${set.join(', ')} may be set`);
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.numberValue === 'number') return v.numberValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (typeof v.formulaValue === 'string') return `FORMULA:${v.formulaValue}`;
  if (set.length === 1) throw invalid(`${where}: ${set[0] ?? ''} cannot be written`);
  return '';
}

function updateCells(book: Book, body: Json, where: string): void {
  const fields = (optionalString(body.fields, `${where}.fields`) ?? '')
    .split(',')
    .map((f) => f.trim());
  if (fields.every((f) => f === ''))
    throw invalid(`${where}: At least one field must be specified`);
  const values = fields.some(
    (f) => f === '*' || f === 'userEnteredValue' || f.startsWith('userEnteredValue.'),
  );
  const notes = fields.some((f) => f === '*' || f === 'note');
  const hasStart = body.start !== undefined && body.start !== null;
  const area: Area = hasStart
    ? (() => {
        const start = object(body.start, `${where}.start`);
        return {
          tab: tabById(book, optionalInt(start.sheetId, `${where}.start.sheetId`) ?? 0, where),
          startRow: optionalInt(start.rowIndex, `${where}.start.rowIndex`) ?? 0,
          endRow: null,
          startCol: optionalInt(start.columnIndex, `${where}.start.columnIndex`) ?? 0,
          endCol: null,
        };
      })()
    : gridArea(book, body.range, `${where}.range`);
  const { tab } = area;
  const cellData = list(body.rows, `${where}.rows`).map((row, i) =>
    list(object(row, `${where}.rows[${i}]`).values, `${where}.rows[${i}].values`).map((cell, j) =>
      object(cell, `${where}.rows[${i}].values[${j}]`),
    ),
  );
  const rows = cellData.map((row, i) =>
    row.map((cell, j) =>
      extendedValue(cell.userEnteredValue, `${where}.rows[${i}].values[${j}].userEnteredValue`),
    ),
  );
  // A CellData's note: absent (or '') clears the cell's note when the field mask names it.
  const rowNotes = cellData.map((row, i) =>
    row.map((cell, j) => optionalString(cell.note, `${where}.rows[${i}].values[${j}].note`)),
  );
  const height = hasStart ? rows.length : (area.endRow ?? tab.rowCount) - area.startRow;
  const width = hasStart
    ? Math.max(0, ...rows.map((r) => r.length))
    : (area.endCol ?? tab.columnCount) - area.startCol;
  if (area.startRow + height > tab.rowCount)
    throw invalid(
      `${where}: GridCoordinate.rowIndex[${area.startRow + height - 1}] is after last row in grid[${tab.rowCount - 1}]`,
    );
  if (area.startCol + width > tab.columnCount)
    throw invalid(
      `${where}: GridCoordinate.columnIndex[${area.startCol + width - 1}] is after last column in grid[${tab.columnCount - 1}]`,
    );
  if (!values && !notes) return;
  for (let i = 0; i < height; i++) {
    const given = rows[i];
    const givenNotes = rowNotes[i];
    if (hasStart) {
      if (given === undefined || given.length === 0) continue;
      if (values) setCells(tab, area.startRow + i, area.startCol, given);
      if (notes) setNotes(tab, area.startRow + i, area.startCol, givenNotes ?? []);
      continue;
    }
    // With a range, the cells it covers that the rows do not are cleared (the field mask names them).
    if (given === undefined && area.startRow + i >= tab.rows.length) break;
    if (values)
      setCells(
        tab,
        area.startRow + i,
        area.startCol,
        Array.from({ length: width }, (_, j) => given?.[j] ?? ''),
      );
    if (notes)
      setNotes(
        tab,
        area.startRow + i,
        area.startCol,
        Array.from({ length: width }, (_, j) => givenNotes?.[j]),
      );
  }
}

function createMetadata(book: Book, body: Json, where: string): Json {
  const m = object(body.developerMetadata, `${where}.developerMetadata`);
  const key = optionalString(m.metadataKey, `${where}.developerMetadata.metadataKey`);
  if (key === undefined || key === '')
    throw invalid(`${where}: Developer metadata must always have a key specified`);
  const visibility = optionalString(m.visibility, `${where}.developerMetadata.visibility`);
  if (visibility !== 'DOCUMENT' && visibility !== 'PROJECT')
    throw invalid(
      `${where}: Developer metadata must always have visibility specified (DOCUMENT or PROJECT)`,
    );
  const value = optionalString(m.metadataValue, `${where}.developerMetadata.metadataValue`) ?? '';
  const requested = optionalInt(m.metadataId, `${where}.developerMetadata.metadataId`);
  if (requested !== undefined && requested <= 0)
    throw invalid(`${where}: metadataId must be positive`);
  if (requested !== undefined && book.metadata.has(requested))
    throw invalid(`${where}: Developer metadata with ID ${requested} already exists`);
  const location = parseLocation(book, m.location, `${where}.developerMetadata.location`);
  while (book.metadata.has(book.nextMetadataId)) book.nextMetadataId += 1;
  const id = requested ?? book.nextMetadataId++;
  let at: Located;
  if (location.kind === 'ROW') {
    const tab = tabById(book, location.sheetId, where);
    const start = location.start ?? 0;
    if (location.end !== start + 1)
      throw invalid(`${where}: a dimensionRange for developer metadata must be a single row`);
    if (start < 0 || start >= tab.rowCount)
      throw invalid(`${where}: row ${start} is outside the grid (${tab.rowCount} rows)`);
    while (tab.rows.length <= start) tab.rows.push(BLANK_ROW);
    const row = tab.rows[start] ?? BLANK_ROW;
    tab.rows[start] = { ...row, tags: [...row.tags, id] };
    const meta: Metadata = {
      id,
      key,
      value,
      visibility,
      place: { kind: 'ROW', sheetId: tab.sheetId },
    };
    putMetadata(book, id, meta);
    currentPositions(book)?.rowOf.set(id, { tab, row: start });
    at = { meta, tab, row: start };
  } else {
    const place: Place =
      location.kind === 'SHEET'
        ? { kind: 'SHEET', sheetId: location.sheetId ?? 0 }
        : { kind: 'SPREADSHEET' };
    const meta: Metadata = { id, key, value, visibility, place };
    putMetadata(book, id, meta);
    at = { meta };
  }
  return describe(at);
}

function untag(book: Book, at: Located): void {
  currentPositions(book)?.rowOf.delete(at.meta.id);
  putMetadata(book, at.meta.id, undefined);
  if (at.tab === undefined || at.row === undefined) return;
  const row = at.tab.rows[at.row] ?? BLANK_ROW;
  at.tab.rows[at.row] = { ...row, tags: row.tags.filter((t) => t !== at.meta.id) };
}
