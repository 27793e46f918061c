/** What tests and benches of the sheet client hand it besides the entries. */
import { makeSheetsClient, type SheetsClient } from '../../src/drivers/sheets/sheetsClient';
import type { Health } from '../../streams/events';
import type { Cell, SheetsTestServer } from './sheetsTestServer';

/** The health block of a clock with nothing to report. */
export const quietHealth: Health = {
  lastTapAt: null,
  lastSyncAt: null,
  outboxDepth: 0,
  readerFault: null,
  clockSynced: true,
};

/** What a test changes about the real client on a fresh spreadsheet; the rest is the same everywhere. */
export interface TestClientOptions {
  readonly timeoutMs?: number;
  readonly zone?: string;
  /** Tabs the spreadsheet has before set-up, with their rows. */
  readonly tabs?: Readonly<Record<string, Cell[][]>>;
  readonly warn?: (message: string) => void;
  readonly fetchImplementation?: typeof fetch;
  /** Only the client, on a spreadsheet the server has already (a second process). */
  readonly existing?: boolean;
  /** The clock batches and minutes are stamped with (default Date.now). */
  readonly now?: () => number;
}

/**
 * The real Google client over HTTP to `server`, on spreadsheet `id` created
 * for it (shared with a service account whose key is written into `dir`).
 */
export function testClient(
  server: SheetsTestServer,
  dir: string,
  id: string,
  options: TestClientOptions = {},
): SheetsClient {
  const account = server.serviceAccount(dir);
  if (options.existing !== true) server.createSpreadsheet(id, [account.email]);
  for (const [title, rows] of Object.entries(options.tabs ?? {})) server.addTab(id, title, rows);
  return makeSheetsClient({
    spreadsheetId: id,
    keyFile: account.file,
    rootUrl: server.rootUrl,
    timeoutMs: options.timeoutMs ?? 5_000,
    ...(options.now === undefined ? {} : { now: options.now }),
    zone: options.zone ?? 'UTC',
    device: 'test',
    version: 'test',
    warn: options.warn ?? (() => undefined),
    fetchImplementation: options.fetchImplementation ?? fetch,
  });
}
