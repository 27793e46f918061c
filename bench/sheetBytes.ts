/**
 * Bytes the clock reads from the Sheets API per minute, with `Log` at 1,000
 * and at 50,000 rows: the real Google client against the Sheets-compatible
 * test server, every response body counted as it arrives. The baseline,
 * measured in the same run, is what the clock did before rows were tagged:
 * the live update read the whole `Session` column every minute.
 *
 * A minute here is one live update with `OPEN` people clocked in, plus one
 * batch (a clock-in and a clock-out), which is a busy minute at a small site.
 * The live update also reads back its slice of the `WATCHED` most recent
 * sessions (corrections typed into the sheet: a tenth of them a minute, as
 * src/drivers/sheets/editWatch.ts hands them out), the same number whatever
 * the length of `Log`; the slice's share of the bytes is reported beside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../streams/commit';
import { sessionId } from '../streams/sessions';
import { a1, LOG } from '../src/drivers/sheets/layout';
import { makeGoogleSheetsApi } from '../src/drivers/sheets/sheetsApi';
import { makeSheetsClient, type SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { WATCH_ROUND_MINUTES } from '../src/drivers/sheets/editWatch';
import type { WatchedRow } from '../streams/sheetEdits';
import { SheetsTestServer } from '../test/support/sheetsTestServer';
import { quietHealth } from '../test/support/sheetFixtures';

const SHEET = 'benchBytesSheet01';
const MINUTE = 60_000;
const START = Date.parse('2026-03-02T06:00:00Z');
const OPEN = 20;
const MINUTES = 10;
const FILL_BATCH = 500;
/** Sessions in the previous and current pay period: some 100 people over two weeks. */
const WATCHED = 1_000;

export interface SheetBytesRow {
  readonly rows: number;
  /** Bytes read per minute by badgeclock. */
  readonly badgeclock: number;
  /** Bytes read per minute by the baseline: the live update's read of the whole Session column. */
  readonly baseline: number;
  readonly requestsPerMinute: number;
  /** Of `badgeclock`, bytes per minute the read-back of watched rows adds. */
  readonly readBack: number;
  /** Recent sessions watched (a tenth read back each minute). */
  readonly watching: number;
}

/** A fetch that counts the bytes of every response body it hands to the client. */
function countingFetch(counter: { bytes: number }): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    counter.bytes += body.byteLength;
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function sessionEntries(index: number, closed: boolean): OutboxEntry[] {
  const card = `C${String(index).padStart(7, '0')}`;
  const inAt = START - (index + 1) * MINUTE;
  const session = sessionId(card, inAt);
  const opened: OutboxEntry = {
    kind: 'session-opened',
    key: `open:${session}`,
    session,
    card,
    name: `Person ${index}`,
    inAt,
    reader: 'door',
  };
  if (!closed) return [opened];
  return [
    opened,
    {
      kind: 'session-closed',
      key: `close:${session}`,
      session,
      card,
      inAt,
      outAt: inAt + 30 * MINUTE,
      status: 'out',
    },
  ];
}

/** Fills Log with `rows` sessions, the last OPEN of them still open, through the client itself. */
async function fill(client: SheetsClient, rows: number): Promise<void> {
  for (let from = 0; from < rows; from += FILL_BATCH) {
    const entries: OutboxEntry[] = [];
    for (let i = from; i < Math.min(rows, from + FILL_BATCH); i++)
      entries.push(...sessionEntries(i, i < rows - OPEN));
    await client.writeBatch(entries, START);
  }
}

