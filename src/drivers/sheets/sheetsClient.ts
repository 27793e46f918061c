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
 *
 * This file holds the client's interface and assembles it from its rooms,
 * each a module of its own with what it needs passed in:
 * - sheetCalls.ts: `call` (every failure a SheetError), `batchGet`, `writeValues`;
 * - sheetSetUp.ts: set-up (tabs, headers, grid ids, legacy rows), memoised;
 * - sheetCheck.ts: the doctor's check;
 * - peopleTab.ts: the People tab's rows as people, remembered while unchanged;
 * - lateWrites.ts: what may still land late (suspect inserts, failed live updates);
 * - logRows.ts: finding `Log` rows by their tags, and healing duplicates;
 * - batchWriter.ts: `writeBatch`, through the pure planner (streams/batchPlan.ts);
 * - peopleWrites.ts: a batch's People part (cards listed, aliases added);
 * - liveView.ts: the minute's live update (Hours, the Now tab, health, and
 *   the Totals tab: totalsTab.ts).
 * Here too: `afterSetUp`, which runs set-up again after a 400 and retries once.
 */
import type { OutboxEntry } from '../../../streams/commit';
import type { Person } from '../../../streams/directory';
import type { LiveUpdate } from '../../../streams/events';
import type { WatchedRow } from '../../../streams/sheetEdits';
import type { TotalsTable } from '../../../streams/totals';
import { makeBatchWriter } from './batchWriter';
import { a1, PEOPLE } from './layout';
import { LateWrites } from './lateWrites';
import { makeLiveView, type LiveRead } from './liveView';
import { makePeopleParser } from './peopleTab';
import { loadServiceAccount } from './serviceAccount';
import { makeSheetCalls } from './sheetCalls';
import { checkSheet } from './sheetCheck';
import { SheetError } from './sheetError';
import { makeGoogleSheetsApi, type SheetsApi } from './sheetsApi';
import { makeSheetSetUp } from './sheetSetUp';

export { loadServiceAccount } from './serviceAccount';

export interface SheetsClientOptions {
  readonly spreadsheetId: string;
  readonly keyFile: string;
  readonly rootUrl: string;
  readonly timeoutMs: number;
  /** The clock the driver stamps batches and minutes with (default the wall clock, Date.now). */
  readonly now?: () => number;
  /**
   * A monotonic clock (default performance.now): how long a failed write could still land is
   * counted on it, whatever the wall clock does meanwhile.
   */
  readonly mono?: () => number;
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
  /**
   * The live view: open sessions' hours, the Now tab, and the Totals tab when `totals` is given
   * and changed, in one write; returns the People tab it read on the way, and the `watched`
   * rows of Log, read back for corrections typed into the sheet.
   */
  liveUpdate(
    open: LiveUpdate['open'],
    at: number,
    health: LiveUpdate['health'],
    totals?: TotalsTable,
    watched?: readonly WatchedRow[],
  ): Promise<LiveRead>;
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

/** Makes the client. */
export function makeSheetsClient(options: SheetsClientOptions): SheetsClient {
  const { spreadsheetId, zone, warn } = options;
  const account = safeAccount(options.keyFile);
  const context = { spreadsheetId, account };
  const api = options.api ?? makeGoogleSheetsApi(options);
  const calls = makeSheetCalls(api, context);
  const sheet = makeSheetSetUp(calls, warn);
  const { setUp } = sheet;
  const parsePeople = makePeopleParser(warn);
  // A caller that gives its own clock and no monotonic one (a test's) counts windows on it.
  const late = new LateWrites(options.timeoutMs, options.now, options.mono ?? options.now);
  const writeBatch = makeBatchWriter({ calls, sheet, late, zone });
  const live = makeLiveView({
    calls,
    sheet,
    late,
    parsePeople,
    zone,
    device: options.device,
    version: options.version,
  });
  const liveUpdate = live.update;
  const check = (): Promise<SheetCheck> => checkSheet(calls.call, sheet.inspectHeaders);
  const { batchGet } = calls;

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
      sheet.reset();
      live.reset();
      return await work(...args);
    }
  };

  return {
    account,
    setUp,
    check,
    writeBatch: (entries, now) => afterSetUp(writeBatch, entries, now),
    liveUpdate: (open, at, health, totals, watched) =>
      afterSetUp(liveUpdate, open, at, health, totals, watched),
    readPeople: () =>
      afterSetUp(async () => {
        await setUp();
        const [rows = []] = await batchGet([a1(PEOPLE.title, 'A2:D')]);
        return parsePeople(rows);
      }),
  };
}

/** The account's e-mail for messages, even when the key file is broken. */
function safeAccount(keyFile: string): string {
  try {
    return loadServiceAccount(keyFile).client_email;
  } catch {
    return `the service account of ${keyFile}`;
  }
}
