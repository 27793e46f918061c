/**
 * The Totals tab against the Sheets-compatible server on 127.0.0.1, through
 * the real Google client: made at set-up, written with the minute's live
 * update in its one write request, open sessions counted to now and marked,
 * corrections applied and voids left out, a row per person as People tells
 * them, and nothing written for it when nothing changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SheetsClient } from '../src/drivers/sheets/sheetsClient';
import { makeTotalsSource, type TotalsStore } from '../src/drivers/sheets/totalsSource';
import { toSession, type RawSession } from '../src/drivers/store/sessionRows';
import type { Person } from '../streams/directory';
import { toSerial, toSerialDuration } from '../streams/zoned';
import { quietHealth, testClient } from './support/sheetFixtures';
import { SheetsTestServer, type Cell } from './support/sheetsTestServer';

const SHEET = 'badgeclockTotalsSheet1';
const ZONE = 'UTC';
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Thursday 2026-04-02 10:00 UTC; the weekly period from Monday 03-30 (previous: from 03-23). */
const NOW = Date.parse('2026-04-02T10:00:00Z');
const at = (iso: string): number => Date.parse(iso);

jest.setTimeout(30_000);

const urlOf = (input: Parameters<typeof fetch>[0]): string =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

/** A sessions row as SQLite keeps it: the clock's own times, and a manager's corrections beside them. */
const raw = (
  card: string,
  name: string | null,
  inIso: string,
  outIso: string | null,
  fixes: Partial<Pick<RawSession, 'fixed_in' | 'fixed_out' | 'voided'>> = {},
): RawSession => ({
  id: `${card}-${inIso}`,
  card,
  name,
  in_at: at(inIso),
  out_at: outIso === null ? null : at(outIso),
  status: outIso === null ? 'in' : 'out',
  reason: null,
  reader: 'door',
  clock: null,
  in_mono: null,
  out_mono: null,
  boot: null,
  fixed_in: null,
  fixed_out: null,
  voided: 0,
  ...fixes,
});

/** The store as the provider reads it: sessions through the store's own `toSession`, and a change count. */
function storeOf(rows: RawSession[]): TotalsStore & { rows: RawSession[]; bump: () => void } {
  let changes = 0;
  const store = {
    rows,
    bump: () => {
      changes += 1;
    },
    changes: () => changes,
    sessionsBetween: (from: number, to: number) =>
      store.rows.map(toSession).filter((s) => s.inAt < to && (s.outAt ?? Infinity) > from),
  };
  return store;
}

