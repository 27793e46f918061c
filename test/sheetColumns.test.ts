/**
 * A column a person inserts into Log while the clock runs (rule 9): the clock writes by
 * position, so until the columns are back it must write nothing into Log, rather than an Out
 * over an In. Found by an audit: set-up checked the headers once, the minute's read only
 * Log's first cell. Against the Sheets-compatible server on 127.0.0.1, through the real client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../streams/commit';
import { sessionId } from '../streams/sessions';
import { quietHealth, testClient } from './support/sheetFixtures';
import { SheetsTestServer, type Cell } from './support/sheetsTestServer';

const SHEET = 'badgeclockColumnsSheet1';
const AT = Date.parse('2026-03-02T08:00:00Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;
const ANN = 'A1000001';
const SESSION = sessionId(ANN, AT);

jest.setTimeout(30_000);

const opened: OutboxEntry = {
  kind: 'session-opened',
  key: `open:${SESSION}`,
  session: SESSION,
  card: ANN,
  name: 'Ann',
  inAt: AT,
  reader: 'door',
};
const closed: OutboxEntry = {
  kind: 'session-closed',
  key: `close:${SESSION}`,
  session: SESSION,
  card: ANN,
  inAt: AT,
  outAt: AT + 8 * HOUR,
  status: 'out',
};

describe('a column inserted into Log while the clock runs', () => {
  let dir: string;
  let server: SheetsTestServer;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-columns-'));
    server = await new SheetsTestServer().start();
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const log = (): Cell[][] => server.values(SHEET, 'Log');
  /** Rewrites Log as `rows`, cell by cell, blanking what the old rows reached beyond them. */
  const setLog = (rows: readonly Cell[][], width: number): void => {
    rows.forEach((row, r) => {
      for (let c = 0; c < width; c += 1) server.setCell(SHEET, 'Log', r + 1, c, row[c] ?? '');
    });
  };

  it('stops the writes into Log, with what to restore, and writes again once the column is gone', async () => {
    const sheet = testClient(server, dir, SHEET);
    await sheet.writeBatch([opened], AT);
    const before = log();
    // The manager inserts a column "Team" after Name.
    setLog(
      before.map((row, r) => [...row.slice(0, 3), r === 0 ? 'Team' : 'north', ...row.slice(3)]),
      (before[0]?.length ?? 0) + 1,
    );
    const withTeam = log();
    const live = [{ session: SESSION, card: ANN, name: 'Ann', inAt: AT, openForMs: MINUTE }];
    await expect(sheet.liveUpdate(live, AT + MINUTE, quietHealth)).rejects.toThrow(
      /"In" is now in column F; columns were moved/,
    );
    await expect(sheet.writeBatch([closed], AT + 8 * HOUR)).rejects.toMatchObject({
      kind: 'final',
    });
    expect(log()).toEqual(withTeam);
    // The column is deleted again: the close lands where it belongs.
    setLog(
      before.map((row) => [...row, '']),
      (before[0]?.length ?? 0) + 1,
    );
    await sheet.writeBatch([closed], AT + 8 * HOUR + MINUTE);
    const [, row] = log();
    expect(row?.[0]).toBe(SESSION);
    expect(row?.[2]).toBe('Ann');
    expect(row?.[7]).toBe('out');
  });
});
