/**
 * Decisions a clock takes before NTP has set its wall clock (a Pi boots with
 * the time of its last shutdown): none of them may stay wrong once the clock
 * is synchronised. A real store on a temporary SQLite file and the one
 * reducer, one step per event, each committed with its boot.
 */
import { join } from 'node:path';
import type { ClockEvent } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import { closeAtOf } from '../src/commands/common';
import { loadConfig } from '../src/config';
import { judged } from '../src/drivers/store/fixRequests';
import { Store } from '../src/drivers/store/store';
import { booted, MINUTE, people, read, tempDir } from './support/store-fixtures';

const ALICE = 'A11CE000';
const UTC = defaultRules('UTC');
const HOUR_MS = 60 * MINUTE;

describe('a clock before NTP', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('stale-clock');
    store = Store.open(join(dir.path, 'badgeclock.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  // Alice in on Monday at 08:00 on a synchronised clock; the power fails at 09:00 and the Pi
  // boots with that time on Tuesday at 10:00.
  const inAt = Date.parse('2026-03-23T08:00:00Z');
  const cutAt = Date.parse('2026-03-23T09:00:00Z');
  const realBoot = Date.parse('2026-03-24T10:00:00Z');
  const aliceInOnMonday = (): void => {
    booted(
      store,
      'boot-1',
      inAt,
    )(people(inAt, [{ card: ALICE, name: 'Alice' }]), {
      ...read(inAt, ALICE),
      mono: 1_000,
    });
  };

  it('a tap after a reboot that closed a session past its limit, by the true time, leaves it closed `auto` at its limit', () => {
    aliceInOnMonday();
    const play = booted(store, 'boot-2', cutAt);
    play(
      people(cutAt, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: cutAt, mono: 20_000 },
      { type: 'timeSyncChanged', at: cutAt + 1_000, synced: false, mono: 21_000 },
    );
    // Alice arrives on Tuesday 10:05; the stale clock says Monday 09:05: 1 h 05 after her clock-in.
    const tap = play({ ...read(cutAt + 5 * MINUTE, ALICE), mono: 5 * MINUTE + 20_000 });
    expect(tap.map((o) => o.type)).toEqual(['tap', 'clock-out']);
    // NTP, Tuesday 10:10: that clock-out was 26 h 05 after the clock-in, past the 12 h limit.
    const synced = play({
      type: 'timeSyncChanged',
      at: realBoot + 10 * MINUTE,
      synced: true,
      mono: 10 * MINUTE + 20_000,
    });
    expect(synced.filter((o) => o.type === 'auto-out')).toMatchObject([
      { session: sessionId(ALICE, inAt), name: 'Alice', at: inAt + 12 * HOUR_MS, reason: 'limit' },
    ]);
    // The session stops at its limit (rule 4); the tap stays the clock-out Alice was told of, so
    // her next tap clocks her in.
    expect(store.allSessions().map((s) => [s.inAt, s.outAt, s.status])).toEqual([
      [inAt, inAt + 12 * HOUR_MS, 'auto'],
    ]);
    // The sheet's row is closed again: Out at the limit, `auto`.
    const closes = store
      .pending()
      .map((p) => p.entry)
      .filter((e) => e.kind === 'session-closed');
    expect(closes.map((e) => [e.outAt, e.status])).toEqual([
      [cutAt + 5 * MINUTE, 'out'],
      [inAt + 12 * HOUR_MS, 'auto'],
    ]);
    const next = play({ ...read(realBoot + 11 * MINUTE, ALICE), mono: 11 * MINUTE + 20_000 });
    expect(next.map((o) => o.type)).toEqual(['tap', 'clock-in']);
  });

  it('the same across a restart of the clock before NTP, in the same boot', () => {
    aliceInOnMonday();
    booted(store, 'boot-2', cutAt)(
      people(cutAt, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: cutAt, mono: 20_000 },
      { type: 'timeSyncChanged', at: cutAt + 1_000, synced: false, mono: 21_000 },
      { ...read(cutAt + 5 * MINUTE, ALICE), mono: 5 * MINUTE + 20_000 },
    );
    // Killed, and started again in the same boot, still before NTP.
    const play = booted(store, 'boot-2', cutAt + 6 * MINUTE);
    play(
      people(cutAt + 6 * MINUTE, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: cutAt + 6 * MINUTE, mono: 6 * MINUTE + 20_000 },
      { type: 'timeSyncChanged', at: cutAt + 6 * MINUTE, synced: false, mono: 6 * MINUTE + 20_000 },
    );
    play({
      type: 'timeSyncChanged',
      at: realBoot + 10 * MINUTE,
      synced: true,
      mono: 10 * MINUTE + 20_000,
    });
    expect(store.allSessions().map((s) => [s.inAt, s.outAt, s.status])).toEqual([
      [inAt, inAt + 12 * HOUR_MS, 'auto'],
    ]);
  });

  it('a correction of such a clock-in on the stale clock is judged without the cut-off too', () => {
    // Found by a review: the judge closed the session at the stale 23:00 cut-off, the clock at
    // in + 12 h, a time still to come (and Alice's next tap then clocked her in).
    const rules: Rules = { ...UTC, dailyCutoff: '23:00' };
    const t0 = Date.parse('2026-03-23T22:00:00Z'); // the stale wall clock at boot
    const play = booted(store, 'boot-1', t0, rules);
    play(
      people(t0, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: t0, mono: 0 },
      { type: 'timeSyncChanged', at: t0, synced: false, mono: 0 },
    );
    const inAt = t0 + 30 * MINUTE;
    play({ ...read(inAt, ALICE), mono: 30 * MINUTE });
    const now = t0 + 90 * MINUTE; // 23:30 by the stale clock
    expect(play({ type: 'minuteElapsed', at: now, mono: 90 * MINUTE })).toEqual([]);
    const verdict = judged(
      store,
      { session: sessionId(ALICE, inAt), inAt: inAt - 15 * MINUTE },
      { now, rules, source: 'fix', why: null },
    );
    expect(verdict).toMatchObject({ applied: true, status: 'in', closes: false });
    const out = play(verdict);
    expect(out.filter((o) => o.type === 'auto-out')).toEqual([]);
    expect(store.allSessions().map((s) => [s.status, s.outAt])).toEqual([['in', null]]);
  });

  it('does not close a clock-in at the daily cut-off of its stale day', () => {
    // A 16 h limit: a clock-in at 07:01 reaches the cut-off first.
    const rules: Rules = { ...UTC, dailyCutoff: '23:00', limitMs: 16 * HOUR_MS };
    // The power failed Monday 22:50; the Pi boots Tuesday 07:00 with its clock at Monday 22:50.
    const stale = Date.parse('2026-03-23T22:50:00Z');
    const real = Date.parse('2026-03-24T07:00:00Z');
    const play = booted(store, 'boot-2', stale, rules);
    play(
      people(stale, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: stale, mono: 0 },
      { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
    );
    // Alice clocks in at 07:01 (the stale clock: 22:51); NTP comes at 07:15.
    play({ ...read(stale + MINUTE, ALICE), mono: MINUTE });
    const ticks = play(
      ...Array.from({ length: 13 }, (_, i): ClockEvent => {
        const mono = (i + 2) * MINUTE;
        return { type: 'minuteElapsed', at: stale + mono, mono };
      }),
    );
    expect(ticks.filter((o) => o.type === 'auto-out')).toEqual([]);
    play({ type: 'timeSyncChanged', at: real + 15 * MINUTE, synced: true, mono: 15 * MINUTE });
    expect(store.allSessions().map((s) => [s.id, s.inAt, s.outAt, s.status])).toEqual([
      [sessionId(ALICE, stale + MINUTE), real + MINUTE, null, 'in'],
    ]);
    // Synchronised, her session has Tuesday's cut-off.
    const evening = play({
      type: 'minuteElapsed',
      at: Date.parse('2026-03-24T23:00:00Z'),
      mono: 16 * HOUR_MS + MINUTE,
    });
    expect(evening.filter((o) => o.type === 'auto-out')).toMatchObject([
      { reason: 'cutoff', at: Date.parse('2026-03-24T23:00:00Z') },
    ]);
  });

  it("counts a session the sync moved onto today in the day's total told at the next clock-out", () => {
    // The Pi boots Tuesday 07:00 with its clock at Monday 22:50 (the power failed then).
    const stale = Date.parse('2026-03-23T22:50:00Z');
    const real = Date.parse('2026-03-24T07:00:00Z');
    const play = booted(store, 'boot-2', stale);
    play(
      people(stale, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: stale, mono: 0 },
      { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
    );
    // Alice works 07:01-08:01 on the stale clock (Monday 22:51-23:51); NTP comes at 08:15.
    play({ ...read(stale + MINUTE, ALICE), mono: MINUTE });
    play({ ...read(stale + HOUR_MS + MINUTE, ALICE), mono: HOUR_MS + MINUTE });
    play({
      type: 'timeSyncChanged',
      at: real + HOUR_MS + 15 * MINUTE,
      synced: true,
      mono: HOUR_MS + 15 * MINUTE,
    });
    // She works 09:00-10:00 too: two hours on Tuesday, as the store and the sheet have it.
    const nine = Date.parse('2026-03-24T09:00:00Z');
    play({ ...read(nine, ALICE), mono: 2 * HOUR_MS });
    const out = play({ ...read(nine + HOUR_MS, ALICE), mono: 3 * HOUR_MS });
    expect(out.filter((o) => o.type === 'clock-out')).toMatchObject([
      { hours: 1, todayHours: 2, weekHours: 2 },
    ]);
  });

  it('`status` and `report` close such a clock-in as the clock will: at its limit, no cut-off', () => {
    const loaded = loadConfig({
      env: { BADGECLOCK_DAILY_CUTOFF: '23:00', BADGECLOCK_TZ: 'UTC' },
      cwd: dir.path,
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const stale = Date.parse('2026-03-23T22:50:00Z');
    booted(store, 'boot-2', stale)(
      people(stale, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: stale, mono: 0 },
      { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
      { ...read(stale + MINUTE, ALICE), mono: MINUTE },
    );
    const [open] = store.openSessions();
    if (open === undefined) throw new Error('no open session');
    expect(closeAtOf(loaded.config)(open)).toBe(stale + MINUTE + 12 * HOUR_MS);
    // Once corrected, its day is known and so is its cut-off.
    const { unsynced, ...corrected } = open;
    expect(unsynced).toBe(true);
    expect(closeAtOf(loaded.config)(corrected)).toBe(Date.parse('2026-03-23T23:00:00Z'));
  });
});
