/**
 * The calls every room of the sheet client makes: one wrapper (`call`) that
 * runs a request on the `SheetsApi` port and turns every failure into a
 * SheetError (`classify`), and the two value calls built on it. Shared by
 * set-up, the doctor's check, the batch writer and the live view, so a
 * failure reads the same whichever room made the request.
 */
import type { Cell } from './layout';
import type { SheetsApi } from './sheetsApi';
import { classify } from './sheetError';

export interface SheetCalls {
  /** Runs one API call; every failure becomes a SheetError. */
  readonly call: <T>(work: (port: SheetsApi) => Promise<T>) => Promise<T>;
  /** The values of these A1 ranges, in order (an empty range: no rows). */
  readonly batchGet: (ranges: string[]) => Promise<unknown[][][]>;
  /** Writes values into A1 ranges, in one request. */
  readonly writeValues: (data: { range: string; values: Cell[][] }[]) => Promise<void>;
}

/** The calls on `api`; failures name the spreadsheet and the account (`context`). */
export function makeSheetCalls(
  api: SheetsApi,
  context: { readonly spreadsheetId: string; readonly account: string },
): SheetCalls {
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

  return { call, batchGet, writeValues };
}
