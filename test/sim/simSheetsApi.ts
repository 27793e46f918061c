/**
 * The sheet side of the simulation, in one place: the `SheetsApi` port (the
 * one the real Sheets client talks to) over the in-process spreadsheet model,
 * in virtual time. Each request travels for a drawn latency, is applied by
 * the model when it arrives, and is answered on the way back, unless the
 * faults decide otherwise (faults.ts). Failures look like what the Google
 * client throws, as `classify` in sheetError.ts reads them: an HTTP status
 * (with `response.headers['retry-after']`), a network `code`, or the name
 * `TimeoutError`.
 *
 * A killed process hears nothing more: its pending answers are dropped and
 * it sends nothing new, but what it sent is still applied when it arrives
 * (a write that landed after its sender died).
 */
import type { sheets_v4 } from '@googleapis/sheets';
import type {
  DataFilter,
  DataFilterValueRange,
  SheetRequest,
  SheetsApi,
  ValueRange,
} from '../../src/drivers/sheets/sheetsApi';
import { makeSheetsClient, type SheetsClient } from '../../src/drivers/sheets/sheetsClient';
import type { ModelRequest, SpreadsheetModel } from '../support/spreadsheetModel';
import type { Faults, Outcome } from './faults';
import type { Random } from './random';
import type { SimScheduler } from './simClock';

/** One request as the world saw it. */
export interface RequestRecord {
  /** Monotonic world ms when it was sent. */
  readonly at: number;
  readonly call: string;
  readonly write: boolean;
  readonly outcome: Outcome['type'];
  /** The answer's body for reads, once applied (bytesRead measures it when asked). */
  answer: unknown;
}

/** JSON length of a read's answer (0 until and unless it is applied): what the clock downloaded. */
export function bytesRead(record: RequestRecord): number {
  return record.answer === undefined ? 0 : JSON.stringify(record.answer).length;
}

/** A process's connection: once dead, it hears no answers and sends nothing. */
export interface Life {
  dead: boolean;
}

export interface SimSheetsApiOptions {
  readonly model: SpreadsheetModel;
  readonly spreadsheetId: string;
  readonly account: string;
  readonly scheduler: SimScheduler;
  readonly random: Random;
  readonly faults: Faults;
  readonly timeoutMs: number;
  /** A card id whose rows the spreadsheet refuses (a 400 for the whole request), or null while none was tapped. */
  readonly poisonCard: () => string | null;
  readonly life: Life;
  readonly onRequest: (record: RequestRecord) => void;
}

interface Failure extends Error {
  status?: number;
  code?: string;
  response?: { status: number; headers: Record<string, string>; data: unknown };
}

function httpError(status: number, body: unknown, headers: Record<string, string> = {}): Failure {
  const message =
    (body as { error?: { message?: string } } | undefined)?.error?.message ??
    `Request failed with status code ${status}`;
  const error: Failure = new Error(message);
  error.status = status;
  error.response = { status, headers, data: body };
  return error;
}

function networkError(code: string): Failure {
  const error: Failure = new Error(
    `request to https://sheets.googleapis.com/ failed, reason: ${code}`,
  );
  error.code = code;
  return error;
}

function timeoutError(ms: number): Failure {
  const error: Failure = new Error(`The operation was aborted due to timeout (${ms} ms)`);
  error.name = 'TimeoutError';
  return error;
}

const READ_OPTIONS = {
  valueRenderOption: 'UNFORMATTED_VALUE',
  dateTimeRenderOption: 'SERIAL_NUMBER',
  majorDimension: 'ROWS',
};

