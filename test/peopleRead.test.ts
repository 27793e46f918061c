/**
 * People is read at every live update (each minute). A tab that has not
 * changed gives the clock the same list without its bad rows being reported
 * again every minute; a change is read and reported afresh. The real client
 * over HTTP to the test server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSheetsClient, type SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { quietHealth } from './support/sheetFixtures';
import { SheetsTestServer } from './support/sheetsTestServer';

jest.setTimeout(30_000);

const SHEET = 'peopleReadSheet01';
const AT = Date.parse('2026-03-02T08:00:00Z');

let dir: string;
let server: SheetsTestServer;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'badgeclock-people-'));
  server = await new SheetsTestServer().start();
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function clientFor(warnings: string[]): SheetsClient {
  const account = server.serviceAccount(dir);
  server.createSpreadsheet(SHEET, [account.email]);
  server.addTab(SHEET, 'People', [
    ['Card', 'Name', 'Active', 'Aliases'],
    ['A0000001', 'Ada', 'yes', ''],
    ['not a card!', 'Bob', 'yes', ''],
  ]);
  return makeSheetsClient({
    spreadsheetId: SHEET,
    keyFile: account.file,
    rootUrl: server.rootUrl,
    timeoutMs: 5_000,
    zone: 'UTC',
    device: 'test',
    version: 'test',
    warn: (message) => warnings.push(message),
    fetchImplementation: fetch,
  });
}

describe('People read every minute', () => {
  it('reports a bad row once while the tab is unchanged, and again after it changes', async () => {
    const warnings: string[] = [];
    const client = clientFor(warnings);
    const badRow = (): number => warnings.filter((w) => w.startsWith('People!A3:')).length;

    const first = await client.liveUpdate([], AT, quietHealth);
    const second = await client.liveUpdate([], AT + 60_000, quietHealth);
    expect(first.people.map((p) => p.card)).toEqual(['A0000001']);
    expect(second.people).toEqual(first.people);
    expect(badRow()).toBe(1);

    server.setCell(SHEET, 'People', 4, 0, 'A0000002');
    server.setCell(SHEET, 'People', 4, 1, 'Cy');
    const third = await client.liveUpdate([], AT + 120_000, quietHealth);
    expect(third.people.map((p) => p.card)).toEqual(['A0000001', 'A0000002']);
    expect(badRow()).toBe(2);
  });
});