describe('the Totals tab (the real client)', () => {
  let dir: string;
  let server: SheetsTestServer;
  /** The bodies of the write requests, as the Google client sent them. */
  let writes: string[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-totals-'));
    server = await new SheetsTestServer().start();
    writes = [];
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function client(): SheetsClient {
    const recording: typeof fetch = (input, init) => {
      if (typeof init?.body === 'string' && urlOf(input).includes(':batchUpdateByDataFilter'))
        writes.push(init.body);
      return fetch(input, init);
    };
    return testClient(server, dir, SHEET, { zone: ZONE, fetchImplementation: recording });
  }
  const totals = (): Cell[][] => server.values(SHEET, 'Totals');
  const rowOf = (card: string): Cell[] | undefined => totals().find((r) => r[1] === card);
  const requestsSince = (mark: number): string[] =>
    server.requests
      .slice(mark)
      .map((r) => `${r.method} ${r.path.replace(/^.*\/spreadsheets\/[^/]+/, '')}`);

  it('is made at set-up, with its headers, frozen rows and duration columns', async () => {
    await client().setUp();
    expect(server.tabTitles(SHEET)).toEqual(['Log', 'Now', 'People', 'Edits', 'Totals']);
    expect(totals()).toEqual([['Name', 'Card', 'In since']]);
    expect(server.frozenRows(SHEET, 'Totals')).toBe(2);
    expect(server.formats(SHEET, 'Totals')).toEqual([
      { column: 2, pattern: 'yyyy-mm-dd hh:mm' },
      { column: 3, pattern: '[h]:mm' },
    ]);
    expect(server.model.gridSize(SHEET, 'Totals').columnCount).toBe(79);
  });

  it('holds the corrected hours per day and week, skips a void, and counts an open session to now, marked', async () => {
    const sheet = client();
    const store = storeOf([
      raw('A1', 'Ann', '2026-03-31T08:00:00Z', '2026-03-31T12:00:00Z', {
        fixed_out: at('2026-03-31T16:30:00Z'),
      }),
      raw('A1', 'Ann', '2026-04-01T08:00:00Z', '2026-04-01T12:00:00Z', { voided: 1 }),
      raw('A1', 'Ann', '2026-03-26T22:00:00Z', '2026-03-27T02:00:00Z'),
      raw('B2', '=Bob', '2026-04-02T08:00:00Z', null),
    ]);
    const totalsOf = makeTotalsSource(store, { kind: 'weekly', firstDay: 'monday' }, ZONE);
    await sheet.liveUpdate([], NOW, quietHealth, totalsOf(NOW));

    const [titles, headers] = totals();
    expect(titles?.slice(0, 4)).toEqual([
      'Name',
      'Card',
      'In since',
      'Current pay period 2026-03-30 – 2026-04-05, updated 2026-04-02 10:00',
    ]);
    expect(titles?.[12]).toBe('Previous pay period 2026-03-23 – 2026-03-29');
    expect(headers).toEqual([
      '',
      '',
      '',
      'Total',
      'Week of 03-30',
      'Mon 30',
      'Tue 31',
      'Wed 01',
      'Thu 02',
      'Fri 03',
      'Sat 04',
      'Sun 05',
      'Total',
      'Week of 03-23',
      'Mon 23',
      'Tue 24',
      'Wed 25',
      'Thu 26',
      'Fri 27',
      'Sat 28',
      'Sun 29',
    ]);
    // Ann: 8.5 h on Tuesday as corrected, the voided Wednesday not counted; a night split at midnight.
    const h = (hours: number): number => toSerialDuration(hours * HOUR);
    expect(rowOf('A1')).toEqual([
      'Ann',
      'A1',
      '',
      h(8.5),
      h(8.5),
      '',
      h(8.5),
      '',
      '',
      '',
      '',
      '',
      h(4),
      h(4),
      '',
      '',
      '',
      h(2),
      h(2),
      '',
      '',
    ]);
    // Bob is in: counted up to now, and marked with when he came in; his name stays text (RAW).
    expect(rowOf('B2')?.slice(0, 9)).toEqual([
      '=Bob',
      'B2',
      toSerial(at('2026-04-02T08:00:00Z'), ZONE),
      h(2),
      h(2),
      '',
      '',
      '',
      h(2),
    ]);
    expect(
      totals()
        .slice(2)
        .map((r) => r[0])
        .sort(),
    ).toEqual(['=Bob', 'Ann']);
  });

  it('rides in the minute’s one write request, and writes nothing for Totals when nothing changed', async () => {
    const sheet = client();
    const store = storeOf([raw('A1', 'Ann', '2026-03-31T08:00:00Z', '2026-03-31T12:00:00Z')]);
    const totalsOf = makeTotalsSource(store, { kind: 'weekly', firstDay: 'monday' }, ZONE);
    await sheet.liveUpdate([], NOW, quietHealth, totalsOf(NOW));
    expect(writes.at(-1)).toContain("'Totals'!");

    // A quiet minute: nobody in, nothing new: the same two requests as without Totals, no Totals range.
    let mark = server.requests.length;
    await sheet.liveUpdate([], NOW + MINUTE, quietHealth, totalsOf(NOW + MINUTE));
    expect(requestsSince(mark)).toEqual([
      'POST /values:batchGetByDataFilter',
      'POST /values:batchUpdateByDataFilter',
    ]);
    expect(writes.at(-1)).not.toContain("'Totals'!");
    expect(totals()[0]?.[3]).toBe(
      'Current pay period 2026-03-30 – 2026-04-05, updated 2026-04-02 10:00',
    );

    // A clock-out committed: the row that changed (and the title row) is written, in the same one write.
    store.rows.push(raw('A1', 'Ann', '2026-04-02T08:00:00Z', '2026-04-02T10:01:00Z'));
    store.rows.push(raw('C3', 'Cy', '2026-04-02T08:00:00Z', '2026-04-02T09:00:00Z'));
    store.bump();
    mark = server.requests.length;
    await sheet.liveUpdate([], NOW + 2 * MINUTE, quietHealth, totalsOf(NOW + 2 * MINUTE));
    expect(requestsSince(mark)).toEqual([
      'POST /values:batchGetByDataFilter',
      'POST /values:batchUpdateByDataFilter',
    ]);
    expect(rowOf('A1')?.[3]).toBe(toSerialDuration(4 * HOUR + 2 * HOUR + MINUTE));
    expect(rowOf('C3')?.[3]).toBe(toSerialDuration(HOUR));
    expect(totals()[0]?.[3]).toBe(
      'Current pay period 2026-03-30 – 2026-04-05, updated 2026-04-02 10:02',
    );
  });

  it('puts every person back on their own row after a person sorted the tab by hand', async () => {
    // Found by an audit: only the changed rows were written, at the rows of the clock's own table.
    const sheet = client();
    const store = storeOf([
      raw('A1', 'Ann', '2026-03-31T08:00:00Z', '2026-03-31T09:00:00Z'),
      raw('B2', 'Bob', '2026-03-31T08:00:00Z', '2026-03-31T10:00:00Z'),
      raw('C3', 'Cy', '2026-03-31T08:00:00Z', '2026-03-31T11:00:00Z'),
      raw('D4', 'Dee', '2026-03-31T08:00:00Z', '2026-03-31T12:00:00Z'),
    ]);
    const totalsOf = makeTotalsSource(store, { kind: 'weekly', firstDay: 'monday' }, ZONE);
    await sheet.liveUpdate([], NOW, quietHealth, totalsOf(NOW));
    const cards = (): Cell[] =>
      totals()
        .slice(2)
        .map((r) => r[1] ?? '');
    expect(cards()).toEqual(['A1', 'B2', 'C3', 'D4']);
    // The manager sorts the people's rows by the current Total, most first.
    const sorted = totals()
      .slice(2)
      .sort((a, b) => Number(b[3]) - Number(a[3]));
    sorted.forEach((row, r) => {
      row.forEach((cell, c) => {
        server.setCell(SHEET, 'Totals', r + 3, c, cell);
      });
    });
    expect(cards()).toEqual(['D4', 'C3', 'B2', 'A1']);
    // Ann works another hour; a quiet minute follows.
    store.rows.push(raw('A1', 'Ann', '2026-04-01T08:00:00Z', '2026-04-01T09:00:00Z'));
    store.bump();
    for (const m of [1, 2])
      await sheet.liveUpdate([], NOW + m * MINUTE, quietHealth, totalsOf(NOW + m * MINUTE));
    expect(cards()).toEqual(['A1', 'B2', 'C3', 'D4']);
    expect(rowOf('A1')?.[3]).toBe(toSerialDuration(2 * HOUR));
    expect(rowOf('D4')?.[3]).toBe(toSerialDuration(4 * HOUR));
  });

  it('moves a card made an alias in People onto its person’s row at the next minute, the store unchanged', async () => {
    const sheet = client();
    const store = storeOf([
      // Alice's wedge card, clocked on its own before the manager made it her alias.
      raw('0001234', null, '2026-03-30T08:00:00Z', '2026-03-30T12:00:00Z'),
      raw('A1', 'Alice', '2026-03-30T13:30:00Z', '2026-03-30T17:30:00Z'),
    ]);
    const totalsOf = makeTotalsSource(store, { kind: 'weekly', firstDay: 'monday' }, ZONE);
    const alice: Person = { card: 'A1', name: 'Alice', active: true, aliases: [] };
    await sheet.liveUpdate([], NOW, quietHealth, totalsOf(NOW, [alice]));
    expect(totals().map((r) => r[0])).toEqual(['Name', '', '0001234', 'Alice']);
    const people = [{ ...alice, aliases: ['0001234'] }];
    await sheet.liveUpdate([], NOW + MINUTE, quietHealth, totalsOf(NOW + MINUTE, people));
    expect(totals().map((r) => r[0])).toEqual(['Name', '', 'Alice', '']);
    expect(rowOf('A1')?.[3]).toBe(toSerialDuration(8 * HOUR));
  });

  it('blanks the rows and columns a smaller table leaves, even after a restart', async () => {
    const first = client();
    const store = storeOf([
      raw('A1', 'Ann', '2026-03-31T08:00:00Z', '2026-03-31T12:00:00Z'),
      raw('B2', 'Bob', '2026-03-31T08:00:00Z', '2026-03-31T12:00:00Z'),
    ]);
    const monthly = makeTotalsSource(store, { kind: 'monthly', startDay: 1 }, ZONE);
    await first.liveUpdate([], NOW, quietHealth, monthly(NOW));
    expect(totals()).toHaveLength(4);
    expect(totals()[1]?.length).toBeGreaterThan(60);

    // A new process (nothing remembered), a weekly period now, and Bob's session voided.
    const again = testClient(server, dir, SHEET, { zone: ZONE, existing: true });
    store.rows[1] = {
      ...raw('B2', 'Bob', '2026-03-31T08:00:00Z', '2026-03-31T12:00:00Z'),
      voided: 1,
    };
    store.bump();
    const weekly = makeTotalsSource(store, { kind: 'weekly', firstDay: 'monday' }, ZONE);
    await again.liveUpdate([], NOW + MINUTE, quietHealth, weekly(NOW + MINUTE));
    // Written blank (an empty string is an empty cell): Bob's row, and the monthly columns.
    const blank = (cells: readonly Cell[]): boolean => cells.every((cell) => cell === '');
    expect(totals().map((r) => r[0])).toEqual(['Name', '', 'Ann', '']);
    expect(blank(totals()[3] ?? [])).toBe(true);
    expect(totals().every((row) => blank(row.slice(21)))).toBe(true);
    expect(totals()[1]?.[20]).toBe('Sun 29');
  });
});
