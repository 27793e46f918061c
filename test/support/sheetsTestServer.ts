/**
 * A Sheets-compatible HTTP server on 127.0.0.1 for tests, driven through the
 * real Google client: the value and batch endpoints the clock uses, A1
 * ranges (quoted sheet names too), values.append table detection, RAW vs
 * USER_ENTERED, self-signed JWT verification, fault injection, and the edits a
 * person makes (sort, insert, delete rows, rename a header).
 */
import { generateKeyPairSync, randomUUID, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

export type Cell = string | number | boolean;

export interface Fault {
  /** Answer with this status (and Google's error body). */
  readonly status?: number;
  readonly retryAfter?: string;
  /** Destroy the connection without an answer. */
  readonly reset?: boolean;
  /** Never answer (until the client gives up or the server closes). */
  readonly hang?: boolean;
  /** Wait this long before handling the request normally. */
  readonly delayMs?: number;
  /** Handle the request normally, then hang instead of answering (the write happened; the ack never comes). */
  readonly hangAfterApplying?: boolean;
}

export interface RequestRecord {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly kind: 'read' | 'write';
  readonly status: number;
  readonly valueInputOption?: string;
}

interface Tab {
  sheetId: number;
  title: string;
  frozenRows: number;
  rows: Cell[][];
  formats: { column: number; pattern: string }[];
}

interface Spreadsheet {
  title: string;
  tabs: Tab[];
  /** Editors. */
  sharedWith: Set<string>;
  /** Viewers: they may read, and get 403 on any write. */
  readers: Set<string>;
}

export interface ServiceAccountKey {
  readonly file: string;
  readonly email: string;
}

interface Range {
  tab: Tab;
  startRow: number; // 0-based
  endRow: number | null; // exclusive, null = open
  startCol: number;
  endCol: number | null;
}

/** A JSON value as text (strings as they are, numbers and booleans printed, anything else empty). */
const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';

const colIndex = (letters: string): number =>
  letters.split('').reduce((n, c) => n * 26 + (c.toUpperCase().charCodeAt(0) - 64), 0) - 1;
const colLetter = (index: number): string => {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export class SheetsTestServer {
  readonly requests: RequestRecord[] = [];
  latencyMs = 0;
  /** While true, every request fails with 503 (an outage). */
  down = false;
  private readonly faults: Fault[] = [];
  private readonly spreadsheets = new Map<string, Spreadsheet>();
  private readonly keys = new Map<string, KeyObject>();
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  private server: Server | null = null;
  private pending = 0;

  /** Requests received and not yet answered (or whose connection has not closed). */
  get inFlight(): number {
    return this.pending;
  }
  rootUrl = '';

  /** Starts listening on a free port of 127.0.0.1. */
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.pending += 1;
      res.once('close', () => {
        this.pending -= 1;
      });
      void this.handle(req, res);
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.rootUrl = `http://127.0.0.1:${port}/`;
    return this;
  }

  /** Stops at once, hung requests and idle connections included. */
  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      if (this.server === null) resolve();
      else
        this.server.close(() => {
          resolve();
        });
    });
  }

  /** A service account whose self-signed JWTs this server accepts; its key file is written to `dir`. */
  serviceAccount(dir: string, name = 'clock'): ServiceAccountKey {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyId = randomUUID().replace(/-/g, '');
    const email = `${name}@badgeclock-test.iam.gserviceaccount.com`;
    this.keys.set(keyId, publicKey);
    const file = join(dir, `${name}-key.json`);
    writeFileSync(
      file,
      JSON.stringify({
        type: 'service_account',
        project_id: 'badgeclock-test',
        private_key_id: keyId,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        client_email: email,
        client_id: '1',
        // Never contacted: the clock signs its own JWTs. A dead loopback port if it ever were.
        token_uri: 'http://127.0.0.1:9/token',
      }),
      { mode: 0o600 },
    );
    return { file, email };
  }

  /** A key file whose key this server does not know (a wrong or revoked key). */
  unknownServiceAccount(dir: string): ServiceAccountKey {
    const account = this.serviceAccount(dir, 'stranger');
    this.keys.clear();
    return account;
  }

  /** A spreadsheet shared with `sharedWith` as Editors and with `readers` as Viewers. */
  createSpreadsheet(id: string, sharedWith: string[], readers: string[] = []): void {
    this.spreadsheets.set(id, {
      title: `Sheet ${id}`,
      tabs: [],
      sharedWith: new Set(sharedWith),
      readers: new Set(readers),
    });
  }

  title(id: string): string {
    return this.sheet(id).title;
  }

  /** Queues faults for the next requests, in order. */
  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** A tab's values (row-major, as stored). */
  values(id: string, title: string): Cell[][] {
    const tab = this.sheet(id).tabs.find((t) => t.title === title);
    return tab === undefined ? [] : tab.rows.map((row) => [...row]);
  }

  tabTitles(id: string): string[] {
    return this.sheet(id).tabs.map((t) => t.title);
  }

  frozenRows(id: string, title: string): number {
    return this.tab(id, title).frozenRows;
  }

  formats(id: string, title: string): { column: number; pattern: string }[] {
    return this.tab(id, title).formats;
  }

  // ---- a person edits the sheet ------------------------------------------------

  /** Sorts the data rows (below the header) by a column, as Data → Sort range does. */
  sortRows(id: string, title: string, column: number, descending = false): void {
    const tab = this.tab(id, title);
    const [header, ...data] = tab.rows;
    data.sort(
      (a, b) =>
        String(a[column] ?? '').localeCompare(String(b[column] ?? '')) * (descending ? -1 : 1),
    );
    tab.rows = header === undefined ? data : [header, ...data];
  }

  /** Deletes a row (1-based, as the sheet numbers them). */
  deleteRow(id: string, title: string, rowNumber: number): void {
    this.tab(id, title).rows.splice(rowNumber - 1, 1);
  }

  /** Inserts empty rows before a row (1-based). */
  insertRows(id: string, title: string, before: number, count: number): void {
    this.tab(id, title).rows.splice(before - 1, 0, ...Array.from({ length: count }, () => []));
  }

  /** A tab a person made by hand, with these rows. */
  addTab(id: string, title: string, rows: Cell[][]): void {
    const sheet = this.sheet(id);
    sheet.tabs.push({
      sheetId: 1000 + sheet.tabs.length,
      title,
      frozenRows: 0,
      rows: rows.map((row) => [...row]),
      formats: [],
    });
  }

  setCell(id: string, title: string, rowNumber: number, column: number, value: Cell): void {
    const tab = this.tab(id, title);
    while (tab.rows.length < rowNumber) tab.rows.push([]);
    const row = tab.rows[rowNumber - 1] ?? [];
    while (row.length < column) row.push('');
    row[column] = value;
    tab.rows[rowNumber - 1] = row;
  }

  // ---- HTTP ----------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        resolve(text);
      });
    });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const kind = method === 'GET' ? 'read' : 'write';
    const record = (status: number): void => {
      const valueInputOption =
        url.searchParams.get('valueInputOption') ??
        (body.includes('valueInputOption')
          ? ((JSON.parse(body) as { valueInputOption?: string }).valueInputOption ?? undefined)
          : undefined);
      this.requests.push({
        at: Date.now(),
        method,
        path: url.pathname,
        kind,
        status,
        ...(valueInputOption === undefined ? {} : { valueInputOption }),
      });
    };
    const fault = this.down ? { status: 503 } : this.faults.shift();
    const delay = (fault?.delayMs ?? 0) + this.latencyMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (fault?.reset === true) {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault?.hang === true) {
      record(0);
      this.hung.add(res);
      return;
    }
    if (fault?.status !== undefined) {
      record(fault.status);
      if (fault.retryAfter !== undefined) res.setHeader('Retry-After', fault.retryAfter);
      this.error(
        res,
        new HttpError(
          fault.status,
          `injected ${fault.status}`,
          fault.status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
        ),
      );
      return;
    }
    try {
      const email = this.authenticate(req);
      const answer = this.route(method, url, body, email);
      record(200);
      if (fault?.hangAfterApplying === true) {
        this.hung.add(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    } catch (error) {
      const failure =
        error instanceof HttpError ? error : new HttpError(500, String(error), 'INTERNAL');
      record(failure.status);
      this.error(res, failure);
    }
  }

  private error(res: ServerResponse, error: HttpError): void {
    res.writeHead(error.status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { code: error.status, message: error.message, status: error.reason },
      }),
    );
  }

  /** Verifies the self-signed JWT (RS256, known key id, not expired); returns the account's e-mail. */
  private authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (token === undefined)
      throw new HttpError(
        401,
        'Request is missing required authentication credential.',
        'UNAUTHENTICATED',
      );
    const [h = '', p = '', sig = ''] = token.split('.');
    const decode = (part: string): Record<string, unknown> =>
      JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    let head: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      head = decode(h);
      claims = decode(p);
    } catch {
      throw new HttpError(401, 'Invalid JWT.', 'UNAUTHENTICATED');
    }
    const key = this.keys.get(String(head.kid));
    if (head.alg !== 'RS256' || key === undefined)
      throw new HttpError(401, 'Invalid JWT signature (unknown key).', 'UNAUTHENTICATED');
    const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'));
    if (!ok) throw new HttpError(401, 'Invalid JWT signature.', 'UNAUTHENTICATED');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now())
      throw new HttpError(401, 'JWT expired.', 'UNAUTHENTICATED');
    const scope = text(claims.scope);
    if (!scope.includes('spreadsheets') && !text(claims.aud).includes('sheets')) {
      throw new HttpError(
        403,
        'Request had insufficient authentication scopes.',
        'PERMISSION_DENIED',
      );
    }
    return String(claims.iss);
  }

  private route(method: string, url: URL, body: string, email: string): unknown {
    const path = decodeURIComponent(url.pathname);
    const match = /^\/v4\/spreadsheets\/([^/:]+)(.*)$/.exec(path);
    if (match === null) throw new HttpError(404, `No route for ${path}`, 'NOT_FOUND');
    const id = match[1] ?? '';
    const rest = match[2] ?? '';
    const sheet = this.spreadsheets.get(id);
    if (sheet === undefined)
      throw new HttpError(404, 'Requested entity was not found.', 'NOT_FOUND');
    const canRead = sheet.sharedWith.has(email) || sheet.readers.has(email);
    if (!canRead || (method !== 'GET' && !sheet.sharedWith.has(email)))
      throw new HttpError(403, 'The caller does not have permission', 'PERMISSION_DENIED');
    const json = (): Record<string, unknown> =>
      body === '' ? {} : (JSON.parse(body) as Record<string, unknown>);

    if (method === 'GET' && rest === '') {
      return {
        spreadsheetId: id,
        properties: { title: sheet.title },
        sheets: sheet.tabs.map((tab, index) => ({
          properties: {
            sheetId: tab.sheetId,
            title: tab.title,
            index,
            gridProperties: { rowCount: 1000, columnCount: 26, frozenRowCount: tab.frozenRows },
          },
        })),
      };
    }
    if (method === 'POST' && rest === ':batchUpdate') {
      const requests = (json().requests ?? []) as Record<string, Record<string, unknown>>[];
      return {
        spreadsheetId: id,
        replies: requests.map((request) => this.batchRequest(sheet, request)),
      };
    }
    if (method === 'GET' && rest === '/values:batchGet') {
      return {
        spreadsheetId: id,
        valueRanges: url.searchParams.getAll('ranges').map((r) => this.read(sheet, r)),
      };
    }
    if (method === 'POST' && rest === '/values:batchUpdate') {
      const request = json();
      const option = text(request.valueInputOption);
      const data = (request.data ?? []) as { range: string; values: unknown[][] }[];
      let updatedCells = 0;
      for (const item of data) updatedCells += this.write(sheet, item.range, item.values, option);
      return { spreadsheetId: id, totalUpdatedCells: updatedCells };
    }
    const valuesMatch = /^\/values\/(.+?)(:append|:clear)?$/.exec(rest);
    if (valuesMatch !== null) {
      const a1 = valuesMatch[1] ?? '';
      const option = url.searchParams.get('valueInputOption') ?? '';
      if (method === 'GET') return this.read(sheet, a1);
      if (method === 'PUT')
        return {
          updatedCells: this.write(sheet, a1, (json().values ?? []) as unknown[][], option),
        };
      if (method === 'POST' && valuesMatch[2] === ':append')
        return this.append(sheet, a1, (json().values ?? []) as unknown[][], option);
    }
    throw new HttpError(404, `No route for ${method} ${path}`, 'NOT_FOUND');
  }

  private batchRequest(
    sheet: Spreadsheet,
    request: Record<string, Record<string, unknown>>,
  ): unknown {
    if (request.addSheet !== undefined) {
      const properties = (request.addSheet.properties ?? {}) as {
        title?: string;
        gridProperties?: { frozenRowCount?: number };
      };
      const title = properties.title ?? `Sheet${sheet.tabs.length + 1}`;
      if (sheet.tabs.some((t) => t.title === title)) {
        throw new HttpError(
          400,
          `Invalid requests[0].addSheet: A sheet with the name "${title}" already exists.`,
          'INVALID_ARGUMENT',
        );
      }
      const tab: Tab = {
        sheetId: 1000 + sheet.tabs.length,
        title,
        frozenRows: properties.gridProperties?.frozenRowCount ?? 0,
        rows: [],
        formats: [],
      };
      sheet.tabs.push(tab);
      return {
        addSheet: { properties: { sheetId: tab.sheetId, title, index: sheet.tabs.length - 1 } },
      };
    }
    if (request.updateSpreadsheetProperties !== undefined) {
      const update = request.updateSpreadsheetProperties as {
        properties?: { title?: string };
        fields?: string;
      };
      if (update.fields === 'title' && update.properties?.title !== undefined)
        sheet.title = update.properties.title;
      return {};
    }
    if (request.repeatCell !== undefined) {
      const range = request.repeatCell.range as { sheetId: number; startColumnIndex: number };
      const cell = request.repeatCell.cell as {
        userEnteredFormat: { numberFormat: { pattern: string } };
      };
      const tab = sheet.tabs.find((t) => t.sheetId === range.sheetId);
      if (tab === undefined) throw new HttpError(400, 'No grid with id', 'INVALID_ARGUMENT');
      tab.formats.push({
        column: range.startColumnIndex,
        pattern: cell.userEnteredFormat.numberFormat.pattern,
      });
      return {};
    }
    throw new HttpError(
      400,
      `Unsupported request ${Object.keys(request).join(',')}`,
      'INVALID_ARGUMENT',
    );
  }

  private parse(sheet: Spreadsheet, a1: string): Range {
    const m = /^(?:'((?:[^']|'')+)'|([^!']+))!(.+)$/.exec(a1);
    const title = m === null ? sheet.tabs[0]?.title : (m[1]?.replace(/''/g, "'") ?? m[2]);
    const ref = m === null ? a1 : (m[3] ?? '');
    const tab = sheet.tabs.find((t) => t.title === title);
    if (tab === undefined)
      throw new HttpError(400, `Unable to parse range: ${a1}`, 'INVALID_ARGUMENT');
    const cell = /^([A-Z]*)(\d*)$/i;
    const [from = '', to] = ref.split(':');
    const a = cell.exec(from);
    const b = to === undefined ? a : cell.exec(to);
    if (a === null || b === null)
      throw new HttpError(400, `Unable to parse range: ${a1}`, 'INVALID_ARGUMENT');
    const [, fc = '', fr = ''] = a;
    const [, tc = '', tr = ''] = b;
    return {
      tab,
      startRow: fr === '' ? 0 : Number(fr) - 1,
      endRow: tr === '' ? null : Number(tr),
      startCol: fc === '' ? 0 : colIndex(fc),
      endCol: tc === '' ? null : colIndex(tc) + 1,
    };
  }

  private read(sheet: Spreadsheet, a1: string): unknown {
    const range = this.parse(sheet, a1);
    const endRow = range.endRow ?? range.tab.rows.length;
    const values: Cell[][] = [];
    for (let r = range.startRow; r < Math.min(endRow, range.tab.rows.length); r++) {
      const row = range.tab.rows[r] ?? [];
      const slice = row.slice(range.startCol, range.endCol ?? row.length);
      while (slice.length > 0 && (slice.at(-1) === '' || slice.at(-1) === undefined)) slice.pop();
      values.push(slice);
    }
    while (values.length > 0 && values.at(-1)?.length === 0) values.pop();
    const title = `'${range.tab.title.replace(/'/g, "''")}'`;
    return {
      range: `${title}!${colLetter(range.startCol)}${range.startRow + 1}:${colLetter((range.endCol ?? 26) - 1)}${endRow}`,
      majorDimension: 'ROWS',
      ...(values.length === 0 ? {} : { values }),
    };
  }

  private convert(value: unknown, option: string): Cell {
    if (option !== 'RAW' && option !== 'USER_ENTERED')
      throw new HttpError(400, 'Invalid valueInputOption', 'INVALID_ARGUMENT');
    if (typeof value === 'number' || typeof value === 'boolean') return value;
    const typed = text(value);
    if (option === 'USER_ENTERED') {
      if (typed.startsWith('=')) return `FORMULA:${typed}`;
      if (typed.trim() !== '' && Number.isFinite(Number(typed))) return Number(typed);
    }
    return typed;
  }

  private write(sheet: Spreadsheet, a1: string, values: unknown[][], option: string): number {
    const range = this.parse(sheet, a1);
    let cells = 0;
    values.forEach((row, i) => {
      const r = range.startRow + i;
      while (range.tab.rows.length <= r) range.tab.rows.push([]);
      const target = range.tab.rows[r] ?? [];
      row.forEach((value, j) => {
        const c = range.startCol + j;
        while (target.length < c) target.push('');
        target[c] = this.convert(value, option);
        cells += 1;
      });
      range.tab.rows[r] = target;
    });
    return cells;
  }

  /** values.append: finds the table in the range and writes after its last row with data. */
  private append(sheet: Spreadsheet, a1: string, values: unknown[][], option: string): unknown {
    const range = this.parse(sheet, a1);
    const width = (range.endCol ?? 26) - range.startCol;
    let last = -1;
    range.tab.rows.forEach((row, r) => {
      if (row.slice(range.startCol, range.startCol + width).some((v) => v !== '')) last = r;
    });
    const start = last + 1;
    // INSERT_ROWS: rows below move down instead of being overwritten.
    range.tab.rows.splice(start, 0, ...values.map(() => [] as Cell[]));
    const title = `'${range.tab.title.replace(/'/g, "''")}'`;
    const written = this.write(
      sheet,
      `${title}!${colLetter(range.startCol)}${start + 1}`,
      values,
      option,
    );
    return {
      updates: {
        updatedRange: `${title}!${colLetter(range.startCol)}${start + 1}:${colLetter(range.startCol + width - 1)}${start + values.length}`,
        updatedRows: values.length,
        updatedCells: written,
      },
    };
  }

  private sheet(id: string): Spreadsheet {
    const sheet = this.spreadsheets.get(id);
    if (sheet === undefined) throw new Error(`no spreadsheet ${id}`);
    return sheet;
  }

  private tab(id: string, title: string): Tab {
    const tab = this.sheet(id).tabs.find((t) => t.title === title);
    if (tab === undefined) throw new Error(`no tab ${title}`);
    return tab;
  }
}
