/**
 * Restart recovery: the store's snapshot restores the core (open sessions,
 * guard memory, auto clock-outs that fell due while the clock was off), and
 * the built CLI carries on across `kill -9`, refusing a corrupt database, a
 * full disk and a read-only data directory without touching the data.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY, map, NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockSteps } from '../streams/clock';
import { commits, toCommit } from '../streams/commit';
import type { Refold } from '../streams/commands';
import type { ClockEvent, Output } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import { makeReducer, restoreState, sessionId, type ClockState } from '../streams/sessions';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { readBootId } from '../src/bootId';
import { Store } from '../src/drivers/store/store';
import { makeStoreDriver } from '../src/drivers/store/storeDriver';
import { Clock, killLeftoverClocks, logText, requireBuiltCli, runCli } from './support/runCli';
import {
  damagePage,
  filesIn,
  firstTapsLeafPage,
  HOUR,
  MINUTE,
  peek,
  people,
  player,
  read,
  tempDir,
  withoutFsync,
  booted,
} from './support/store-fixtures';
import { canRunAsOtherUser, mountTmpfs, tmpfsAvailable, unfill } from './support/store-tmpfs';

const T0 = Date.parse('2026-03-23T08:00:00Z');
/** The environment of every command here: no asking timedatectl. */
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };
const ALICE = 'A11CE000';
const BOB = 'B0B0B0B0';
const UTC = defaultRules('UTC');

/** Restarts the core on what the store holds at `now`: one reducer step per event after it. */
function restart(store: Store, now: number, rules: Rules = UTC) {
  const reduce = makeReducer(rules);
  let state: ClockState = restoreState(store.snapshot(now));
  return (event: ClockEvent): readonly Output[] => {
    const step = reduce(state, event);
    state = step.state;
    if (step.out.length > 0) store.commit(toCommit(step.out), event.at);
    return step.out;
  };
}