async function measure(rows: number, watching: number, dir: string): Promise<SheetBytesRow> {
  const server = await new SheetsTestServer().start();
  try {
    const account = server.serviceAccount(dir, `bytes${rows}`);
    server.createSpreadsheet(SHEET, [account.email]);
    const counter = { bytes: 0 };
    const client = makeSheetsClient({
      spreadsheetId: SHEET,
      keyFile: account.file,
      rootUrl: server.rootUrl,
      timeoutMs: 120_000,
      zone: 'Europe/Berlin',
      device: 'bench',
      version: 'bench',
      warn: () => undefined,
      fetchImplementation: countingFetch(counter),
    });
    await client.setUp();
    // A clock that has been running: its first batch after a start (whose new rows it looks
    // for once on a second row, in case a write from before the start lands late) is behind it.
    await client.writeBatch([], START);
    await fill(client, rows);
    const open = Array.from({ length: OPEN }, (_, k) => {
      const [entry] = sessionEntries(rows - OPEN + k, false);
      if (entry?.kind !== 'session-opened') throw new Error('unreachable');
      return {
        session: entry.session,
        card: entry.card,
        name: entry.name,
        inAt: entry.inAt,
        openForMs: START - entry.inAt,
      };
    });
    const watched = watchedRows(rows, watching);
    const slice = Math.ceil(watched.length / WATCH_ROUND_MINUTES);
    /** Bytes `work` reads, left out of the minute's count when `counted` is false. */
    const bytesOf = async (work: () => Promise<unknown>, counted: boolean): Promise<number> => {
      const mark = counter.bytes;
      await work();
      const bytes = counter.bytes - mark;
      if (!counted) counter.bytes = mark;
      return bytes;
    };
    const requestsBefore = server.requests.length;
    counter.bytes = 0;
    let readBack = 0;
    for (let minute = 0; minute < MINUTES; minute++) {
      const at = START + minute * MINUTE;
      const mine = watched.slice(minute * slice, (minute + 1) * slice);
      // The same live update without its slice, uncounted: what the slice adds.
      const bare = await bytesOf(() => client.liveUpdate(open, at, quietHealth), false);
      const full = await bytesOf(
        () => client.liveUpdate(open, at, quietHealth, undefined, mine),
        true,
      );
      readBack += full - bare;
      await client.writeBatch(sessionEntries(rows + minute, true), at);
    }
    const badgeclock = counter.bytes / MINUTES;
    // Less the uncounted live updates' two requests a minute.
    const requestsPerMinute = (server.requests.length - requestsBefore) / MINUTES - 2;
    readBack /= MINUTES;

    // The baseline: the whole Session column, as the live update read it every minute before.
    counter.bytes = 0;
    await makeGoogleSheetsApi({
      spreadsheetId: SHEET,
      keyFile: account.file,
      rootUrl: server.rootUrl,
      timeoutMs: 120_000,
      fetchImplementation: countingFetch(counter),
    }).batchGet([a1(LOG.title, 'A2:A')]);
    return { rows, badgeclock, baseline: counter.bytes, requestsPerMinute, readBack, watching };
  } finally {
    await server.close();
  }
}

/** The `count` most recent sessions of a Log of `rows`, as their rows show them. */
function watchedRows(rows: number, count: number): WatchedRow[] {
  return Array.from({ length: count }, (_, k) => {
    const index = rows - count + k;
    const [opened, closed] = sessionEntries(index, index < rows - OPEN);
    if (opened?.kind !== 'session-opened') throw new Error('unreachable');
    const outAt = closed?.kind === 'session-closed' ? closed.outAt : null;
    return {
      session: opened.session,
      inAt: opened.inAt,
      outAt,
      status: outAt === null ? 'in' : 'out',
      voided: false,
      seen: {},
    };
  });
}

/** Bytes read per minute at 1,000 and 50,000 rows of Log, against the old design's read. */
export async function sheetBytes(
  sizes: readonly number[] = [1_000, 50_000],
): Promise<SheetBytesRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-bytes-'));
  try {
    const rows: SheetBytesRow[] = [];
    // As many watched rows at every size (no more than the smallest Log has).
    const watching = Math.min(WATCHED, ...sizes);
    for (const size of sizes) rows.push(await measure(size, watching, dir));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report's lines. */
export function sheetBytesReport(rows: readonly SheetBytesRow[]): string[] {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
  return [
    `Bytes read from the Sheets API per minute (live update with ${OPEN} people in, reading back a tenth of ${rows[0]?.watching ?? WATCHED} recent rows, plus one batch)`,
    ...rows.map(
      (row) =>
        `  Log at ${String(row.rows).padStart(6)} rows: badgeclock ${kb(row.badgeclock)} in ${row.requestsPerMinute.toFixed(1)} requests ` +
        `(edit read-back ${kb(row.readBack)} of it); ` +
        `baseline (whole Session column) ${kb(row.baseline)}; ratio ${(row.badgeclock / row.baseline).toFixed(3)}x`,
    ),
  ];
}
