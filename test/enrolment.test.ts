/**
 * Enrolment at the reader (rule 14) in the reducer and the store: what it
 * keeps, and what a restart and People's next read make of it. The mode's
 * steps in time are the marble tests' (marbles/enrolment.test.ts).
 */
import { join } from 'node:path';
import { Store } from '../src/drivers/store/store';
import type { ClockEvent, Output } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import { initialState, makeReducer, restoreState, type ClockState } from '../streams/sessions';
import { booted, peek, people, player, read, tempDir } from './support/store-fixtures';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const SECOND = 1_000;
const ADMIN = 'AD000001';
const ALICE = 'A11CE000';
const NEW = '04112233445566';
const OTHER = '04AABBCCDDEEFF';
const DECIMAL = '0012345678';
const rules: Rules = { ...defaultRules('UTC'), adminCards: [ADMIN] };
const staff = people(T0, [{ card: ALICE, name: 'Alice' }]);

/** Folds the events, returning the last state and every output. */
function fold(events: readonly ClockEvent[], start: ClockState = initialState, with_ = rules) {
  const reduce = makeReducer(with_);
  let state = start;
  const out: Output[] = [];
  for (const event of events) {
    const step = reduce(state, event);
    state = step.state;
    out.push(...step.out);
  }
  return { state, out };
}

const kinds = (out: readonly Output[]) =>
  out.map((o) => (o.type === 'enrol' ? `enrol:${o.step}` : o.type));

