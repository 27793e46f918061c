/**
 * Another door's taps in the one reducer (docs/multi-door.md): folded by the
 * same rules when they come in order for their person, kept for the replay
 * (`tap-late`, state untouched) when they do not. Pure: no RxJS, no store.
 */
import type { Person } from '../streams/directory';
import type {
  CardRead,
  ClockEvent,
  CorrectionJudged,
  Output,
  RefoldedSession,
  RefoldHistory,
} from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, sessionId, type ClockState } from '../streams/sessions';
import { correctionOf, outMoved } from './support/store-fixtures';

const rules = defaultRules('UTC');
const reduce = makeReducer(rules);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-03-02T08:00:00Z');

const ALICE = 'A11CE000';
const BOB = 'B0B00000';
const people: Person[] = [
  { card: ALICE, name: 'Alice', active: true, aliases: ['A11A5000'] },
  { card: BOB, name: 'Bob', active: true, aliases: [] },
];

const local = (at: number, card: string): CardRead => ({
  type: 'cardRead',
  at,
  card,
  reader: 'front',
});
const remote = (at: number, card: string, seq: number): CardRead => ({
  type: 'cardRead',
  at,
  card,
  reader: 'back',
  origin: `back:${seq}`,
});

function fold(events: readonly ClockEvent[]): { state: ClockState; out: Output[] } {
  let state = reduce(initialState, {
    type: 'directoryLoaded',
    at: T0 - HOUR,
    people,
  }).state;
  const out: Output[] = [];
  for (const event of events) {
    const step = reduce(state, event);
    state = step.state;
    out.push(...step.out);
  }
  return { state, out };
}

const kinds = (out: readonly Output[]): string[] => out.map((o) => o.type);