describe('restoring the core from the store', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir('restore');
    file = join(dir.path, 'badgeclock.db');
  });
  afterEach(() => {
    dir.remove();
  });

  /** Runs `before` on a store, closes it, opens it again as a restarted clock does. */
  function withRestart(before: (store: Store) => void): Store {
    const first = Store.open(file);
    before(first);
    first.close();
    return Store.open(file);
  }

  it('an open session carries on with its original clock-in time and session id', () => {
    const store = withRestart((s) => {
      player(s).play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE));
    });
    const step = restart(store, T0 + 3 * HOUR);
    const out = step(read(T0 + 3 * HOUR, ALICE));
    expect(out.map((o) => o.type)).toEqual(['tap', 'clock-out']);
    expect(out[1]).toMatchObject({
      session: sessionId(ALICE, T0),
      inAt: T0,
      at: T0 + 3 * HOUR,
      hours: 3,
      name: 'Alice',
    });
    expect(store.allSessions()).toEqual([
      expect.objectContaining({ id: sessionId(ALICE, T0), inAt: T0, outAt: T0 + 3 * HOUR }),
    ]);
    store.close();
  });

  it('a tap 30 s after a clock-in before the restart is still a double tap after it', () => {
    const store = withRestart((s) => {
      player(s).play(read(T0, ALICE));
    });
    const step = restart(store, T0 + 20_000);
    expect(step(read(T0 + 30_000, ALICE)).map((o) => o.type)).toEqual(['tap', 'ignored']);
    // The guard ends 60 s after the clock-in, as it would have without the restart.
    expect(step(read(T0 + 60_000, ALICE)).map((o) => o.type)).toEqual(['tap', 'clock-out']);
    store.close();
  });

  it('a tap 30 s after a clock-out before the restart is still a double tap after it', () => {
    const store = withRestart((s) => {
      player(s).play(read(T0, ALICE), read(T0 + HOUR, ALICE));
    });
    const step = restart(store, T0 + HOUR + 10_000);
    expect(step(read(T0 + HOUR + 30_000, ALICE))).toEqual([
      expect.objectContaining({ type: 'tap' }),
      expect.objectContaining({ type: 'ignored', reason: 'double-tap' }),
    ]);
    store.close();
  });

  it('an automatic clock-out before the restart does not start the guard', () => {
    const store = withRestart((s) => {
      const { play } = player(s);
      play(read(T0, ALICE));
      play({ type: 'minuteElapsed', at: T0 + 12 * HOUR });
    });
    const step = restart(store, T0 + 12 * HOUR + 10_000);
    expect(step(read(T0 + 12 * HOUR + 30_000, ALICE)).map((o) => o.type)).toEqual([
      'tap',
      'unknown',
      'clock-in',
    ]);
    store.close();
  });

  it("after a restart the clock-out's today total still counts the sessions closed before it", () => {
    const store = withRestart((s) => {
      player(s).play(read(T0, ALICE), read(T0 + 2 * HOUR, ALICE), read(T0 + 3 * HOUR, ALICE));
    });
    const out = restart(store, T0 + 4 * HOUR)(read(T0 + 4 * HOUR, ALICE));
    expect(out[1]).toMatchObject({ type: 'clock-out', hours: 1, todayHours: 3 });
    store.close();
  });

  it('an unknown card is listed once, even across a restart, and gets its name filled when People names it later', () => {
    const store = withRestart((s) => {
      player(s).play(read(T0, BOB), read(T0 + HOUR, BOB));
    });
    const step = restart(store, T0 + 2 * HOUR);
    expect(step(read(T0 + 2 * HOUR, BOB)).map((o) => o.type)).toEqual([
      'tap',
      'unknown',
      'clock-in',
    ]);
    expect(step(people(T0 + 3 * HOUR, [{ card: BOB, name: 'Bob' }]))).toEqual([
      { type: 'nameCard', at: T0 + 3 * HOUR, card: BOB, name: 'Bob' },
    ]);
    expect(store.allSessions().map((s) => s.name)).toEqual(['Bob', 'Bob']);
    expect(store.pending().filter((p) => p.entry.kind === 'card-listed')).toHaveLength(1);
    expect(store.pending().filter((p) => p.entry.kind === 'name-filled')).toHaveLength(1);
    // Named once: a later restart does not fill it again.
    const again = restart(store, T0 + 4 * HOUR);
    expect(again(people(T0 + 4 * HOUR, [{ card: BOB, name: 'Bob' }]))).toEqual([]);
    store.close();
  });

  it('a session that passed its daily cut-off while the clock was off is closed at the cut-off when it starts', () => {
    const berlin: Rules = { ...defaultRules('Europe/Berlin'), dailyCutoff: '18:00' };
    const inAt = Date.parse('2026-03-23T08:00:00+01:00');
    const store = withRestart((s) => {
      player(s, berlin).play(read(inAt, ALICE));
    });
    const startedAt = Date.parse('2026-03-24T07:00:00+01:00');
    const step = restart(store, startedAt, berlin);
    expect(step({ type: 'clockStarted', at: startedAt })).toEqual([
      expect.objectContaining({
        type: 'auto-out',
        at: Date.parse('2026-03-23T18:00:00+01:00'),
        reason: 'cutoff',
      }),
    ]);
    expect(store.allSessions()[0]).toMatchObject({
      status: 'auto',
      reason: 'cutoff',
      outAt: Date.parse('2026-03-23T18:00:00+01:00'),
    });
    store.close();
  });

  it('a stale clock at boot stepped forward more than 12 h by NTP: no bogus auto clock-out, the correction is stored, and after a restart the next tap clocks out', () => {
    const stale = Date.parse('2026-03-20T17:00:00Z');
    const real = T0;
    const store = withRestart((s) => {
      const { play } = player(s);
      play(
        people(stale, [{ card: ALICE, name: 'Alice' }]),
        { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
        { ...read(stale + 10_000, ALICE), mono: 10_000 },
        // NTP steps the clock forward 2.5 days; the next tick is a minute after the tap.
        { type: 'minuteElapsed', at: real, mono: 70_000 },
        { type: 'timeSyncChanged', at: real + MINUTE, synced: true, mono: 130_000 },
      );
    });
    expect(store.allSessions()).toEqual([
      expect.objectContaining({
        id: sessionId(ALICE, stale + 10_000),
        status: 'in',
        inAt: real + MINUTE - 120_000,
        outAt: null,
      }),
    ]);
    const step = restart(store, real + 5 * MINUTE);
    expect(step(read(real + 5 * MINUTE, ALICE))).toEqual([
      expect.objectContaining({ type: 'tap' }),
      expect.objectContaining({
        type: 'clock-out',
        session: sessionId(ALICE, stale + 10_000),
        inAt: real - MINUTE,
        hours: 6 / 60,
      }),
    ]);
    store.close();
  });

  /** The live clock's reducer committing each step with the boot id of its process. */
  const heldFor = (from: number, ms: number, card = ALICE) =>
    Array.from({ length: ms / 200 }, (_, i) => read(from + (i + 1) * 200, card));

  it('a card left on the reader while the clock restarts does not toggle its owner', () => {
    const store = withRestart((s) => {
      const play = booted(s, 'boot-1', T0);
      play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE), ...heldFor(T0, 90_000));
    });
    // Killed with the card on the reader; back 5 s later with the card still there, past the guard.
    const play = booted(store, 'boot-1', T0 + 95_000);
    const out = play(
      people(T0 + 95_000, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: T0 + 95_000 },
      ...heldFor(T0 + 95_000, 10_000),
    );
    expect(out.filter((o) => o.type !== 'keepSighting')).toEqual([]);
    expect(store.allSessions()).toEqual([expect.objectContaining({ status: 'in', inAt: T0 })]);
    store.close();
  });

  it('a card taken off the reader before others tapped is a new tap right after a restart', () => {
    const store = withRestart((s) => {
      const play = booted(s, 'boot-1', T0);
      play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE), ...heldFor(T0, 90_000));
      play(read(T0 + 120_000, BOB));
    });
    const play = booted(store, 'boot-1', T0 + 125_000);
    const out = play(
      people(T0 + 125_000, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: T0 + 125_000 },
      read(T0 + 126_000, ALICE),
    );
    expect(out.map((o) => o.type)).toEqual(['tap', 'clock-out']);
    store.close();
  });

  // Found by the simulation (seed 60001, --events 6): the last activity was the latest wall time,
  // and a tap before the wall clock stepped back outranked the held card's sightings after it.
  it('a card left on the reader after the wall clock stepped back does not toggle its owner', () => {
    const store = withRestart((s) => {
      const play = booted(s, 'boot-1', T0);
      play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, BOB));
      // The wall clock steps back an hour; Alice taps 30 minutes later and leaves her card.
      const back = T0 - 30 * MINUTE;
      play(read(back, ALICE), ...heldFor(back, 90_000));
    });
    const restartAt = T0 - 30 * MINUTE + 95_000;
    const play = booted(store, 'boot-1', restartAt);
    const out = play(
      people(restartAt, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: restartAt },
      ...heldFor(restartAt, 10_000),
    );
    expect(out.filter((o) => o.type !== 'keepSighting')).toEqual([]);
    expect(store.allSessions()).toContainEqual(
      expect.objectContaining({ card: ALICE, status: 'in', inAt: T0 - 30 * MINUTE }),
    );
    store.close();
  });

  // The same family as the held card: the guard's memory was the latest wall time.
  it('a double tap right after a restart is ignored, the wall clock stepped back before its clock-in', () => {
    const store = withRestart((s) => {
      const play = booted(s, 'boot-1', T0);
      play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE), read(T0 + HOUR, ALICE));
      // The wall clock steps back an hour; ten minutes later she clocks in again.
      play(read(T0 + 10 * MINUTE, ALICE));
    });
    const restartAt = T0 + 10 * MINUTE + 20_000;
    const play = booted(store, 'boot-1', restartAt);
    const out = play(
      people(restartAt, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: restartAt },
      read(restartAt + 10_000, ALICE),
    );
    expect(out.map((o) => o.type)).toEqual(['tap', 'ignored']);
    store.close();
  });

  // Found by an audit of the same family: the guard after a restart was on the wall clock only.
  it('a double tap after a restart in the same boot is ignored, the wall clock stepped back after the clock-in', () => {
    const store = withRestart((s) => {
      booted(
        s,
        'boot-1',
        T0,
      )(people(T0, [{ card: ALICE, name: 'Alice' }]), {
        ...read(T0, ALICE),
        mono: 1_000_000,
      });
    });
    // Stepped back an hour 5 s after her clock-in; killed, and back 10 s later.
    const restartAt = T0 - HOUR + 15_000;
    const play = booted(store, 'boot-1', restartAt);
    play(people(restartAt, [{ card: ALICE, name: 'Alice' }]), {
      type: 'clockStarted',
      at: restartAt,
      mono: 1_015_000,
    });
    const out = play({ ...read(T0 - HOUR + 25_000, ALICE), mono: 1_025_000 });
    expect(out.map((o) => o.type)).toEqual(['tap', 'ignored']);
    store.close();
  });

  it('a double tap after a restart in the same boot is ignored, NTP having stepped a stale clock forward after the clock-in', () => {
    const stale = Date.parse('2026-03-20T17:00:00Z');
    const store = withRestart((s) => {
      booted(s, 'boot-1', stale)(
        people(stale, [{ card: ALICE, name: 'Alice' }]),
        { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
        { ...read(stale + 10_000, ALICE), mono: 10_000 },
      );
    });
    // NTP steps the clock forward 2.5 days; killed before the sync was polled; back at once.
    const play = booted(store, 'boot-1', T0);
    play(
      people(T0, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: T0, mono: 20_000 },
      { type: 'timeSyncChanged', at: T0 + 1_000, synced: true, mono: 21_000 },
    );
    const out = play({ ...read(T0 + 20_000, ALICE), mono: 40_000 });
    expect(out.map((o) => o.type)).toEqual(['tap', 'ignored']);
    store.close();
  });

  it('a double tap right after a restart is ignored, a refold having stored an earlier session after the clock-in', () => {
    const store = withRestart((s) => {
      const play = booted(s, 'boot-1', T0);
      play(people(T0, [{ card: ALICE, name: 'Alice' }]), { ...read(T0, ALICE), mono: 1_000_000 });
      // Seconds later another door's backlog comes: Alice in and out there two hours before.
      for (const [seq, at] of [
        [1, T0 - 2 * HOUR],
        [2, T0 - HOUR],
      ] as const) {
        const id = `front:${seq}`;
        s.addToInbox({ id, door: 'front', seq, card: ALICE, reader: 'front', at }, T0 + 5_000);
        const refold = play({ ...read(at, ALICE, 'front'), origin: id }).find(
          (o): o is Refold => o.type === 'refold',
        );
        if (refold !== undefined)
          play(s.refoldHistory(refold.card, refold.at, 'door', T0 + 5_000, refold.ids));
      }
      expect(s.allSessions().filter((x) => x.status === 'in')).toHaveLength(1);
    });
    // Killed; back 20 s after her clock-in; she taps again 30 s after it.
    const play = booted(store, 'boot-1', T0 + 20_000);
    play(people(T0 + 20_000, [{ card: ALICE, name: 'Alice' }]), {
      type: 'clockStarted',
      at: T0 + 20_000,
      mono: 1_020_000,
    });
    const out = play({ ...read(T0 + 30_000, ALICE), mono: 1_030_000 });
    expect(out.map((o) => o.type)).toEqual(['tap', 'ignored']);
    store.close();
  });

  it('a card taken off the reader before the wall clock stepped back is a new tap after a restart', () => {
    const store = withRestart((s) => {
      const play = booted(s, 'boot-1', T0);
      play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE), ...heldFor(T0, 90_000));
      // Taken off; the wall clock steps back a minute, and Bob taps after it.
      play(read(T0 + 60_000, BOB));
    });
    const restartAt = T0 + 70_000;
    const play = booted(store, 'boot-1', restartAt);
    const out = play(
      people(restartAt, [{ card: ALICE, name: 'Alice' }]),
      { type: 'clockStarted', at: restartAt },
      read(restartAt + 1_000, ALICE),
    );
    expect(out.map((o) => o.type)).toEqual(['tap', 'clock-out']);
    store.close();
  });

  describe('sessions taken on an unsynchronised clock', () => {
    const stale = Date.parse('2026-03-20T17:00:00Z');
    const real = T0;
    /** Alice in and out, Bob in, all before NTP; then the clock is killed. */
    function beforeSync(s: Store): void {
      booted(s, 'boot-1', stale)(
        people(stale, [
          { card: ALICE, name: 'Alice' },
          { card: BOB, name: 'Bob' },
        ]),
        { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
        { ...read(stale + 10_000, ALICE), mono: 10_000 },
        { ...read(stale + 20_000, BOB), mono: 20_000 },
        { ...read(stale + HOUR, ALICE), mono: HOUR },
      );
    }

    it('are still corrected when the clock synchronises after a restart within the same boot', () => {
      const store = withRestart(beforeSync);
      const play = booted(store, 'boot-1', real);
      // NTP stepped the clock while the clock was down: the start and its first tick are 2.5 days on.
      const started = play(
        { type: 'clockStarted', at: real, mono: 2 * HOUR },
        { type: 'minuteElapsed', at: real + MINUTE, mono: 2 * HOUR + MINUTE },
      );
      expect(started).toEqual([]);
      const out = play({
        type: 'timeSyncChanged',
        at: real + 2 * MINUTE,
        synced: true,
        mono: 2 * HOUR + 2 * MINUTE,
      });
      const at = (mono: number) => real + 2 * MINUTE - (2 * HOUR + 2 * MINUTE - mono);
      expect(out).toEqual([
        {
          type: 'correctTimes',
          at: real + 2 * MINUTE,
          sessions: [
            {
              session: sessionId(ALICE, stale + 10_000),
              card: ALICE,
              inAt: at(10_000),
              outAt: at(HOUR),
            },
            { session: sessionId(BOB, stale + 20_000), card: BOB, inAt: at(20_000), outAt: null },
          ],
        },
      ]);
      expect(store.allSessions().map((s) => [s.card, s.inAt, s.outAt, s.status])).toEqual([
        [ALICE, at(10_000), at(HOUR), 'out'],
        [BOB, at(20_000), null, 'in'],
      ]);
      store.close();
    });

    it('are left as they are after a reboot: monotonic times of another boot mean nothing', () => {
      const store = withRestart(beforeSync);
      const play = booted(store, 'boot-2', real);
      play({ type: 'clockStarted', at: real, mono: 5_000 });
      expect(
        play({ type: 'timeSyncChanged', at: real + MINUTE, synced: true, mono: 65_000 }),
      ).toEqual([]);
      expect(store.allSessions().map((s) => s.inAt)).toEqual([stale + 10_000, stale + 20_000]);
      store.close();
    });
  });

  describe('in virtual time', () => {
    let scheduler: TestScheduler;
    beforeEach(() => {
      scheduler = new TestScheduler((actual, expected) => {
        expect(actual).toEqual(expected);
      });
    });

    it('a session that passed its 12 h limit while the clock was off is closed at the limit, not at restart time', () => {
      const store = withRestart((s) => {
        player(s).play(read(T0, ALICE), read(T0 + 10 * HOUR, BOB));
      });
      const restartAt = T0 + 20 * HOUR;
      const when = (ms: number) => new Date(ms).toISOString();
      scheduler.run(({ expectObservable }) => {
        const clockScheduler = shiftedScheduler(scheduler, restartAt);
        const steps$ = clockSteps(
          { reads$: NEVER, directory$: EMPTY },
          UTC,
          clockScheduler,
          restoreState(store.snapshot(clockScheduler.now())),
        );
        const committed$: Observable<string[]> = makeStoreDriver(store, () => clockScheduler.now())
          .commit(steps$.pipe(commits()))
          .pipe(
            map((commit) =>
              commit.events.map((e) => `${e.type} ${'card' in e ? e.card : '-'} ${when(e.at)}`),
            ),
          );
        // Alice is closed at once, at her limit; Bob by the minute tick at his, 2 h later.
        expectObservable(committed$, '^ 180m !').toBe('a 7199999ms b', {
          a: [`auto-out ${ALICE} ${when(T0 + 12 * HOUR)}`],
          b: [`auto-out ${BOB} ${when(T0 + 22 * HOUR)}`],
        });
      });
      expect(store.allSessions().map((s) => [s.card, s.status, s.reason, s.outAt])).toEqual([
        [ALICE, 'auto', 'limit', T0 + 12 * HOUR],
        [BOB, 'auto', 'limit', T0 + 22 * HOUR],
      ]);
      expect(store.pending().map((p) => [p.entry.key, p.createdAt])).toEqual(
        expect.arrayContaining([
          [`close:${sessionId(ALICE, T0)}`, restartAt],
          [`close:${sessionId(BOB, T0 + 10 * HOUR)}`, T0 + 22 * HOUR],
        ]),
      );
      store.close();
    });
  });
});

