/**
 * The simulation's invariant checks (test/sim/checks.ts) on hand-made sheets:
 * a check that cannot fail proves nothing, so each is shown failing here.
 */
import { sheetRowsSound, storeMatchesModel } from './sim/checks';
import { SessionModel, type ModelSession, type Reading } from './sim/sessionModel';
import type { StoredSession } from './sim/storeView';
import { toSerial, toSerialDuration } from '../streams/zoned';

const ZONE = 'Europe/Berlin';
const IN = Date.parse('2026-10-29T06:44:13.570Z');
const OUT = Date.parse('2026-10-29T14:57:13.570Z');
const ID = '20261029T064413.570Z-04010B99D23D67';
const CARD = '04010B99D23D67';
const HEADER = ['Session', 'Date', 'Name', 'Card', 'In', 'Out', 'Hours', 'Status'];

const session: StoredSession = {
  id: ID,
  card: CARD,
  name: 'Person 268',
  inAt: IN,
  outAt: OUT,
  status: 'out',
};
const stored = new Map([[ID, session]]);

/** Log with the session's closed row, Hours as given. */
const logWith = (hoursMs: number): unknown[][] => [
  HEADER,
  [
    ID,
    toSerial(IN, ZONE),
    'Person 268',
    CARD,
    toSerial(IN, ZONE),
    toSerial(OUT, ZONE),
    toSerialDuration(hoursMs),
    'out',
  ],
];

describe('sheetRowsSound: Hours on a closed row', () => {
  it('holds when Hours is Out minus In', () => {
    expect(sheetRowsSound(logWith(OUT - IN), stored, new Set(), ZONE)).toEqual([]);
  });

  it('flags a running Hours left on a closed row once the faults are over', () => {
    // The live update of 14:57:00 (8:12:46 running) landed after the close (seed 1002, 40 days).
    const late = logWith(OUT - IN - 13_570);
    expect(sheetRowsSound(late, stored, new Set(), ZONE)).toEqual([
      expect.stringContaining('Hours 8:12:46 is not Out - In'),
    ]);
  });

  it('accepts that running Hours while the faults settle: the clock writes the close again', () => {
    expect(sheetRowsSound(logWith(OUT - IN - 13_570), stored, new Set(), ZONE, true)).toEqual([]);
  });

  it('flags Hours above Out minus In even then: no live update ever wrote that', () => {
    expect(sheetRowsSound(logWith(OUT - IN + 60_000), stored, new Set(), ZONE, true)).toEqual([
      expect.stringContaining('is not Out - In'),
    ]);
  });
});