/** The SheetsApi port over the model, with latency and faults in virtual time. */
export function makeSimSheetsApi(options: SimSheetsApiOptions): SheetsApi {
  const { model, scheduler, random, faults, life, timeoutMs } = options;
  const base = `/v4/spreadsheets/${options.spreadsheetId}`;

  /** One-way latency: mostly tens to hundreds of ms, sometimes seconds. */
  const latency = (): number =>
    random.chance(0.03) ? random.int(1_000, 6_000) : random.int(20, 300);

  const apply = (request: ModelRequest, write: boolean, record: RequestRecord) => {
    const poison = write ? options.poisonCard() : null;
    if (poison !== null && refuses(request, poison)) {
      // Not transient: the entry is bad for good, and the clock must set it aside.
      faults.count('400', scheduler.now(), false);
      const body = {
        error: {
          code: 400,
          message: `Invalid value at 'data.values' (${poison}): the spreadsheet refused this entry`,
          status: 'INVALID_ARGUMENT',
        },
      };
      return { status: 400, body, headers: {} as Record<string, string> };
    }
    const response = model.request(request);
    if (!write) record.answer = response.body;
    if (response.status === 403) faults.count('403', scheduler.now());
    return { status: response.status, body: response.body, headers: response.headers ?? {} };
  };

  const send = <T>(request: ModelRequest, write: boolean): Promise<T> => {
    if (life.dead) return new Promise<T>(() => undefined);
    const at = scheduler.now();
    const outcome = faults.roll(at, write);
    const record: RequestRecord = {
      at,
      call: `${request.method} ${request.path.slice(base.length)}`,
      write,
      outcome: outcome.type,
      answer: undefined,
    };
    options.onRequest(record);
    return new Promise<T>((resolve, reject) => {
      const later = (delay: number, work: () => void): void => {
        scheduler.schedule(work, Math.max(0, delay));
      };
      const answer = (work: () => void): void => {
        if (!life.dead) work();
      };
      const up = latency();
      const down = latency();
      switch (outcome.type) {
        case 'ok':
          later(up, () => {
            const response = apply(request, write, record);
            later(down, () => {
              answer(() => {
                if (response.status === 200) resolve(response.body as T);
                else reject(httpError(response.status, response.body, response.headers));
              });
            });
          });
          return;
        case 'status':
          later(up + down, () => {
            answer(() => {
              reject(
                httpError(
                  outcome.status,
                  { error: { code: outcome.status, message: `injected ${outcome.status}` } },
                  outcome.retryAfter === undefined ? {} : { 'retry-after': outcome.retryAfter },
                ),
              );
            });
          });
          return;
        case 'reset':
          later(up, () => {
            if (outcome.applied) apply(request, write, record);
            later(random.int(0, down), () => {
              answer(() => {
                reject(networkError('ECONNRESET'));
              });
            });
          });
          return;
        case 'slow':
          if (outcome.lands) {
            later(random.int(Math.floor(timeoutMs / 2), timeoutMs + 60_000), () => {
              apply(request, write, record);
              // A write landing late changes the sheet: the fault's effect, not a quiet minute.
              faults.lastFaultAt = Math.max(faults.lastFaultAt, scheduler.now());
            });
          }
          later(timeoutMs, () => {
            answer(() => {
              reject(timeoutError(timeoutMs));
            });
          });
          return;
        case 'unreachable':
          later(outcome.hangs ? timeoutMs : random.int(1, 50), () => {
            answer(() => {
              reject(
                outcome.hangs
                  ? timeoutError(timeoutMs)
                  : networkError(random.pick(['ENETUNREACH', 'EAI_AGAIN'])),
              );
            });
          });
          return;
      }
    });
  };

  const post = <T>(path: string, body: unknown, query?: URLSearchParams): Promise<T> =>
    send<T>(
      {
        method: 'POST',
        path: `${base}${path}`,
        body,
        account: options.account,
        ...(query === undefined ? {} : { query }),
      },
      !path.includes('batchGet') && !path.includes('developerMetadata:search'),
    );

  return {
    get: (fields: string) =>
      send<sheets_v4.Schema$Spreadsheet>(
        {
          method: 'GET',
          path: base,
          query: new URLSearchParams({ fields }),
          account: options.account,
        },
        false,
      ),
    batchUpdate: (requests: readonly SheetRequest[]) =>
      post(':batchUpdate', { requests: [...requests] }),
    batchGet: (ranges: readonly string[]) => {
      const query = new URLSearchParams(READ_OPTIONS);
      for (const range of ranges) query.append('ranges', range);
      return send<sheets_v4.Schema$BatchGetValuesResponse>(
        { method: 'GET', path: `${base}/values:batchGet`, query, account: options.account },
        false,
      );
    },
    batchUpdateValues: (data: readonly ValueRange[]) =>
      post('/values:batchUpdate', { valueInputOption: 'RAW', data: [...data] }),
    append: (range: string, values: unknown[][]) =>
      post(
        `/values/${range}:append`,
        { values },
        new URLSearchParams({ valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS' }),
      ),
    batchGetByDataFilter: (dataFilters: readonly DataFilter[]) =>
      post('/values:batchGetByDataFilter', { dataFilters: [...dataFilters], ...READ_OPTIONS }),
    batchUpdateByDataFilter: (data: readonly DataFilterValueRange[]) =>
      post('/values:batchUpdateByDataFilter', { valueInputOption: 'RAW', data: [...data] }),
    searchMetadata: (dataFilters: readonly DataFilter[]) =>
      post('/developerMetadata:search', { dataFilters: [...dataFilters] }),
  };
}

/**
 * Whether the spreadsheet refuses a write for the poison card: any write that
 * puts the card as a value into Log or People (a cell the sheet will not
 * take). Filters and tags that name it are fine, and so is the Now tab's
 * list, where the clock shows what is going on.
 */
function refuses(request: ModelRequest, poison: string): boolean {
  const body = (request.body ?? {}) as {
    data?: readonly { dataFilter?: { a1Range?: unknown }; values?: unknown }[];
    requests?: readonly { updateCells?: { rows?: unknown } }[];
    values?: unknown;
  };
  const holds = (values: unknown): boolean => JSON.stringify(values ?? null).includes(poison);
  if (holds(body.values)) return true;
  if (body.requests?.some((r) => holds(r.updateCells?.rows)) === true) return true;
  return (
    body.data?.some((entry) => {
      const range = entry.dataFilter?.a1Range;
      return !(typeof range === 'string' && range.startsWith("'Now'!")) && holds(entry.values);
    }) === true
  );
}

export interface SimClientOptions extends SimSheetsApiOptions {
  readonly zone: string;
  /** The clock's wall clock, as its driver reads it. */
  readonly now: () => number;
  readonly warn: (message: string) => void;
}

/** The real Sheets client, talking to the model through the simulated network. */
export function makeSimSheetsClient(options: SimClientOptions): SheetsClient {
  return makeSheetsClient({
    spreadsheetId: options.spreadsheetId,
    // Only named in messages: the model knows the account by `account`.
    keyFile: 'simulated-service-account.json',
    rootUrl: 'https://sheets.invalid/',
    timeoutMs: options.timeoutMs,
    now: options.now,
    mono: () => options.scheduler.now(),
    zone: options.zone,
    device: 'sim',
    version: 'sim',
    warn: options.warn,
    api: makeSimSheetsApi(options),
  });
}

/** The spreadsheet as a person sees it, for the checks. */
export interface SheetView {
  readonly log: readonly (readonly unknown[])[];
  readonly people: readonly (readonly unknown[])[];
}

/** Reads the tabs straight from the model (not through the network: the world looks, the clock does not). */
export function viewSheet(model: SpreadsheetModel, spreadsheetId: string): SheetView {
  const titles = new Set(model.tabTitles(spreadsheetId));
  return {
    log: titles.has('Log') ? model.values(spreadsheetId, 'Log') : [],
    people: titles.has('People') ? model.values(spreadsheetId, 'People') : [],
  };
}
