/**
 * People is read at every live update (each minute). A tab that has not
 * changed gives the clock the same list without its bad rows being reported
 * again every minute; a change is read and reported afresh. The real client
 * over HTTP to the test server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePeopleCache } from '../src/drivers/sheets/peopleCache';
import type { SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { quietHealth, testClient } from './support/sheetFixtures';
import { SheetsTestServer, type Cell } from './support/sheetsTestServer';

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

function clientFor(
  warnings: string[],
  rows: Cell[][] = [
    ['A0000001', 'Ada', 'yes', ''],
    ['not a card!', 'Bob', 'yes', ''],
  ],
): SheetsClient {
  return testClient(server, dir, SHEET, {
    tabs: { People: [['Card', 'Name', 'Active', 'Aliases'], ...rows] },
    warn: (message) => warnings.push(message),
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

describe('a card id on two rows of People', () => {
  it("ignores a row whose card is another row's alias, and an alias already listed, naming the row each clashes with", async () => {
    const warnings: string[] = [];
    const client = clientFor(warnings, [
      ['AABBCCDD', 'Eve', 'yes', '04A3C6CA'],
      ['04A3C6CA', 'Alice', 'yes', ''],
      ['B0B0B0B0', 'Bob', 'yes', 'AABBCCDD, C0C0C0C0'],
      ['AABBCCDD', 'Eve again', 'yes', ''],
    ]);
    const people = await client.readPeople();
    expect(people).toEqual([
      { card: 'AABBCCDD', name: 'Eve', active: true, aliases: ['04A3C6CA'] },
      { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: ['C0C0C0C0'] },
    ]);
    expect(warnings.filter((w) => !w.includes('1: header'))).toEqual([
      'People!A3: card 04A3C6CA is already an alias on row 2 (Eve); row ignored',
      'People!D4: alias AABBCCDD is already the card on row 2 (Eve); alias ignored',
      'People!A5: card AABBCCDD is already the card on row 2 (Eve); row ignored',
    ]);
  });
});

describe('admin cards in People', () => {
  it('`admin` in Active, in any case and with spaces, makes an active admin card; the rest as usual', async () => {
    const client = clientFor(
      [],
      [
        ['A0000001', 'Ada', 'yes', ''],
        ['A0000002', 'Boss', ' Admin ', 'B0000002'],
        ['A0000003', 'Cy', 'no', ''],
        ['A0000004', 'Di', 'ADMIN', ''],
      ],
    );
    const people = await client.readPeople();
    expect(people).toEqual([
      { card: 'A0000001', name: 'Ada', active: true, aliases: [] },
      { card: 'A0000002', name: 'Boss', active: true, aliases: ['B0000002'], admin: true },
      { card: 'A0000003', name: 'Cy', active: false, aliases: [] },
      { card: 'A0000004', name: 'Di', active: true, aliases: [], admin: true },
    ]);
  });

  it('an admin card is still one when People comes from the cache of the last run', () => {
    const file = join(dir, 'people.json');
    const boss = { card: 'A0000002', name: 'Boss', active: true, aliases: [], admin: true };
    makePeopleCache(file, () => undefined).save([boss]);
    expect(makePeopleCache(file, () => undefined).load()).toEqual([boss]);
    writeFileSync(file, JSON.stringify([{ ...boss, admin: 'yes' }]));
    const warnings: string[] = [];
    expect(makePeopleCache(file, (w) => warnings.push(w)).load()).toBeNull();
    expect(warnings.join('\n')).toContain('admin flag');
  });
});