describe('the independent session model: an alias added to People', () => {
  const HOUR_MS = 3_600_000;
  const T0 = Date.parse('2026-10-25T07:46:20Z');
  const at = (ms: number): Reading => ({ at: T0 + ms, mono: ms, boot: 0, staleBy: 0 });
  const rules = { debounceMs: 2_000, guardMs: 60_000, limitMs: 12 * HOUR_MS };
  const person = (aliases: string[]) => [
    { card: '04006A90B56120', name: 'Person 107', active: true, aliases },
  ];
  /** A session the clock opened with `id` at `ms`, kept under the chip's card. */
  const clockSession = (ms: number, id: string): StoredSession => ({
    id: `${new Date(T0 + ms).toISOString()}-${id}`,
    card: '04006A90B56120',
    name: 'Person 107',
    inAt: T0 + ms,
    outAt: null,
    status: 'in',
  });
  const modelWithWedgeSession = (): SessionModel => {
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'directory', people: person([]), at: at(0) });
    // The wedge reader's decimal id, not listed yet: a session of its own.
    model.apply({ type: 'read', card: '3011129107', ...at(0) });
    return model;
  };

  it('moves a session still open to the person (the clock follows the person)', () => {
    const model = modelWithWedgeSession();
    model.apply({ type: 'directory', people: person(['3011129107']), at: at(HOUR_MS) });
    expect(model.sessions.map((s) => s.card)).toEqual(['04006A90B56120']);
  });

  it('leaves a session the clock closed at its limit days ago under its own id (seed 1013)', () => {
    const model = modelWithWedgeSession();
    model.apply({ type: 'directory', people: person(['3011129107']), at: at(65 * HOUR_MS) });
    expect(model.sessions.map((s) => s.card)).toEqual(['3011129107']);
    expect(model.expect(model.sessions[0] as ModelSession, at(70 * HOUR_MS), 0).status).toBe(
      'auto',
    );
  });

  it('moves a session to the person once the session of their card was closed at its limit (seeds 16 and 17, 120 days)', () => {
    // People was empty (emptied, or unreadable after a restart): the chip's id clocked in, and
    // the same person's wedge id, unknown too, opened a second session 8 h later.
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'directory', people: [], at: at(0) });
    model.apply({ type: 'read', card: '04006A90B56120', ...at(0) });
    model.apply({ type: 'read', card: '3011129107', ...at(8 * HOUR_MS) });
    // While the chip's session is open, the wedge one stays where it is (two cannot be one).
    model.apply({ type: 'directory', people: person(['3011129107']), at: at(10 * HOUR_MS) });
    expect(model.sessions.map((s) => s.card)).toEqual(['04006A90B56120', '3011129107']);
    // The clock's tick closed the chip's session at its limit; People, read again, ties the
    // wedge id to the chip: the one session still open follows the person.
    model.apply({ type: 'directory', people: person(['3011129107']), at: at(13 * HOUR_MS) });
    expect(model.sessions.map((s) => s.card)).toEqual(['04006A90B56120', '04006A90B56120']);
    // What the clock's store then holds matches.
    const stored: StoredSession[] = [
      { ...clockSession(0, '04006A90B56120'), status: 'auto', outAt: T0 + 12 * HOUR_MS },
      clockSession(8 * HOUR_MS, '3011129107'),
    ];
    expect(storeMatchesModel(model, stored, at(13 * HOUR_MS), -Infinity, 130_000)).toEqual([]);
  });

  it('stops judging the person when People ties the ids within a tick of the limit: the clock may or may not have closed it yet', () => {
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'directory', people: [], at: at(0) });
    model.apply({ type: 'read', card: '04006A90B56120', ...at(0) });
    model.apply({ type: 'read', card: '3011129107', ...at(8 * HOUR_MS) });
    model.apply({
      type: 'directory',
      people: person(['3011129107']),
      at: at(12 * HOUR_MS + 60_000),
    });
    expect([...model.excluded].sort()).toEqual(['04006A90B56120', '3011129107']);
  });
});