describe('another door’s taps in the reducer', () => {
  it('clocks in at one door and out at the other, with both readers on the session', () => {
    const { state, out } = fold([local(T0, ALICE), remote(T0 + 8 * HOUR, ALICE, 7)]);
    expect(kinds(out)).toEqual(['tap', 'clock-in', 'tap', 'clock-out']);
    expect(out[2]).toMatchObject({ type: 'tap', origin: 'back:7', reader: 'back' });
    expect(out[3]).toMatchObject({
      type: 'clock-out',
      session: sessionId(ALICE, T0),
      reader: 'back',
      inReader: 'front',
      hours: 8,
    });
    expect(state.open.size).toBe(0);
  });

  it('follows the person through an alias, as a local tap does', () => {
    const { out } = fold([remote(T0, 'A11A5000', 1), local(T0 + HOUR, ALICE)]);
    expect(out.filter((o) => o.type === 'clock-in')).toEqual([
      expect.objectContaining({ card: ALICE, session: sessionId(ALICE, T0) }),
    ]);
    expect(out.at(-1)).toMatchObject({ type: 'clock-out', card: ALICE });
  });

  it('skips this door’s debounce: a card held here does not swallow the other door’s tap', () => {
    // The same raw id, a second apart, at two doors: the guard decides (rule 3), not the debounce.
    const { out } = fold([local(T0, BOB), remote(T0 + 1_000, BOB, 2)]);
    expect(kinds(out)).toEqual(['tap', 'clock-in', 'tap', 'ignored']);
    expect(out[3]).toMatchObject({ reason: 'double-tap', reader: 'back' });
  });

  it('guards a tap here right after the other door’s: by the wall clock, not by an older tap’s monotonic time', () => {
    // Alice clocked in and out here earlier (taps with monotonic times); then in at back, and
    // 11 s later here again, to be sure. Found by the simulation with doors: this door measured
    // the guard from its own last tap's monotonic time, an hour before, and clocked her out.
    const mono = (at: number): number => at - T0 + 5_000;
    const here = (at: number): CardRead => ({ ...local(at, ALICE), mono: mono(at) });
    const { out } = fold([
      here(T0),
      here(T0 + HOUR),
      remote(T0 + 2 * HOUR, ALICE, 4),
      here(T0 + 2 * HOUR + 11_000),
    ]);
    expect(kinds(out)).toEqual([
      'tap',
      'clock-in',
      'tap',
      'clock-out',
      'tap',
      'clock-in',
      'tap',
      'ignored',
    ]);
    expect(out.at(-1)).toMatchObject({ reason: 'double-tap', reader: 'front' });
  });

  it('leaves this door’s last tap and reader health alone', () => {
    const { state } = fold([local(T0, BOB), remote(T0 + HOUR, ALICE, 3)]);
    expect(state.lastTapAt).toBe(T0);
    expect(state.reads.has(ALICE)).toBe(false);
  });

  it('keeps a tap late for its person for the replay, and changes nothing', () => {
    const before = fold([local(T0, ALICE), local(T0 + 4 * HOUR, ALICE)]);
    // The back door was cut off: Alice's tap there at 10:00 arrives after her 12:00 clock-out.
    const step = reduce(before.state, remote(T0 + 2 * HOUR, ALICE, 4));
    expect(step.out).toEqual([
      {
        type: 'tap-late',
        at: T0 + 2 * HOUR,
        card: ALICE,
        name: null,
        reader: 'back',
        origin: 'back:4',
      },
      // … and asks the store for Alice's history, to fold it again (streams/refold.ts), by her
      // raw ids: her taps and sessions are kept under any of them.
      { type: 'refold', at: T0 + 2 * HOUR, card: ALICE, ids: [ALICE, 'A11A5000'] },
    ]);
    expect(step.state).toBe(before.state);
  });

  it('is late when it falls before the open session’s clock-in', () => {
    const before = fold([local(T0 + HOUR, ALICE)]);
    expect(kinds(reduce(before.state, remote(T0, ALICE, 5)).out)).toEqual(['tap-late', 'refold']);
  });

  it('folds a tap older than another person’s newest: lateness is per person', () => {
    const { out } = fold([local(T0 + 3 * HOUR, BOB), remote(T0 + HOUR, ALICE, 6)]);
    expect(kinds(out)).toEqual(['tap', 'clock-in', 'tap', 'clock-in']);
    expect(out[3]).toMatchObject({ card: ALICE, at: T0 + HOUR });
  });

  it('is not marked as taken on this door’s unsynchronised clock', () => {
    const { out } = fold([
      { type: 'timeSyncChanged', at: T0 - MINUTE, synced: false, mono: 0 },
      remote(T0, ALICE, 8),
    ]);
    expect(out.find((o) => o.type === 'clock-in')).not.toHaveProperty('unsynced');
  });

  describe('after a manager’s correction of the session the tap falls in', () => {
    // Alice in at the back door at 08:00 and no clock-out: the minute closes her session at
    // 20:00 (limit). A manager then types Out 17:00, or voids it; meanwhile a third door, cut
    // off, had her at 17:02: for one clock folding the merged taps that tap is her clock-out.
    const session = sessionId(ALICE, T0);
    const autoClosed = (): ClockEvent[] => [
      remote(T0, ALICE, 1),
      { type: 'minuteElapsed', at: T0 + 12 * HOUR },
    ];
    const corrected = (more: Partial<CorrectionJudged>): CorrectionJudged =>
      correctionOf(
        T0 + 23 * HOUR,
        session,
        { card: ALICE, name: 'Alice' },
        { ...outMoved(T0, T0 + 12 * HOUR, T0 + 9 * HOUR), ...more },
      );
    const shortened = corrected({});
    const voided = corrected({
      changes: [{ field: 'status', old: 'auto', new: 'void' }],
      outAt: T0 + 12 * HOUR,
      voided: true,
      status: 'void',
    });

    it.each([
      ['shortened', shortened],
      ['voided', voided],
    ])('is late inside the span the clock folded, though a manager %s it', (_, fix) => {
      const before = fold([...autoClosed(), fix]);
      const step = reduce(before.state, remote(T0 + 9 * HOUR + 2 * MINUTE, ALICE, 2));
      // Not a clock-in at 17:02 (and a 12-hour auto clock-out later): the refold decides.
      expect(kinds(step.out)).toEqual(['tap-late', 'refold']);
      expect(step.state).toBe(before.state);
    });

    it('is folded after the span the clock folded, corrected or not', () => {
      const { out } = fold([...autoClosed(), shortened, remote(T0 + 12 * HOUR + MINUTE, ALICE, 2)]);
      expect(kinds(out).slice(-2)).toEqual(['tap', 'clock-in']);
    });
  });

  describe('after a manager’s Out typed into the session while it was open', () => {
    // Alice in at the back door at 08:00, no clock-out here; at 18:00 a manager types Out 17:00
    // into the open row. A third door, cut off, had her at 17:02: her clock-out, for the merged
    // taps, which the manager's Out then replaced.
    const session = sessionId(ALICE, T0);
    const closedByManager = (out: number | null): ClockEvent[] => [
      remote(T0, ALICE, 1),
      correctionOf(
        T0 + 10 * HOUR,
        session,
        { card: ALICE, name: 'Alice' },
        {
          changes:
            out === null
              ? [{ field: 'status', old: 'in', new: 'void' }]
              : [{ field: 'out', old: null, new: out }],
          inAt: T0,
          outAt: out,
          voided: out === null,
          status: out === null ? 'void' : 'out',
          closes: true,
        },
      ),
    ];

    it.each([
      ['typed an Out into', T0 + 9 * HOUR],
      ['voided', null],
    ])('is late inside it, though a manager %s it: not a clock-in', (_, out) => {
      const before = fold(closedByManager(out));
      expect(before.state.open.has(ALICE)).toBe(false);
      const step = reduce(before.state, remote(T0 + 9 * HOUR + 2 * MINUTE, ALICE, 2));
      expect(kinds(step.out)).toEqual(['tap-late', 'refold']);
      expect(step.state).toBe(before.state);
    });

    it('is folded in order again once the person clocked in after it', () => {
      const { state } = fold([...closedByManager(T0 + 9 * HOUR), local(T0 + 11 * HOUR, ALICE)]);
      expect(state.cards.get(ALICE)?.fixClosed).toBeUndefined();
      const step = reduce(state, remote(T0 + 12 * HOUR, ALICE, 2));
      expect(kinds(step.out)).toEqual(['tap', 'clock-out']);
    });
  });
});

