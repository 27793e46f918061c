/**
 * Bytes the clock reads from the Sheets API per minute, with `Log` at 1,000
 * and at 50,000 rows: the real Google client against the Sheets-compatible
 * test server, every response body counted as it arrives. The baseline,
 * measured in the same run, is what the clock did before rows were tagged:
 * the live update read the whole `Session` column every minute.
 *
 * A minute here is one live update with `OPEN` people clocked in, plus one
 * batch (a clock-in and a clock-out), which is a busy minute at a small site.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../streams/commit';
import { sessionId } from '../streams/sessions';
import { a1, LOG } from '../src/drivers/sheets/layout';
import { makeGoogleSheetsApi } from '../src/drivers/sheets/sheetsApi';
import { makeSheetsClient, type SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { SheetsTestServer } from '../test/support/sheetsTestServer';
import { quietHealth } from '../test/support/sheetFixtures';

const SHEET = 'benchBytesSheet01';
const MINUTE = 60_000;
const START = Date.parse('2026-03-02T06:00:00Z');
const OPEN = 20;
const MINUTES = 10;
const FILL_BATCH = 500;

export interface SheetBytesRow {
  readonly rows: number;
  /** Bytes read per minute by badgeclock. */
  readonly badgeclock: number;
  /** Bytes read per minute by the baseline: the live update's read of the whole Session column. */
  readonly baseline: number;
  readonly requestsPerMinute: number;
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

async function measure(rows: number, dir: string): Promise<SheetBytesRow> {
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
      return { session: entry.session, card: entry.card, name: entry.name, inAt: entry.inAt };
    });
    const requestsBefore = server.requests.length;
    counter.bytes = 0;
    for (let minute = 0; minute < MINUTES; minute++) {
      const at = START + minute * MINUTE;
      await client.liveUpdate(open, at, quietHealth);
      await client.writeBatch(sessionEntries(rows + minute, true), at);
    }
    const badgeclock = counter.bytes / MINUTES;
    const requestsPerMinute = (server.requests.length - requestsBefore) / MINUTES;

    // The baseline: the whole Session column, as the live update read it every minute before.
    counter.bytes = 0;
    await makeGoogleSheetsApi({
      spreadsheetId: SHEET,
      keyFile: account.file,
      rootUrl: server.rootUrl,
      timeoutMs: 120_000,
      fetchImplementation: countingFetch(counter),
    }).batchGet([a1(LOG.title, 'A2:A')]);
    return { rows, badgeclock, baseline: counter.bytes, requestsPerMinute };
  } finally {
    await server.close();
  }
}

/** Bytes read per minute at 1,000 and 50,000 rows of Log, against the old design's read. */
export async function sheetBytes(
  sizes: readonly number[] = [1_000, 50_000],
): Promise<SheetBytesRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'badgeclock-bench-bytes-'));
  try {
    const rows: SheetBytesRow[] = [];
    for (const size of sizes) rows.push(await measure(size, dir));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report's lines. */
export function sheetBytesReport(rows: readonly SheetBytesRow[]): string[] {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
  return [
    `Bytes read from the Sheets API per minute (live update with ${OPEN} people in, plus one batch)`,
    ...rows.map(
      (row) =>
        `  Log at ${String(row.rows).padStart(6)} rows: badgeclock ${kb(row.badgeclock)} in ${row.requestsPerMinute.toFixed(1)} requests; ` +
        `baseline (whole Session column) ${kb(row.baseline)}; ratio ${(row.badgeclock / row.baseline).toFixed(3)}x`,
    ),
  ];
}
