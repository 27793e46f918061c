/**
 * A Sheets-compatible HTTP server on 127.0.0.1 for tests, driven through the
 * real Google client. The spreadsheets themselves are a `SpreadsheetModel`
 * (spreadsheetModel.ts, shared with the simulation); this file adds what only
 * HTTP has: self-signed JWT verification, fault injection, latency, and a
 * record of the requests. The edits a person makes (sort, insert, delete
 * rows, rename a header) are the model's, here for the tests that use them.
 */
import { generateKeyPairSync, randomUUID, verify, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

import {
  classify,
  SpreadsheetModel,
  type Cell,
  type NumberFormat,
  type Quota,
} from './spreadsheetModel';

export type { Cell } from './spreadsheetModel';

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

export interface ServiceAccountKey {
  readonly file: string;
  readonly email: string;
}

/** A JSON value as text (strings as they are, numbers and booleans printed, anything else empty). */
const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';

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
  /** The spreadsheets: their contents, sharing, and the edits a person makes. */
  readonly model: SpreadsheetModel;
  private readonly faults: Fault[] = [];
  private readonly keys = new Map<string, KeyObject>();
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  private server: Server | null = null;
  private pending = 0;

  /** `quota`: a per-account, per-minute budget (429 with Retry-After past it), by the wall clock. */
  constructor(options: { quota?: Quota } = {}) {
    this.model = new SpreadsheetModel({
      now: () => Date.now(),
      ...(options.quota === undefined ? {} : { quota: options.quota }),
    });
  }

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
    this.model.createSpreadsheet(id, sharedWith, readers);
  }

  title(id: string): string {
    return this.model.title(id);
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
    return this.model.values(id, title);
  }

  /** A tab's cell notes (row-major from row 1; undefined where a cell has none). */
  notes(id: string, title: string): (string | undefined)[][] {
    return this.model.notes(id, title);
  }

  tabTitles(id: string): string[] {
    return this.model.tabTitles(id);
  }

  frozenRows(id: string, title: string): number {
    return this.model.frozenRows(id, title);
  }

  formats(id: string, title: string): NumberFormat[] {
    return this.model.formats(id, title);
  }

  // ---- a person edits the sheet (more on `model`) ----------------------------------

  /** Sorts the data rows (below the header) by a column, as Data → Sort range does. */
  sortRows(id: string, title: string, column: number, descending = false): void {
    this.model.sortRows(id, title, column, descending);
  }

  /** Deletes a row (1-based, as the sheet numbers them). */
  deleteRow(id: string, title: string, rowNumber: number): void {
    this.model.deleteRow(id, title, rowNumber);
  }

  /** Inserts empty rows before a row (1-based). */
  insertRows(id: string, title: string, before: number, count: number): void {
    this.model.insertRows(id, title, before, count);
  }

  /** A tab a person made by hand, with these rows. */
  addTab(id: string, title: string, rows: Cell[][]): void {
    this.model.addTab(id, title, rows);
  }

  setCell(id: string, title: string, rowNumber: number, column: number, value: Cell): void {
    this.model.setCell(id, title, rowNumber, column, value);
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
    const kind = classify(method, url.pathname).access;
    const record = (status: number): void => {
      // Read from the text: a body that is not JSON is still recorded (and answered 400).
      const valueInputOption =
        url.searchParams.get('valueInputOption') ??
        /"valueInputOption"\s*:\s*"([A-Z_]+)"/.exec(body)?.[1];
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
      let parsed: unknown;
      try {
        parsed = body === '' ? undefined : JSON.parse(body);
      } catch {
        throw new HttpError(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT');
      }
      const answer = this.model.request({
        method,
        path: url.pathname,
        query: url.searchParams,
        body: parsed,
        account: email,
      });
      record(answer.status);
      if (answer.status === 200 && fault?.hangAfterApplying === true) {
        this.hung.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
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
}