describe('a person’s taps folded again after a late one (refold)', () => {
  const stored = (
    id: string,
    inAt: number,
    outAt: number | null,
    reader = 'front',
  ): RefoldedSession => ({
    id,
    card: ALICE,
    name: 'Alice',
    inAt,
    outAt,
    status: outAt === null ? 'in' : 'out',
    reason: null,
    reader,
    outReader: null,
  });

  it('puts a late clock-in before an open session: the open one was the clock-out', () => {
    // Front saw Alice only at 09:00 (open); back, cut off, had her at 08:00.
    const before = fold([local(T0 + HOUR, ALICE), local(T0 + HOUR, BOB)]);
    const late = reduce(before.state, remote(T0, ALICE, 1));
    expect(kinds(late.out)).toEqual(['tap-late', 'refold']);
    const open = stored(sessionId(ALICE, T0 + HOUR), T0 + HOUR, null);
    const history: RefoldHistory = {
      type: 'refoldHistory',
      at: T0 + 2 * HOUR,
      card: ALICE,
      from: T0,
      before: { recent: [] },
      taps: [
        { id: 'front:1', at: T0 + HOUR, card: ALICE, reader: 'front' },
        { id: 'back:1', at: T0, card: ALICE, reader: 'back', late: true },
      ],
      stored: [open],
      supersededIds: [],
      openId: open.id,
    };
    const step = reduce(late.state, history);
    expect(step.out).toEqual([
      {
        type: 'refolded',
        at: T0 + 2 * HOUR,
        card: ALICE,
        from: T0,
        late: [history.taps[1]],
        added: [
          {
            id: sessionId(ALICE, T0),
            card: ALICE,
            name: 'Alice',
            inAt: T0,
            outAt: T0 + HOUR,
            status: 'out',
            reason: null,
            reader: 'back',
            outReader: 'front',
          },
        ],
        changed: [],
        superseded: [open],
      },
    ]);
    // Alice is out now, as one clock folding both doors' taps would say; Bob is untouched.
    expect(step.state.open.has(ALICE)).toBe(false);
    expect(step.state.open.get(BOB)).toBe(before.state.open.get(BOB));
    expect(step.state.cards.get(ALICE)?.lastAcceptedAt).toBe(T0 + HOUR);
    // Her next tap clocks in.
    expect(kinds(reduce(step.state, local(T0 + 3 * HOUR, ALICE)).out)).toEqual(['tap', 'clock-in']);
  });

  it('changes a closed session in place when a late tap only moves its clock-out', () => {
    // In at 08:00 and out at 12:00 here; a tap at back at 10:00 arrives late: 08-10 out, 12:00 in.
    const before = fold([local(T0, ALICE), local(T0 + 4 * HOUR, ALICE)]);
    const closed = stored(sessionId(ALICE, T0), T0, T0 + 4 * HOUR);
    const history: RefoldHistory = {
      type: 'refoldHistory',
      at: T0 + 5 * HOUR,
      card: ALICE,
      from: T0,
      before: { recent: [] },
      taps: [
        { id: 'front:1', at: T0, card: ALICE, reader: 'front' },
        { id: 'front:2', at: T0 + 4 * HOUR, card: ALICE, reader: 'front' },
        { id: 'back:9', at: T0 + 2 * HOUR, card: 'A11A5000', reader: 'back', late: true },
      ],
      stored: [closed],
      supersededIds: [],
      openId: null,
    };
    const [refolded] = reduce(before.state, history).out;
    expect(refolded).toMatchObject({
      type: 'refolded',
      changed: [{ ...closed, outAt: T0 + 2 * HOUR, outReader: 'back' }],
      added: [expect.objectContaining({ inAt: T0 + 4 * HOUR, status: 'in' })],
      superseded: [],
    });
  });

  describe('a session an earlier refold superseded, made again', () => {
    // Side saw Alice at 10:00; back's 09:00 came late: 09-10 out, the 10:00 one superseded. Now
    // front's 08:00 comes late too: 08-09 out, and 10:00 is a clock-in again.
    const at10 = sessionId(ALICE, T0 + 2 * HOUR);
    const nineToTen = stored(sessionId(ALICE, T0 + HOUR), T0 + HOUR, T0 + 2 * HOUR, 'back');
    const madeAgain = (at: number): RefoldHistory => ({
      type: 'refoldHistory',
      at,
      card: ALICE,
      from: T0,
      before: { recent: [] },
      taps: [
        { id: 'back:1', at: T0 + HOUR, card: ALICE, reader: 'back' },
        { id: 'side:1', at: T0 + 2 * HOUR, card: ALICE, reader: 'side' },
        { id: 'front:1', at: T0, card: ALICE, reader: 'front', late: true },
      ],
      stored: [nineToTen],
      supersededIds: [at10],
      openId: null,
    });

    it('comes back: changed, not added', () => {
      const [refolded] = reduce(fold([]).state, madeAgain(T0 + 3 * HOUR)).out;
      // Its row says `superseded`: only a change of the row brings it back (an addition would
      // be the clock-in the sheet already had, and is never written again).
      expect(refolded).toMatchObject({
        type: 'refolded',
        added: [expect.objectContaining({ inAt: T0, outAt: T0 + HOUR })],
        changed: [expect.objectContaining({ id: at10, inAt: T0 + 2 * HOUR, status: 'in' })],
        superseded: [nineToTen],
      });
    });

    it('is closed at its limit when it is past it, as the minute would have', () => {
      // 10:00 had been auto-closed at 22:00 (its close written) before back's tap superseded it;
      // front's comes the next day. Left open, the next minute's auto clock-out would be a close
      // the sheet already had (never written again); closed here, it is a change of the row.
      const step = reduce(fold([]).state, madeAgain(T0 + 26 * HOUR));
      expect(step.out[0]).toMatchObject({
        changed: [
          expect.objectContaining({
            id: at10,
            outAt: T0 + 14 * HOUR,
            status: 'auto',
            reason: 'limit',
          }),
        ],
      });
      expect(step.state.open.has(ALICE)).toBe(false);
    });
  });

  it('asks again when the store’s open session is not the state’s (read in another step), from where the history began', () => {
    const before = fold([local(T0, ALICE)]);
    const step = reduce(before.state, {
      type: 'refoldHistory',
      at: T0 + HOUR,
      card: ALICE,
      ids: [ALICE, 'A11A5000'],
      from: T0,
      before: { recent: [] },
      taps: [],
      stored: [],
      supersededIds: [],
      openId: null,
    });
    expect(step).toEqual({
      state: before.state,
      out: [{ type: 'refold', at: T0, card: ALICE, ids: [ALICE, 'A11A5000'] }],
    });
  });
});