describe('enrolment at the reader, in the reducer', () => {
  it('an admin card from the config opens enrolment and never clocks: the admin card again closes it', () => {
    const { out } = fold([staff, read(T0, ADMIN), read(T0 + 10 * SECOND, ADMIN)]);
    expect(kinds(out)).toEqual(['tap', 'enrol:opened', 'tap', 'enrol:closed']);
  });

  it('People can mark an admin card (`admin` in Active)', () => {
    const marked = people(T0, [
      { card: ALICE, name: 'Alice' },
      { card: 'AD000002', name: 'Site manager', admin: true },
    ]);
    const { out } = fold([marked, read(T0, 'AD000002')], initialState, defaultRules('UTC'));
    expect(kinds(out)).toEqual(['tap', 'enrol:opened']);
  });

  it('an admin card from the config read by an alias People gives it opens enrolment, never clocks', () => {
    // The config lists the badge's chip id; People lists the badge with its wedge decimal form.
    const listed = people(T0, [
      { card: ALICE, name: 'Alice' },
      { card: ADMIN, name: 'Manager', aliases: [DECIMAL] },
    ]);
    expect(kinds(fold([listed, read(T0, DECIMAL)]).out)).toEqual(['tap', 'enrol:opened']);
    // And the other way round: the config lists the decimal form, the chip reads the hex id.
    const byDecimal: Rules = { ...rules, adminCards: [DECIMAL] };
    expect(kinds(fold([listed, read(T0, ADMIN)], initialState, byDecimal).out)).toEqual([
      'tap',
      'enrol:opened',
    ]);
  });

  it("another door's admin tap opens enrolment at that door's reader, not at this door's reader of the same name", () => {
    // Found by an audit: the mode was kept by the bare reader name, which defaults to the host's
    // name on every door.
    const remote = { ...read(T0, ADMIN, 'raspberrypi'), origin: 'front:1' };
    const { out } = fold([staff, remote, read(T0 + 5 * SECOND, ALICE, 'raspberrypi')]);
    expect(kinds(out)).toEqual(['tap', 'enrol:opened', 'tap', 'clock-in']);
  });

  it('placeholders count on from every card listed here and every `New N` People has', () => {
    const withNew5 = people(T0, [
      { card: ALICE, name: 'Alice' },
      { card: OTHER, name: 'New 5' },
    ]);
    const { out } = fold([withNew5, read(T0, ADMIN), read(T0 + 5 * SECOND, NEW)]);
    expect(out).toContainEqual(
      expect.objectContaining({ type: 'listCard', card: NEW, name: 'New 6' }),
    );
  });

  it('a card that was tapped on its own before (listed blank) is not tied to a person: the manager does it in People', () => {
    const { out } = fold([
      staff,
      read(T0, NEW),
      read(T0 + 2 * 60 * SECOND, ADMIN),
      read(T0 + 2 * 60 * SECOND + 5 * SECOND, ALICE),
      read(T0 + 2 * 60 * SECOND + 10 * SECOND, NEW),
    ]);
    expect(out.at(-1)).toEqual(
      expect.objectContaining({
        type: 'enrol',
        step: 'refused',
        card: NEW,
        reason: `card ${NEW} has been used on its own; add it to Alice's aliases in People by hand`,
      }),
    );
    expect(out.some((o) => o.type === 'addAlias')).toBe(false);
  });

  it('the mode lasts 30 s of monotonic time, whatever the wall clock does meanwhile', () => {
    const at = (wall: number, mono: number) => ({ ...read(wall, NEW), mono });
    const { out } = fold([
      staff,
      { ...read(T0, ADMIN), mono: 1_000 },
      // The wall clock is stepped back an hour: 20 s later by the monotonic clock, still open.
      at(T0 - 3_600_000 + 20 * SECOND, 21_000),
    ]);
    expect(kinds(out).slice(-3)).toEqual(['tap', 'enrol:listed', 'listCard']);
  });

  it('under `reject`, a card listed at the reader is unknown until the manager names it: its placeholder is no name', () => {
    const reject: Rules = { ...rules, unknownCards: 'reject' };
    const enrolled = fold(
      [staff, read(T0, ADMIN), read(T0 + 5 * SECOND, NEW), read(T0 + 2 * 60 * SECOND, NEW)],
      initialState,
      reject,
    );
    expect(kinds(enrolled.out).slice(-2)).toEqual(['tap', 'unknown']);
    expect(enrolled.out.at(-1)).toMatchObject({ card: NEW, policy: 'reject' });
    // People shows it under its placeholder: still not named.
    const shown = fold(
      [
        people(T0 + 3 * 60 * SECOND, [
          { card: ALICE, name: 'Alice' },
          { card: NEW, name: 'New 1' },
        ]),
        read(T0 + 4 * 60 * SECOND, NEW),
      ],
      enrolled.state,
      reject,
    );
    expect(kinds(shown.out)).toEqual(['enrolmentSeen', 'tap', 'unknown']);
    // The manager names it: it clocks in.
    const named = fold(
      [
        people(T0 + 5 * 60 * SECOND, [
          { card: ALICE, name: 'Alice' },
          { card: NEW, name: 'Carol' },
        ]),
        read(T0 + 6 * 60 * SECOND, NEW),
      ],
      shown.state,
      reject,
    );
    expect(named.out.at(-1)).toMatchObject({ type: 'clock-in', card: NEW, name: 'Carol' });
  });

  it('a card with a random UID gets the unknown-card feedback with the reason, and is neither listed nor a reader fault', () => {
    const reason = 'card 08A1B2C3 has a random UID';
    const { state, out } = fold([
      staff,
      { type: 'readRejected', at: T0, reader: 'door', reason, card: '08A1B2C3' },
    ]);
    expect(out).toEqual([
      {
        type: 'unknown',
        at: T0,
        card: '08A1B2C3',
        name: null,
        policy: 'reject',
        reader: 'door',
        reason,
      },
    ]);
    expect(state.readerFault).toBeNull();
  });

  it('People showing the enrolment makes it People’s: `enrolmentSeen`, and the directory follows People from then on', () => {
    const enrolled = fold([staff, read(T0, ADMIN), read(T0 + 5 * SECOND, NEW)]);
    // People read again without the new card yet: it stays in the directory.
    const before = fold(
      [people(T0 + 60 * SECOND, [{ card: ALICE, name: 'Alice' }])],
      enrolled.state,
    );
    expect(before.out).toEqual([]);
    expect(before.state.directory.byId.get(NEW)?.name).toBe('New 1');
    // People shows it (renamed already): seen; the directory is People's.
    const shown = people(T0 + 120 * SECOND, [
      { card: ALICE, name: 'Alice' },
      { card: NEW, name: 'Carol' },
    ]);
    const after = fold([shown], before.state);
    expect(after.out).toEqual([
      { type: 'enrolmentSeen', at: T0 + 120 * SECOND, card: NEW },
      // Named by the manager: the placeholder is over (rule 5).
      { type: 'nameCard', at: T0 + 120 * SECOND, card: NEW, name: 'Carol', placeholder: 'New 1' },
    ]);
    expect(after.state.enrolments).toEqual([]);
    expect(after.state.directory.byId.get(NEW)?.name).toBe('Carol');
  });
});