describe('the boot id monotonic times are kept with', () => {
  it("is the kernel's id of this boot, read again the same; without one, a new id each time", () => {
    const dir = tempDir('boot');
    try {
      const file = join(dir.path, 'boot_id');
      writeFileSync(file, '6f1c0d3e-8a51-4b0e-9a3c-2f5c1e7d9b40\n');
      expect(readBootId(file)).toBe('6f1c0d3e-8a51-4b0e-9a3c-2f5c1e7d9b40');
      expect(readBootId(file)).toBe(readBootId(file));
      const missing = join(dir.path, 'none');
      expect(readBootId(missing)).not.toBe(readBootId(missing));
    } finally {
      dir.remove();
    }
  });
});

describe('the clock as a process across restarts', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let file: string;
  let peopleFile: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('restart');
    data = join(dir.path, 'data');
    file = join(data, 'badgeclock.db');
    peopleFile = join(dir.path, 'people.csv');
    writeFileSync(peopleFile, `card,name\n${ALICE},Alice\n${BOB},Bob\n`);
  });
  afterEach(async () => {
    await killLeftoverClocks();
    dir.remove();
  });
  const args = (): string[] => ['--data-dir', data, '--people-file', peopleFile, '--tz', 'UTC'];
  const quick = { ...QUIET, BADGECLOCK_DEBOUNCE_SECONDS: '0' };

  it('carries on after kill -9: the clock-in before is guarded and then closed by a clock-out after, one session with the original in time', async () => {
    const first = new Clock(['run', ...args()], { env: quick });
    await first.started();
    first.write(`${ALICE}\n`);
    await first.waitFor((c) => c.lines().some((l) => / Alice {2}in$/.test(l)));
    await first.stop('SIGKILL');

    // Restarted at once: the guard remembers the clock-in.
    const second = new Clock(['run', ...args()], { env: quick });
    await second.started();
    second.write(`${ALICE}\n`);
    await second.waitFor((c) => c.lines().some((l) => / Alice {2}ignored double tap$/.test(l)));
    await second.stop('SIGKILL');

    const third = new Clock(['run', ...args()], {
      env: { ...quick, BADGECLOCK_GUARD_SECONDS: '0' },
    });
    await third.started();
    third.write(`${ALICE}\n`);
    await third.waitFor((c) => c.lines().some((l) => / Alice {2}out {2}0h 00m/.test(l)));
    expect(await third.stop('SIGTERM')).toBe(0);

    peek(file, (db) => {
      const taps = db
        .prepare<[], { at: number; outcome: string; session: string | null }>(
          'SELECT at, outcome, session FROM taps ORDER BY id',
        )
        .all();
      expect(taps.map((t) => t.outcome)).toEqual(['clock-in', 'ignored', 'clock-out']);
      const sessions = db
        .prepare<[], { id: string; in_at: number; out_at: number; status: string }>(
          'SELECT id, in_at, out_at, status FROM sessions',
        )
        .all();
      expect(sessions).toEqual([
        {
          id: sessionId(ALICE, taps[0]?.at ?? 0),
          in_at: taps[0]?.at,
          out_at: taps[2]?.at,
          status: 'out',
        },
      ]);
      expect(taps[2]?.session).toBe(sessions[0]?.id);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    });
  });

  it('closes a session that passed its limit while the clock was off at the limit, as soon as it starts', async () => {
    const inAt = Math.floor((Date.now() - 13 * HOUR) / MINUTE) * MINUTE;
    const store = Store.open(file);
    player(store).play(people(inAt, [{ card: ALICE, name: 'Alice' }]), read(inAt, ALICE));
    store.close();
    const clock = new Clock(['run', ...args()], { env: QUIET });
    await clock.started();
    const limit = new Date(inAt + 12 * HOUR).toISOString().slice(11, 16);
    await clock.waitFor((c) =>
      c
        .lines()
        .includes(
          `⏱ ${limit}  Alice  out automatically at the time limit  12h 00m (forgot to clock out?)`,
        ),
    );
    // A tap after it: the clock carries on (and has its signal handlers by now).
    clock.write(`${BOB}\n`);
    await clock.waitFor((c) => c.lines().some((l) => / Bob {2}in$/.test(l)));
    expect(await clock.stop('SIGTERM')).toBe(0);
    const after = Store.open(file, { readonly: true });
    expect(after.allSessions()[0]).toEqual(
      expect.objectContaining({
        card: ALICE,
        inAt,
        outAt: inAt + 12 * HOUR,
        status: 'auto',
        reason: 'limit',
      }),
    );
    expect(after.pending().map((p) => p.entry)).toContainEqual(
      expect.objectContaining({
        kind: 'session-closed',
        status: 'auto',
        outAt: inAt + 12 * HOUR,
      }),
    );
    after.close();
  });

  /** A store with some history, closed cleanly, and the page a damage should hit. */
  function seedHistory(): number {
    const store = withoutFsync(Store.open(file));
    const { play } = player(store);
    for (let day = 0; day < 200; day++) {
      play(read(T0 + day * 24 * HOUR, ALICE), read(T0 + day * 24 * HOUR + 8 * HOUR, ALICE));
    }
    store.close();
    return firstTapsLeafPage(file);
  }

  it('refuses to run on a corrupt database: exit 1, a message naming the file, the file unchanged', async () => {
    const page = seedHistory();
    writeFileSync(file, damagePage(readFileSync(file), page));
    const before = filesIn(data);
    const result = await runCli(['run', ...args()], { env: QUIET });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toMatch(
      new RegExp(
        `database ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed its integrity check`,
      ),
    );
    expect(logText(result.stderr)).toContain('Restore it from a backup');
    expect(filesIn(data)).toEqual(before);
  });

  // The refused database is checked on a read-only connection first, so the WAL a killed clock
  // left behind is never folded into the damaged file. Only the -shm (the WAL's index, rebuilt by
  // any reader after a crash, no data in it) may change.
  it('refuses to run on a corrupt database left with a WAL by kill -9, without folding the WAL into it', async () => {
    const page = seedHistory();
    const clock = new Clock(['run', ...args()], { env: quick });
    await clock.started();
    clock.write(`${BOB}\n`);
    await clock.waitFor((c) => c.lines().some((l) => / Bob {2}in$/.test(l)));
    await clock.stop('SIGKILL');
    writeFileSync(file, damagePage(readFileSync(file), page));
    // The lock the killed clock left is taken over, then released by the refused start: not data.
    const dataFiles = (): Record<string, string> =>
      Object.fromEntries(
        Object.entries(filesIn(data)).filter(([name]) => name !== 'badgeclock.lock'),
      );
    const before = dataFiles();
    expect(Object.keys(before)).toContain('badgeclock.db-wal');
    const result = await runCli(['run', ...args()], { env: QUIET });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(file);
    const withoutShm = (files: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(files).filter(([name]) => !name.endsWith('-shm')));
    const after = dataFiles();
    const expected = withoutShm(before);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(withoutShm(after)).toEqual(expected);
  });

  (tmpfsAvailable() ? describe : describe.skip)(
    'on a real small file system (needs root to mount a tmpfs)',
    () => {
      let mount: NonNullable<ReturnType<typeof mountTmpfs>>;
      beforeEach(() => {
        mkdirSync(join(dir.path, 'mnt'));
        const mounted = mountTmpfs(join(dir.path, 'mnt'), 512);
        if (mounted === null) throw new Error('could not mount a tmpfs');
        mount = mounted;
        data = join(mount.path, 'data');
        file = join(data, 'badgeclock.db');
      });
      afterEach(async () => {
        await killLeftoverClocks();
        mount.unmount();
      });

      it('a full disk stops the clock with exit 1 naming the file; the tap it could not keep got no feedback; with space again it carries on', async () => {
        const clock = new Clock(['run', ...args()], { env: quick });
        await clock.started();
        clock.write(`${ALICE}\n`);
        await clock.waitFor((c) => c.lines().some((l) => / Alice {2}in$/.test(l)));
        mount.fill();
        clock.write(`${BOB}\n`);
        expect(await clock.exited()).toBe(1);
        expect(logText(clock.stderr)).toContain(
          `the disk holding ${file} is full (database or disk is full). Free some space; no accepted tap was lost.`,
        );
        expect(clock.lines().some((l) => l.includes('Bob'))).toBe(false);
        unfill(mount);
        const again = new Clock(['run', ...args()], {
          env: { ...quick, BADGECLOCK_GUARD_SECONDS: '0' },
        });
        await again.started();
        again.write(`${ALICE}\n`);
        await again.waitFor((c) => c.lines().some((l) => / Alice {2}out /.test(l)));
        expect(await again.stop('SIGTERM')).toBe(0);
        const store = Store.open(file, { readonly: true });
        expect(store.allSessions().map((s) => [s.card, s.status])).toEqual([[ALICE, 'out']]);
        expect(store.integrityCheck()).toBe('ok');
        store.close();
      });

      it('a read-only data directory is refused at start with what to do, and nothing in it changes', async () => {
        const store = Store.open(file);
        player(store).play(read(T0, ALICE));
        store.close();
        mount.remountReadOnly();
        const before = filesIn(data);
        const result = await runCli(['run', ...args()], { env: QUIET });
        expect(result.code).toBe(1);
        expect(logText(result.stderr)).toContain(
          `data directory ${data} is not writable (EROFS: read-only file system`,
        );
        expect(logText(result.stderr)).toContain('set BADGECLOCK_DATA_DIR to a writable directory');
        expect(filesIn(data)).toEqual(before);
      });
    },
  );

  // BUG: status and report open the store read-only, but SQLite needs to create the WAL
  // index (-shm) beside a WAL database, so a user who may read the database but not write
  // its directory gets "database …: attempt to write a readonly database"
  // (SQLITE_READONLY_DIRECTORY, which explain() in store.ts does not recognise either).
  (canRunAsOtherUser() ? it.failing : it.skip)(
    'status and report work for a user who may read the database but not write its directory',
    async () => {
      const store = Store.open(file);
      player(store).play(read(T0, ALICE));
      store.close();
      // Readable by everyone, writable by root only: a service user's data as the manager sees it.
      chmodSync(dir.path, 0o755);
      chmodSync(data, 0o755);
      chmodSync(file, 0o644);
      const status = await runCli(['status', '--data-dir', data], { env: QUIET, user: 'nobody' });
      expect(logText(status.stderr)).toBe('');
      expect(status.stdout).toContain('Open sessions: 1');
      const report = await runCli(
        ['report', '--data-dir', data, '--from', '2026-03-23', '--to', '2026-03-23'],
        { env: QUIET, user: 'nobody' },
      );
      expect(report.code).toBe(0);
    },
  );
});
