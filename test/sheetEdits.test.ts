/**
 * Corrections typed into the sheet (rule 13), against the Sheets-compatible
 * server on 127.0.0.1 through the real Google client: a real store, the one
 * reducer, the real batch writer and live update, and the read-back that
 * judges what a manager typed into `Log` (editWatch.ts → liveView.ts →
 * sheetEditJudge.ts). A minute here is one live update, as the clock makes
 * it, with the outbox written to the sheet after it; a round reads every
 * watched row once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { makeEditWatch, WATCH_ROUND_MINUTES } from '../src/drivers/sheets/editWatch';
import type { SheetsClient } from '../src/drivers/sheets/sheetsClient';
import type { LogRowsRead } from '../src/drivers/sheets/sheetsDriver';
import { makeTotalsSource } from '../src/drivers/sheets/totalsSource';
import { sheetEdits$ } from '../src/drivers/store/sheetEditJudge';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import type { ClockEvent, CorrectionJudged, Health, Output } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import { ROW_DELETED } from '../streams/sheetEdits';
import { toSerial, toSerialDuration } from '../streams/zoned';
import { quietHealth, testClient } from './support/sheetFixtures';
import { SheetsTestServer, type Cell } from './support/sheetsTestServer';
import { people, player, read } from './support/store-fixtures';

const SHEET = 'badgeclockSheetEdits01';
const ZONE = 'Europe/Berlin';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const WEEKLY = { kind: 'weekly', firstDay: 'monday' } as const;
// Wednesday 4 March 2026; Berlin is UTC+1.
const at = (iso: string): number => Date.parse(iso);
const ANN_IN = at('2026-03-04T08:00:00Z');
const ANN_OUT = at('2026-03-04T16:00:00Z');
const BOB_IN = at('2026-03-04T08:30:00Z');
const ANN_DAY_BEFORE = at('2026-03-03T08:00:00Z');
// Rounds of the watch: Bob is still in (his limit is 20:30 UTC, when a minute would close him).
const EVENING = at('2026-03-04T18:00:00Z');
const ANN = sessionId('A1', ANN_IN);
const BOB = sessionId('B2', BOB_IN);
const ANN_BEFORE = sessionId('A1', ANN_DAY_BEFORE);
const COLUMN = { in: 4, out: 5, hours: 6, status: 7 } as const;

/** The clock around the sheet: store, reducer, the client, the watch and the judge. */
interface Rig {
  readonly store: Store;
  readonly client: SheetsClient;
  readonly play: (...events: ClockEvent[]) => (readonly Output[])[];
  /** One live update at `now`, its rows judged, the judgements played, the outbox written. */
  readonly minute: (now: number, health?: Health) => Promise<CorrectionJudged[]>;
  /** A round of minutes from `now`: every watched row read once. */
  readonly round: (now: number, health?: Health) => Promise<CorrectionJudged[]>;
}