describe('enrolment at the reader, in the store', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('badgeclock-enrol-');
    store = Store.open(join(dir.path, 'clock.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('keeps every step with the tap it came from, and a restart remembers what People does not show yet', () => {
    const clock = player(store, rules);
    clock.play(
      staff,
      read(T0, ADMIN),
      read(T0 + 5 * SECOND, NEW),
      read(T0 + 60 * SECOND, ADMIN),
      read(T0 + 65 * SECOND, ALICE),
      read(T0 + 70 * SECOND, DECIMAL),
    );
    peek(store.file, (db) => {
      expect(
        db.prepare('SELECT step, card, name, target, reason FROM enrolments ORDER BY id').all(),
      ).toEqual([
        { step: 'opened', card: ADMIN, name: null, target: null, reason: null },
        { step: 'listed', card: NEW, name: 'New 1', target: null, reason: null },
        { step: 'opened', card: ADMIN, name: null, target: null, reason: null },
        { step: 'chosen', card: ALICE, name: null, target: null, reason: null },
        { step: 'aliased', card: DECIMAL, name: null, target: ALICE, reason: null },
      ]);
      // The taps are kept as they were taken, marked as enrolment taps.
      expect(db.prepare('SELECT DISTINCT outcome FROM taps').all()).toEqual([{ outcome: 'enrol' }]);
    });
    expect(store.pending().map((p) => p.entry.key)).toEqual([
      `enrol:${NEW}:${T0 + 5 * SECOND}`,
      `alias:${ALICE}:${DECIMAL}:${T0 + 70 * SECOND}`,
    ]);

    // Restarted before People showed either: both are in the directory, and numbering goes on.
    const again = fold(
      [staff, read(T0 + 10 * 60 * SECOND, DECIMAL)],
      restoreState(store.snapshot(T0 + 10 * 60 * SECOND)),
    );
    expect(again.out).toContainEqual(expect.objectContaining({ type: 'clock-in', card: ALICE }));
    expect(again.state.directory.byId.get(NEW)?.name).toBe('New 1');
    expect(again.state.placeholders).toBe(1);

    // People shows them: the store marks them, and the next restart leaves them to People.
    player(store, rules, again.state).play(
      people(T0 + 20 * 60 * SECOND, [
        { card: ALICE, name: 'Alice', aliases: [DECIMAL] },
        { card: NEW, name: 'New 1' },
      ]),
    );
    expect(store.snapshot(T0 + 30 * 60 * SECOND).enrolments).toEqual([]);
  });

  it('a card enrolled, undone by the manager (its People row deleted) and enrolled again is listed again', () => {
    const clock = player(store, rules);
    const undone = (at: number) => people(at, [{ card: ALICE, name: 'Alice' }]);
    clock.play(staff, read(T0, ADMIN), read(T0 + 5 * SECOND, NEW));
    // The sheet took it, People showed it, then the manager deleted the row.
    store.markDone(
      store.pending().map((p) => p.entry.key),
      T0 + 30 * SECOND,
    );
    clock.play(
      people(T0 + 60 * SECOND, [
        { card: ALICE, name: 'Alice' },
        { card: NEW, name: 'New 1' },
      ]),
      undone(T0 + 120 * SECOND),
    );
    // The manager changes their mind: enrolled again, it must reach People again.
    clock.play(read(T0 + 600 * SECOND, ADMIN), read(T0 + 605 * SECOND, NEW));
    expect(store.pending().map((p) => p.entry)).toEqual([
      expect.objectContaining({ kind: 'card-listed', card: NEW, name: 'New 2' }),
    ]);
  });

  it('an alias tied, undone by the manager (deleted from Aliases) and tied again reaches People again', () => {
    const clock = player(store, rules);
    const tie = (at: number) => [
      read(at, ADMIN),
      read(at + 5 * SECOND, ALICE),
      read(at + 10 * SECOND, DECIMAL),
    ];
    clock.play(staff, ...tie(T0));
    store.markDone(
      store.pending().map((p) => p.entry.key),
      T0 + 30 * SECOND,
    );
    clock.play(
      people(T0 + 60 * SECOND, [{ card: ALICE, name: 'Alice', aliases: [DECIMAL] }]),
      people(T0 + 120 * SECOND, [{ card: ALICE, name: 'Alice' }]),
    );
    clock.play(...tie(T0 + 600 * SECOND));
    expect(store.pending().map((p) => p.entry)).toEqual([
      expect.objectContaining({ kind: 'alias-added', card: ALICE, alias: DECIMAL }),
    ]);
  });

  it('a card listed as `New 1` gets the name the manager gives it in People in its rows (rule 5)', () => {
    const clock = player(store, rules);
    const outs = clock.play(
      staff,
      read(T0, ADMIN),
      read(T0 + 5 * SECOND, NEW),
      // The new employee clocks in under the placeholder, as the reader shows it.
      read(T0 + 2 * 60 * SECOND, NEW),
      // People shows the card under its placeholder: that is no name yet.
      people(T0 + 3 * 60 * SECOND, [
        { card: ALICE, name: 'Alice' },
        { card: NEW, name: 'New 1' },
      ]),
    );
    expect(outs[3]).toContainEqual(
      expect.objectContaining({ type: 'clock-in', card: NEW, name: 'New 1' }),
    );
    expect(store.allSessions().map((s) => s.name)).toEqual(['New 1']);
    // The manager names the card: every row of it follows, in the store and for the sheet.
    const named = clock.play(
      people(T0 + 4 * 60 * SECOND, [
        { card: ALICE, name: 'Alice' },
        { card: NEW, name: 'Carol' },
      ]),
      read(T0 + 3600 * SECOND, NEW),
    );
    expect(named[0]).toEqual([
      {
        type: 'nameCard',
        at: T0 + 4 * 60 * SECOND,
        card: NEW,
        name: 'Carol',
        placeholder: 'New 1',
      },
    ]);
    expect(store.allSessions().map((s) => s.name)).toEqual(['Carol']);
    const filled = store.pending().map((p) => p.entry);
    expect(filled.filter((e) => e.kind === 'name-filled')).toEqual([
      expect.objectContaining({ card: NEW, name: 'Carol', placeholder: 'New 1' }),
    ]);
  });

  it('a card clocked in blank, then listed at the reader before People caught up: People’s name fills all its rows', () => {
    const clock = player(store, rules);
    clock.play(
      staff,
      read(T0, NEW), // clocks in, blank
      read(T0 + 60 * SECOND, ADMIN),
      read(T0 + 65 * SECOND, NEW), // listed as New 1
      people(T0 + 2 * 60 * SECOND, [{ card: ALICE, name: 'Alice' }]),
    );
    // The placeholder is not filled in as if it were the manager's name.
    expect(store.allSessions().map((s) => s.name)).toEqual([null]);
    clock.play(
      read(T0 + 4 * 60 * SECOND, NEW), // clocks out (the row shows New 1 meanwhile)
      read(T0 + 6 * 60 * SECOND, NEW), // and in again, as New 1
      people(T0 + 8 * 60 * SECOND, [
        { card: ALICE, name: 'Alice' },
        { card: NEW, name: 'Carol' },
      ]),
    );
    expect(store.allSessions().map((s) => s.name)).toEqual(['Carol', 'Carol']);
  });

  it('a restart remembers a placeholder until the manager names the card: the name still fills its rows, and `reject` still refuses it', () => {
    const clock = player(store, rules);
    const asNew1 = people(T0 + 3 * 60 * SECOND, [
      { card: ALICE, name: 'Alice' },
      { card: NEW, name: 'New 1' },
    ]);
    clock.play(staff, read(T0, ADMIN), read(T0 + 5 * SECOND, NEW));
    clock.play(read(T0 + 2 * 60 * SECOND, NEW), asNew1);
    // Restarted: People (as the cache gives it at start) still shows the placeholder. Under
    // `reject` the card clocks out the session it has, and does not clock in again.
    const reject: Rules = { ...rules, unknownCards: 'reject' };
    const restarted = fold(
      [asNew1, read(T0 + 30 * 60 * SECOND, NEW), read(T0 + 32 * 60 * SECOND, NEW)],
      restoreState(store.snapshot(T0 + 30 * 60 * SECOND)),
      reject,
    );
    expect(kinds(restarted.out)).toEqual(['tap', 'clock-out', 'tap', 'unknown']);
    const again = player(store, rules, restoreState(store.snapshot(T0 + 30 * 60 * SECOND)));
    again.play(
      asNew1,
      people(T0 + 40 * 60 * SECOND, [
        { card: ALICE, name: 'Alice' },
        { card: NEW, name: 'Carol' },
      ]),
    );
    expect(store.allSessions().map((s) => s.name)).toEqual(['Carol']);
    // Named: the next restart has nothing left to fill or refuse.
    expect(store.snapshot(T0 + 50 * 60 * SECOND).placeholderNames).toEqual([]);
  });

  describe('a restart while enrolment is open', () => {
    const at = (wall: number, mono: number, card: string): ClockEvent => ({
      ...read(wall, card),
      mono,
    });
    const started = (wall: number, mono: number): ClockEvent => ({
      type: 'clockStarted',
      at: wall,
      mono,
    });

    it('in the same boot, within its 30 s: still open, the next new card is listed, not clocked in', () => {
      booted(store, 'boot-1', T0, rules)(staff, at(T0, 1_000, ADMIN));
      const out = booted(
        store,
        'boot-1',
        T0 + 5 * SECOND,
        rules,
      )(started(T0 + 5 * SECOND, 6_000), staff, at(T0 + 10 * SECOND, 11_000, NEW));
      expect(kinds(out)).toEqual(['tap', 'enrol:listed', 'listCard']);
    });

    it('in the same boot, with a person chosen: the next card becomes their alias', () => {
      booted(
        store,
        'boot-1',
        T0,
        rules,
      )(staff, at(T0, 1_000, ADMIN), at(T0 + 5 * SECOND, 6_000, ALICE));
      const out = booted(
        store,
        'boot-1',
        T0 + 10 * SECOND,
        rules,
      )(started(T0 + 10 * SECOND, 11_000), staff, at(T0 + 15 * SECOND, 16_000, DECIMAL));
      expect(kinds(out)).toEqual(['tap', 'enrol:aliased', 'addAlias']);
    });

    it('in the same boot, after its 30 s ran out: the start closes it and says so', () => {
      booted(store, 'boot-1', T0, rules)(staff, at(T0, 1_000, ADMIN));
      const out = booted(
        store,
        'boot-1',
        T0 + 60 * SECOND,
        rules,
      )(started(T0 + 60 * SECOND, 61_000));
      expect(out).toEqual([
        expect.objectContaining({ step: 'closed', at: T0 + 30 * SECOND, reason: 'time ran out' }),
      ]);
    });

    it('in another boot: the start closes it and says so (how long it was open cannot be told); closed, it stays closed', () => {
      booted(store, 'boot-1', T0, rules)(staff, at(T0, 1_000, ADMIN));
      // A reboot whose clock (no RTC) came back before the admin tap: the wall clock can't tell.
      const out = booted(
        store,
        'boot-2',
        T0 - 60 * SECOND,
        rules,
      )(started(T0 - 60 * SECOND, 2_000), staff, at(T0 - 50 * SECOND, 12_000, NEW));
      expect(kinds(out)).toEqual(['enrol:closed', 'tap', 'unknown', 'listCard', 'clock-in']);
      expect(out[0]).toMatchObject({ card: ADMIN, reason: 'the clock restarted' });
      expect(store.snapshot(T0, 'boot-2').enrolModes).toEqual([]);
    });
  });

  it('a clock-out at another reader keeps that reader beside the clock-in’s', () => {
    player(store, rules).play(staff, read(T0, ALICE, 'door'), read(T0 + 3_600_000, ALICE, 'desk'));
    peek(store.file, (db) => {
      expect(db.prepare('SELECT reader, out_reader FROM sessions').all()).toEqual([
        { reader: 'door', out_reader: 'desk' },
      ]);
    });
    expect(store.pending().at(-1)?.entry).toEqual(
      expect.objectContaining({ kind: 'session-closed', readers: 'door → desk' }),
    );
  });
});
