/**
 * The Sheets API as the client uses it: one method per REST call, request and
 * response bodies exactly as Google documents them. The real implementation
 * (`makeGoogleSheetsApi`) is the Google client; the simulation puts an
 * in-process spreadsheet model behind the same port, in virtual time.
 *
 * A method rejects with whatever its transport throws; the client classifies
 * it (`classify` in sheetError.ts). What a rejection must carry for that: an
 * HTTP status as `status` or `response.status` (with `response.headers`
 * holding `retry-after` where the server sent one), or a network `code`
 * (`ECONNRESET`, …), or the name `TimeoutError` for a request that took longer
 * than the timeout.
 */
import { sheets, type sheets_v4 } from '@googleapis/sheets';
import { GoogleAuth } from 'google-auth-library';
import { loadServiceAccount } from './serviceAccount';

export type Spreadsheet = sheets_v4.Schema$Spreadsheet;
export type SheetRequest = sheets_v4.Schema$Request;
export type DataFilter = sheets_v4.Schema$DataFilter;
export type ValueRange = sheets_v4.Schema$ValueRange;
export type DataFilterValueRange = sheets_v4.Schema$DataFilterValueRange;

export interface SheetsApi {
  /** spreadsheets.get with a field mask. */
  get(fields: string): Promise<Spreadsheet>;
  /** spreadsheets.batchUpdate: the requests are applied atomically, in order. */
  batchUpdate(
    requests: readonly SheetRequest[],
  ): Promise<sheets_v4.Schema$BatchUpdateSpreadsheetResponse>;
  /** values.batchGet: UNFORMATTED_VALUE, SERIAL_NUMBER dates, ROWS. */
  batchGet(ranges: readonly string[]): Promise<sheets_v4.Schema$BatchGetValuesResponse>;
  /** values.batchUpdate with valueInputOption RAW. */
  batchUpdateValues(
    data: readonly ValueRange[],
  ): Promise<sheets_v4.Schema$BatchUpdateValuesResponse>;
  /** values.append with valueInputOption RAW and insertDataOption INSERT_ROWS. */
  append(range: string, values: unknown[][]): Promise<sheets_v4.Schema$AppendValuesResponse>;
  /** values.batchGetByDataFilter: UNFORMATTED_VALUE, SERIAL_NUMBER dates, ROWS. */
  batchGetByDataFilter(
    dataFilters: readonly DataFilter[],
  ): Promise<sheets_v4.Schema$BatchGetValuesByDataFilterResponse>;
  /**
   * values.batchUpdateByDataFilter with valueInputOption RAW. A `null` cell
   * leaves the cell as it is; a filter that matches nothing writes nothing.
   */
  batchUpdateByDataFilter(
    data: readonly DataFilterValueRange[],
  ): Promise<sheets_v4.Schema$BatchUpdateValuesByDataFilterResponse>;
  /** developerMetadata.search. */
  searchMetadata(
    dataFilters: readonly DataFilter[],
  ): Promise<sheets_v4.Schema$SearchDeveloperMetadataResponse>;
}

export interface GoogleSheetsApiOptions {
  readonly spreadsheetId: string;
  readonly keyFile: string;
  readonly rootUrl: string;
  readonly timeoutMs: number;
  /**
   * The fetch the Google client uses; default: its own (node-fetch, loaded by
   * a dynamic import that jest's module runtime refuses, so in-process tests
   * pass Node's fetch).
   */
  readonly fetchImplementation?: typeof fetch;
}

const SCOPES = ['https://www.googleapis.com/auth/spreadsheets'];

const isAuthFailure = (error: unknown): boolean => {
  const status =
    (error as { status?: unknown }).status ??
    (error as { response?: { status?: unknown } }).response?.status;
  return Number(status) === 401;
};

/**
 * The port over the Google client. Credentials are created lazily, and again
 * after a 401 (the next call signs afresh). Requests never retry by
 * themselves (`retry: false`): the driver decides about retries.
 */
export function makeGoogleSheetsApi(options: GoogleSheetsApiOptions): SheetsApi {
  return googleCalls(makeGoogleCall(options), options.spreadsheetId, {
    timeout: options.timeoutMs,
    retry: false,
  });
}

