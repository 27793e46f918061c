/**
 * A person changes the header rows while the clock runs (rules 9 and 12), as an audit found:
 * - a column inserted into Log: the clock writes by position, so until the columns are back it
 *   must write nothing into Log, rather than an Out over an In (set-up checked the headers once,
 *   the minute's read only Log's first cell);
 * - a header row deleted: the person now in People's row 1 must not drop out of the directory
 *   (listed again, a second row), nor a restart's set-up stop every write (Log's too).
 * Against the Sheets-compatible server on 127.0.0.1, through the real client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboxEntry } from '../streams/commit';
import { sessionId } from '../streams/sessions';
import { closedEntry, openedEntry } from './support/outboxEntries';
import { quietHealth, testClient } from './support/sheetFixtures';
import { SheetsTestServer, type Cell } from './support/sheetsTestServer';

const SHEET = 'badgeclockColumnsSheet1';
const AT = Date.parse('2026-03-02T08:00:00Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;
const ANN = 'A1000001';
const SESSION = sessionId(ANN, AT);

jest.setTimeout(30_000);

const opened: OutboxEntry = openedEntry({ card: ANN, name: 'Ann', inAt: AT });
const closed: OutboxEntry = closedEntry({ card: ANN, inAt: AT, outAt: AT + 8 * HOUR });

describe('header rows a person changed while the clock runs', () => {
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

  it('a column inserted into Log stops the writes into Log, with what to restore, until it is gone', async () => {
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

  const PEOPLE: Cell[][] = [
    ['Card', 'Name', 'Active', 'Aliases', 'First seen', 'Note'],
    [ANN, 'Ann'],
    ['B2000002', 'Bob'],
  ];
  const people = (): Cell[][] => server.values(SHEET, 'People');

  it("People's header row deleted: the person in row 1 stays known, and the header comes back", async () => {
    const warnings: string[] = [];
    const sheet = testClient(server, dir, SHEET, {
      tabs: { People: PEOPLE },
      warn: (m) => warnings.push(m),
    });
    await sheet.setUp();
    server.deleteRow(SHEET, 'People', 1);
    const { people: read } = await sheet.liveUpdate([], AT, quietHealth);
    expect(read.map((p) => p.card)).toEqual([ANN, 'B2000002']);
    expect(people()).toEqual(PEOPLE);
    expect(warnings).toContainEqual(expect.stringMatching(/People: its header row was deleted/));
    // Ann's card listed (a tap of it): found in her row, not appended again.
    await sheet.writeBatch([{ kind: 'card-listed', key: `card:${ANN}`, card: ANN, at: AT }], AT);
    expect(people().filter((r) => r[0] === ANN)).toHaveLength(1);
  });

  it('a header row deleted while the clock was off: set-up puts it back, and Log is written', async () => {
    testClient(server, dir, SHEET, { tabs: { People: PEOPLE } });
    const first = testClient(server, dir, SHEET, { existing: true });
    await first.writeBatch([opened], AT);
    server.deleteRow(SHEET, 'People', 1);
    server.deleteRow(SHEET, 'Log', 1);
    const again = testClient(server, dir, SHEET, { existing: true });
    await again.writeBatch([closed], AT + 8 * HOUR);
    expect(people()).toEqual(PEOPLE);
    const [header, row] = log();
    expect(header?.[0]).toBe('Session');
    expect(row?.[0]).toBe(SESSION);
    expect(row?.[7]).toBe('out');
  });
});