describe('corrections typed into the sheet (the real client)', () => {
  let dir: string;
  let server: SheetsTestServer;
  let stores: Store[];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-sheet-edits-'));
    server = await new SheetsTestServer().start();
    stores = [];
  });
  afterEach(async () => {
    for (const store of stores) store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Ann worked yesterday and today (closed); Bob is in since 09:30 local; all in the sheet. */
  async function rig(): Promise<Rig> {
    const store = Store.open(join(dir, DB_FILE_NAME), { newInstall: true });
    stores.push(store);
    const client = testClient(server, dir, SHEET, { zone: ZONE });
    const { play, state } = player(store, defaultRules(ZONE));
    const watch = makeEditWatch(store, WEEKLY, ZONE);
    const reads$ = new Subject<LogRowsRead>();
    const judged: CorrectionJudged[] = [];
    sheetEdits$(reads$, store, defaultRules(ZONE)).subscribe({
      next: (event) => judged.push(event),
      error: (error: unknown) => {
        throw error;
      },
    });
    const sync = async (now: number): Promise<void> => {
      for (let pending = store.pending(); pending.length > 0; pending = store.pending()) {
        await client.writeBatch(
          pending.map((p) => p.entry),
          now,
        );
        store.markDone(
          pending.map((p) => p.entry.key),
          now,
        );
      }
    };
    const minute = async (now: number, health = quietHealth): Promise<CorrectionJudged[]> => {
      const open = [...state().open.values()].map((o) => ({
        session: o.id,
        card: o.card,
        name: o.name,
        inAt: o.inAt,
        openForMs: now - o.inAt,
      }));
      const { rows } = await client.liveUpdate(open, now, health, undefined, watch(now));
      const before = judged.length;
      reads$.next({ type: 'logRowsRead', at: now, clockSynced: health.clockSynced, rows });
      const fresh = judged.slice(before);
      play(...fresh);
      await sync(now);
      return fresh;
    };
    const round = async (now: number, health = quietHealth): Promise<CorrectionJudged[]> => {
      const all: CorrectionJudged[] = [];
      for (let i = 0; i < WATCH_ROUND_MINUTES; i++)
        all.push(...(await minute(now + i * MINUTE, health)));
      return all;
    };
    play(
      people(ANN_DAY_BEFORE - HOUR, [
        { card: 'A1', name: 'Ann' },
        { card: 'B2', name: 'Bob' },
      ]),
      read(ANN_DAY_BEFORE, 'A1'),
      read(ANN_DAY_BEFORE + 8 * HOUR, 'A1'),
      read(ANN_IN, 'A1'),
      read(BOB_IN, 'B2'),
      read(ANN_OUT, 'A1'),
    );
    await sync(ANN_OUT);
    // A first round: every row is seen as the clock wrote it, and nothing is asked for.
    expect(await round(ANN_OUT + MINUTE)).toEqual([]);
    return { store, client, play, minute, round };
  }

  const log = (): Cell[][] => server.values(SHEET, 'Log');
  /** The 1-based row number of a session's row in Log now. */
  const rowOf = (session: string): number => {
    const index = log().findIndex((row) => row[0] === session);
    if (index < 0) throw new Error(`no row for ${session}`);
    return index + 1;
  };
  const cell = (session: string, column: number): Cell | undefined =>
    log()[rowOf(session) - 1]?.[column];
  const noteOf = (session: string, column: number): string | undefined =>
    server.notes(SHEET, 'Log')[rowOf(session) - 1]?.[column];
  const type = (session: string, column: number, value: Cell): void => {
    server.setCell(SHEET, 'Log', rowOf(session), column, value);
  };
  const session = (store: Store, id: string) => store.allSessions().find((s) => s.id === id);
  const editsTab = (): Cell[][] => server.values(SHEET, 'Edits').slice(1);

  it('an edited Out of a closed session becomes the record: Hours follows, the typed cell stays, Edits and report --edits agree, totals follow', async () => {
    const { store, round } = await rig();
    const typed = toSerial(at('2026-03-04T16:30:00Z'), ZONE);
    type(ANN, COLUMN.out, typed);

    const judged = await round(EVENING);
    expect(judged.map((j) => [j.session, j.applied, j.source])).toEqual([[ANN, true, 'sheet']]);
    expect(session(store, ANN)?.outAt).toBe(at('2026-03-04T16:30:00Z'));
    expect(cell(ANN, COLUMN.out)).toBe(typed);
    expect(cell(ANN, COLUMN.hours)).toBeCloseTo(toSerialDuration(8.5 * HOUR), 12);
    expect(cell(ANN, COLUMN.status)).toBe('out');
    expect(noteOf(ANN, COLUMN.out) ?? '').toBe('');

    const edits = store.editsBetween(0, Infinity);
    expect(edits.map((e) => [e.session, e.field, e.new, e.applied, e.source])).toEqual([
      [ANN, 'out', '2026-03-04T16:30:00.000Z', true, 'sheet'],
    ]);
    const tab = editsTab();
    expect(tab.map((row) => [row[1], row[3], row[5], row[6], row[8]])).toEqual([
      [ANN, 'out', typed, 'applied', 'sheet'],
    ]);
    const totals = makeTotalsSource(store, WEEKLY, ZONE)(EVENING);
    const ann = totals.rows.find((r) => r.card === 'A1');
    expect(ann?.periods[0]?.total).toBe(16.5 * HOUR);
    // Read again and again: nothing new, nothing written over.
    expect(await round(EVENING + HOUR)).toEqual([]);
    expect(cell(ANN, COLUMN.out)).toBe(typed);
    expect(editsTab()).toHaveLength(1);
  });

  it('an edit read back on a clock not yet synchronised is judged by the first round after it is (seed 63013)', async () => {
    const { store, round } = await rig();
    const typed = toSerial(at('2026-03-04T16:30:00Z'), ZONE);
    type(ANN, COLUMN.out, typed);
    // A boot on a stale clock, before NTP: its 16:15 is long gone, and 16:30 is 'ahead' of it.
    const stale = { ...quietHealth, clockSynced: false };
    expect(await round(ANN_OUT + 15 * MINUTE, stale)).toEqual([]);
    expect(session(store, ANN)?.outAt).toBe(ANN_OUT);
    expect(store.editsBetween(0, Infinity)).toEqual([]);

    const judged = await round(EVENING);
    expect(judged.map((j) => [j.session, j.applied])).toEqual([[ANN, true]]);
    expect(session(store, ANN)?.outAt).toBe(at('2026-03-04T16:30:00Z'));
    expect(cell(ANN, COLUMN.hours)).toBeCloseTo(toSerialDuration(8.5 * HOUR), 12);
  });

  it('on a clock not yet synchronised, an edit that holds whatever the time is applies at once', async () => {
    const { store, round } = await rig();
    type(ANN, COLUMN.in, '08:45');
    const stale = { ...quietHealth, clockSynced: false };
    const judged = await round(ANN_OUT + 15 * MINUTE, stale);
    expect(judged.map((j) => [j.session, j.applied])).toEqual([[ANN, true]]);
    expect(session(store, ANN)?.inAt).toBe(at('2026-03-04T07:45:00Z'));
  });

  it('an In typed as text that reads as a time applies; the text stays in the cell', async () => {
    const { store, round } = await rig();
    type(ANN, COLUMN.in, '08:45');
    const judged = await round(EVENING);
    expect(judged.map((j) => j.applied)).toEqual([true]);
    expect(session(store, ANN)?.inAt).toBe(at('2026-03-04T07:45:00Z'));
    expect(cell(ANN, COLUMN.in)).toBe('08:45');
    expect(cell(ANN, COLUMN.hours)).toBeCloseTo(toSerialDuration(8.25 * HOUR), 12);
  });

  it('typing an Out on an open session closes it, and the person’s next tap clocks in', async () => {
    const { store, round, play } = await rig();
    type(BOB, COLUMN.out, toSerial(at('2026-03-04T17:00:00Z'), ZONE));
    const judged = await round(EVENING);
    expect(judged.map((j) => [j.session, j.applied, j.closes])).toEqual([[BOB, true, true]]);
    expect(session(store, BOB)).toMatchObject({ outAt: at('2026-03-04T17:00:00Z'), status: 'out' });
    expect(cell(BOB, COLUMN.status)).toBe('out');
    expect(cell(BOB, COLUMN.hours)).toBeCloseTo(toSerialDuration(8.5 * HOUR), 12);
    const [out] = play(read(EVENING + HOUR, 'B2'));
    expect(out?.map((o) => o.type)).toContain('clock-in');
  });

  it('void takes the session out of every total and keeps it in the record', async () => {
    const { store, round } = await rig();
    type(ANN, COLUMN.status, 'void');
    const judged = await round(EVENING);
    expect(judged.map((j) => [j.applied, j.voided])).toEqual([[true, true]]);
    expect(session(store, ANN)?.voided).toBe(true);
    expect(cell(ANN, COLUMN.status)).toBe('void');
    const totals = makeTotalsSource(store, WEEKLY, ZONE)(EVENING);
    expect(totals.rows.find((r) => r.card === 'A1')?.periods[0]?.total).toBe(8 * HOUR);
    expect(await round(EVENING + HOUR)).toEqual([]);
  });

  it.each([
    ['an Out before the In', 'out', toSerial(at('2026-03-04T07:00:00Z'), ZONE), /is not after In/],
    ['text in a time cell', 'in', 'after lunch', /"after lunch" in In is not a time/],
    ['a time in the future', 'out', toSerial(at('2026-03-06T16:00:00Z'), ZONE), /is in the future/],
    [
      'an overlap with the same person’s other session',
      'in',
      toSerial(at('2026-03-03T15:00:00Z'), ZONE),
      /overlap Ann's session/,
    ],
    ['a blanked Out', 'out', '', /Out is blank/],
  ] as const)(
    '%s is not applied, never written over, flagged on the cell and in Edits, once',
    async (_what, field, value, reason) => {
      const { store, round } = await rig();
      const before = session(store, ANN);
      const typed: Cell = value;
      type(ANN, COLUMN[field], typed);
      const judged = await round(EVENING);
      expect(judged.map((j) => j.applied)).toEqual([false]);
      expect(judged[0]?.reason).toMatch(reason);
      expect(session(store, ANN)).toEqual(before);
      expect(cell(ANN, COLUMN[field]) ?? '').toBe(typed);
      expect(noteOf(ANN, COLUMN[field])).toMatch(reason);
      expect(noteOf(ANN, COLUMN[field])).toMatch(/^Not applied: /);
      const tab = editsTab();
      expect(tab).toHaveLength(1);
      expect(String(tab[0]?.[6])).toMatch(reason);
      expect(store.editsBetween(0, Infinity).map((e) => [e.applied, e.reason])).toEqual([
        [false, judged[0]?.reason],
      ]);
      // Judged once: the next rounds leave it, flagged, as typed.
      expect(await round(EVENING + HOUR)).toEqual([]);
      expect(cell(ANN, COLUMN[field]) ?? '').toBe(typed);
      expect(editsTab()).toHaveLength(1);
    },
  );

  it('a flagged edit made right applies, and its note is cleared', async () => {
    const { store, round } = await rig();
    type(ANN, COLUMN.out, toSerial(at('2026-03-04T07:00:00Z'), ZONE));
    expect((await round(EVENING)).map((j) => j.applied)).toEqual([false]);
    expect(noteOf(ANN, COLUMN.out)).toMatch(/^Not applied/);
    type(ANN, COLUMN.out, toSerial(at('2026-03-04T17:00:00Z'), ZONE));
    expect((await round(EVENING + HOUR)).map((j) => j.applied)).toEqual([true]);
    expect(noteOf(ANN, COLUMN.out) ?? '').toBe('');
    expect(session(store, ANN)?.outAt).toBe(at('2026-03-04T17:00:00Z'));
  });

  it('a deleted row is not brought back, still counts, and Edits says so once with how to void it', async () => {
    const { store, round } = await rig();
    server.deleteRow(SHEET, 'Log', rowOf(ANN));
    const judged = await round(EVENING);
    expect(judged.map((j) => [j.session, j.applied, j.changes[0]?.new])).toEqual([
      [ANN, false, ROW_DELETED],
    ]);
    expect(judged[0]?.reason).toMatch(`badgeclock fix ${ANN} --void`);
    expect(log().some((row) => row[0] === ANN)).toBe(false);
    expect(session(store, ANN)?.voided).toBeUndefined();
    expect(await round(EVENING + HOUR)).toEqual([]);
    expect(editsTab()).toHaveLength(1);
    expect(log().some((row) => row[0] === ANN)).toBe(false);
  });

  it('an edit and a live update in the same minute: Hours ends as Out − In, and follows an edited In while open', async () => {
    const { store, minute, round } = await rig();
    // Bob's In moved back an hour while he is in: the live updates count from it.
    type(BOB, COLUMN.in, toSerial(at('2026-03-04T07:30:00Z'), ZONE));
    expect((await round(EVENING - 90 * MINUTE)).map((j) => j.applied)).toEqual([true]);
    const now = EVENING - HOUR;
    await minute(now);
    expect(cell(BOB, COLUMN.hours)).toBeCloseTo(
      toSerialDuration(now - at('2026-03-04T07:30:00Z')),
      12,
    );
    // Out typed: the minute that reads it writes Bob's live Hours too; the close rewrites them.
    type(BOB, COLUMN.out, toSerial(at('2026-03-04T16:00:00Z'), ZONE));
    await round(now + MINUTE);
    expect(session(store, BOB)).toMatchObject({
      inAt: at('2026-03-04T07:30:00Z'),
      outAt: at('2026-03-04T16:00:00Z'),
    });
    expect(cell(BOB, COLUMN.hours)).toBeCloseTo(toSerialDuration(8.5 * HOUR), 12);
    expect(cell(BOB, COLUMN.in)).toBe(toSerial(at('2026-03-04T07:30:00Z'), ZONE));
  });

  it('rows in a Log renamed to archive them are neither read as edits nor taken for deleted, at two requests a minute', async () => {
    const { minute, round } = await rig();
    server.model.renameTab(SHEET, 'Log', 'Log 2026');
    server.setCell(SHEET, 'Log 2026', 2, COLUMN.status, 'void');
    await minute(EVENING); // set-up makes a new Log
    const mark = server.requests.length;
    expect(await round(EVENING + MINUTE)).toEqual([]);
    expect((server.requests.length - mark) / WATCH_ROUND_MINUTES).toBe(2);
  });

  it('a row of another session edited leaves the others alone, and a sort moves nothing', async () => {
    const { store, round } = await rig();
    server.sortRows(SHEET, 'Log', 2, true);
    type(ANN_BEFORE, COLUMN.out, toSerial(at('2026-03-03T17:00:00Z'), ZONE));
    server.sortRows(SHEET, 'Log', 4);
    const judged = await round(EVENING);
    expect(judged.map((j) => [j.session, j.applied])).toEqual([[ANN_BEFORE, true]]);
    expect(session(store, ANN)?.outAt).toBe(ANN_OUT);
    expect(session(store, ANN_BEFORE)?.outAt).toBe(at('2026-03-03T17:00:00Z'));
    expect(cell(ANN, COLUMN.out)).toBe(toSerial(ANN_OUT, ZONE));
  });
});