describe('the independent session model across a reboot', () => {
  const HOUR_MS = 3_600_000;
  const T0 = Date.parse('2026-09-25T20:39:42Z');
  const rules = { debounceMs: 2_000, guardMs: 60_000, limitMs: 12 * HOUR_MS };
  const CARD = '04003BBD99D60A';

  it('a session the clock ticked past its limit in its own boot is closed, whatever the next boot’s wall says (seed 1, 120 days)', () => {
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'read', card: CARD, at: T0, mono: 0, boot: 4, staleBy: 0 });
    // The clock ran its minute ticks 12 h 20 min past the clock-in in that boot, then lost power;
    // the next boot's wall is a day behind the old one (a wall stepped a day ahead before).
    model.ran(4, 12 * HOUR_MS + 20 * 60_000, T0 + 12 * HOUR_MS + 20 * 60_000);
    const later = { at: T0 + 7 * HOUR_MS, mono: 1_000, boot: 5, staleBy: 0 };
    expect(model.expect(model.sessions[0] as ModelSession, later, 0).status).toBe('auto');
    // So the next tap clocks in, as the clock does, rather than out.
    model.apply({ type: 'read', card: CARD, ...later });
    expect(model.sessions.map((s) => (s.out === null ? 'open or auto' : 'out'))).toEqual([
      'open or auto',
      'open or auto',
    ]);
  });

  it('a tap the next boot takes hours after a clock-out is no double tap, though the wall clock had been stepped a day ahead before that clock-out (seed 16, 120 days)', () => {
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'read', card: CARD, at: T0, mono: 0, boot: 5, staleBy: 0 });
    // A person steps the wall clock 26 h ahead (the clock cannot tell); the clock-out 9.5 h
    // after the clock-in is measured by the monotonic clock and kept as T0 + 9.5 h.
    const outMono = 9.5 * HOUR_MS;
    model.apply({
      type: 'read',
      card: CARD,
      at: T0 + outMono + 26 * HOUR_MS,
      mono: outMono,
      boot: 5,
      staleBy: 0,
    });
    // Power is cut; the next boot's wall clock is right. The person taps the next morning.
    model.apply({
      type: 'read',
      card: CARD,
      at: T0 + 24 * HOUR_MS,
      mono: 60_000,
      boot: 6,
      staleBy: 0,
    });
    expect(model.ignored).toBe(0);
    expect(model.sessions.map((s) => (s.out === null ? 'in' : 'out'))).toEqual(['out', 'in']);
  });

  it('a tap the next boot takes less than the guard after that clock-out is a double tap: the clock-out is kept at its honest instant, not its wall stamp', () => {
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'read', card: CARD, at: T0, mono: 0, boot: 5, staleBy: 0 });
    const outMono = 9.5 * HOUR_MS;
    const stepped = { at: T0 + outMono + 26 * HOUR_MS, mono: outMono, boot: 5, staleBy: 0 };
    model.apply({ type: 'read', card: CARD, ...stepped });
    // A power cut of a few seconds; the next boot's wall is right, 40 s after the clock-out.
    model.apply({
      type: 'read',
      card: CARD,
      at: T0 + outMono + 40_000,
      mono: 8_000,
      boot: 6,
      staleBy: 0,
    });
    expect(model.ignored).toBe(1);
    expect(model.sessions).toHaveLength(1);
  });

  it('a clock-in the wall clock put ahead of the next boot’s now guards nothing: how long ago it was cannot be told (as the clock since seed 9204)', () => {
    const model = new SessionModel(rules, () => true);
    // The clock-in is stamped by a wall clock stepped 26 h ahead; power is cut an hour later.
    model.apply({ type: 'read', card: CARD, at: T0 + 26 * HOUR_MS, mono: 0, boot: 5, staleBy: 0 });
    model.apply({
      type: 'read',
      card: CARD,
      at: T0 + 2 * HOUR_MS,
      mono: 60_000,
      boot: 6,
      staleBy: 0,
    });
    expect(model.ignored).toBe(0);
    expect(model.sessions.map((s) => (s.out === null ? 'in' : 'out'))).toEqual(['out']);
  });

  it('a card put on the reader while the process is down is a tap once it restarts; one held through the restart is not (seed 11, 120 days)', () => {
    const model = new SessionModel(rules, () => true);
    const at = (ms: number) => ({ at: T0 + ms, mono: ms, boot: 4, staleBy: 0 });
    // Held through a restart: seen by the clock, then only sighted, then read again.
    model.apply({ type: 'read', card: CARD, ...at(0) });
    model.sight(CARD, at(1_500));
    model.apply({ type: 'read', card: CARD, ...at(3_000) });
    // Another card put on the reader while the process was down.
    const visitor = '3013416557';
    model.sight(visitor, at(10_000));
    model.sight(visitor, at(10_800));
    model.apply({ type: 'read', card: visitor, ...at(11_500) });
    expect(model.sessions.map((s) => s.card)).toEqual([CARD, visitor]);
  });

  it('a session from an earlier boot that a later boot ticked past its limit by the wall clock is closed, though the wall clock is then stepped back (seed 6, 120 days)', () => {
    const model = new SessionModel(rules, () => true);
    model.apply({ type: 'read', card: CARD, at: T0, mono: 5_000, boot: 2, staleBy: 0 });
    // Power was cut; the next boot ran its ticks to 7 minutes past the limit by the wall clock,
    // then NTP stepped that wall clock back an hour.
    model.ran(3, 60_000, T0 + 12 * HOUR_MS + 7 * 60_000);
    const now = { at: T0 + 11 * HOUR_MS + 59 * 60_000, mono: 3 * HOUR_MS, boot: 3, staleBy: 0 };
    expect(model.expect(model.sessions[0] as ModelSession, now, 0).status).toBe('auto');
    // A tick of the clock-in's own boot by the wall clock is not one: there the clock measures by
    // the monotonic clock.
    const fresh = new SessionModel(rules, () => true);
    fresh.apply({ type: 'read', card: CARD, at: T0, mono: 5_000, boot: 2, staleBy: 0 });
    fresh.ran(2, 5_000 + 11 * HOUR_MS, T0 + 13 * HOUR_MS);
    const same = { at: T0 + 11 * HOUR_MS, mono: 5_000 + 11 * HOUR_MS, boot: 2, staleBy: 0 };
    expect(fresh.expect(fresh.sessions[0] as ModelSession, same, 0).status).toBe('in');
  });
});