/** Runs one request on the Google client, connected on first use; its response's body. */
type GoogleCall = <T>(work: (api: sheets_v4.Sheets) => Promise<{ data: T }>) => Promise<T>;

/** A Google client signed with the service account's key (a self-signed JWT). */
async function connect(options: GoogleSheetsApiOptions): Promise<sheets_v4.Sheets> {
  const credentials = loadServiceAccount(options.keyFile);
  const auth = new GoogleAuth({ credentials, scopes: SCOPES });
  // Self-signed JWTs: no token endpoint round trip (and none is reachable offline or in tests).
  // It must be a property set before getClient(); as a constructor option it is ignored.
  auth.useJWTAccessWithScope = true;
  await auth.getClient();
  return sheets({
    version: 'v4',
    auth,
    rootUrl: options.rootUrl,
    ...(options.fetchImplementation === undefined
      ? {}
      : { fetchImplementation: options.fetchImplementation }),
  });
}

/** Calls through one client, connected lazily, and connected afresh after a 401 or a failed connect. */
function makeGoogleCall(options: GoogleSheetsApiOptions): GoogleCall {
  let api: Promise<sheets_v4.Sheets> | null = null;
  return async <T>(work: (api: sheets_v4.Sheets) => Promise<{ data: T }>): Promise<T> => {
    api ??= connect(options);
    const pending = api;
    try {
      return (await work(await pending)).data;
    } catch (error) {
      // A failed connect (a broken key file) or a 401: start afresh next time.
      if (api === pending && (isAuthFailure(error) || !(await settled(pending)))) api = null;
      throw error;
    }
  };
}

/** Each method of the port as its REST call on one spreadsheet. */
function googleCalls(
  call: GoogleCall,
  spreadsheetId: string,
  requestOptions: { readonly timeout: number; readonly retry: false },
): SheetsApi {
  const read = { valueRenderOption: 'UNFORMATTED_VALUE', dateTimeRenderOption: 'SERIAL_NUMBER' };
  return {
    get: (fields) => call((a) => a.spreadsheets.get({ spreadsheetId, fields }, requestOptions)),
    batchUpdate: (requests) =>
      call((a) =>
        a.spreadsheets.batchUpdate(
          { spreadsheetId, requestBody: { requests: [...requests] } },
          requestOptions,
        ),
      ),
    batchGet: (ranges) =>
      call((a) =>
        a.spreadsheets.values.batchGet(
          { spreadsheetId, ranges: [...ranges], ...read, majorDimension: 'ROWS' },
          requestOptions,
        ),
      ),
    batchUpdateValues: (data) =>
      call((a) =>
        a.spreadsheets.values.batchUpdate(
          { spreadsheetId, requestBody: { valueInputOption: 'RAW', data: [...data] } },
          requestOptions,
        ),
      ),
    append: (range, values) =>
      call((a) =>
        a.spreadsheets.values.append(
          {
            spreadsheetId,
            range,
            valueInputOption: 'RAW',
            insertDataOption: 'INSERT_ROWS',
            requestBody: { values },
          },
          requestOptions,
        ),
      ),
    batchGetByDataFilter: (dataFilters) =>
      call((a) =>
        a.spreadsheets.values.batchGetByDataFilter(
          {
            spreadsheetId,
            requestBody: { dataFilters: [...dataFilters], ...read, majorDimension: 'ROWS' },
          },
          requestOptions,
        ),
      ),
    batchUpdateByDataFilter: (data) =>
      call((a) =>
        a.spreadsheets.values.batchUpdateByDataFilter(
          { spreadsheetId, requestBody: { valueInputOption: 'RAW', data: [...data] } },
          requestOptions,
        ),
      ),
    searchMetadata: (dataFilters) =>
      call((a) =>
        a.spreadsheets.developerMetadata.search(
          { spreadsheetId, requestBody: { dataFilters: [...dataFilters] } },
          requestOptions,
        ),
      ),
  };
}

/** Whether a promise fulfilled (false when it rejected). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  try {
    await promise;
    return true;
  } catch {
    return false;
  }
}
