/**
 * The one reducer on its own: arrays of input events folded through
 * makeReducer(rules), no RxJS, no scheduler. Instants are written as local ISO
 * times with their offset, so the DST offsets are visible in each test.
 */
import type { Person } from '../streams/directory';
import type {
  CardRead,
  ClockEvent,
  ClockStarted,
  DirectoryLoaded,
  MinuteElapsed,
  Output,
  TimeSyncChanged,
} from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import {
  initialState,
  makeReducer,
  restoreState,
  sessionId,
  type ClockState,
} from '../streams/sessions';
import { formatDuration, formatLocalTime, toHours } from '../streams/zoned';

const BERLIN = 'Europe/Berlin';
const berlin = defaultRules(BERLIN);
const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

const ALICE = '04A3C6CAE26180';
const BOB = 'B0B0B0B0';
const CAROL = 'C0C0C0C0';
const alice: Person = { card: ALICE, name: 'Alice', active: true, aliases: ['0012345678'] };
const bob: Person = { card: BOB, name: 'Bob', active: true, aliases: [] };
const carol: Person = { card: CAROL, name: 'Carol', active: true, aliases: [] };

/** A UTC instant from a local ISO time with its offset. */
function at(isoWithOffset: string): number {
  const ms = Date.parse(isoWithOffset);
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${isoWithOffset}`);
  return ms;
}

// ---- inputs --------------------------------------------------------------

function read(when: number, card: string, reader = 'door'): CardRead {
  return { type: 'cardRead', at: when, card, reader };
}
/** A read stamped with the monotonic clock as well, as the live readers stamp it. */
function readMono(when: number, card: string, mono: number): CardRead {
  return { ...read(when, card), mono };
}
function tick(when: number): MinuteElapsed {
  return { type: 'minuteElapsed', at: when };
}
/** A tick stamped with the monotonic clock as well, as the live clock stamps it. */
function tickMono(when: number, mono: number): MinuteElapsed {
  return { ...tick(when), mono };
}
function started(when: number): ClockStarted {
  return { type: 'clockStarted', at: when };
}
function loaded(when: number, people: readonly Person[]): DirectoryLoaded {
  return { type: 'directoryLoaded', at: when, people };
}
function timeSync(when: number, synced: boolean, mono: number): TimeSyncChanged {
  return { type: 'timeSyncChanged', at: when, synced, mono };
}
/** Every wall-clock minute boundary in [from, to]. */
function ticks(from: number, to: number): MinuteElapsed[] {
  const out: MinuteElapsed[] = [];
  for (let t = Math.ceil(from / MINUTE) * MINUTE; t <= to; t += MINUTE) out.push(tick(t));
  return out;
}

// ---- expected outputs ----------------------------------------------------

function tapped(when: number, card: string, name: string | null): Output {
  return { type: 'tap', at: when, card, name, reader: 'door' };
}
function clockedIn(when: number, card: string, name: string | null): Output {
  return { type: 'clock-in', at: when, card, name, session: sessionId(card, when), reader: 'door' };
}
function clockedOut(
  when: number,
  card: string,
  inAt: number,
  name: string | null,
  hours: number,
  todayHours = hours,
  weekHours = todayHours,
): Output {
  return {
    type: 'clock-out',
    at: when,
    card,
    name,
    session: sessionId(card, inAt),
    reader: 'door',
    inAt,
    hours,
    todayHours,
    weekHours,
  };
}
function autoOut(
  when: number,
  card: string,
  inAt: number,
  name: string | null,
  reason: 'limit' | 'cutoff',
  hours: number,
): Output {
  return {
    type: 'auto-out',
    at: when,
    card,
    name,
    session: sessionId(card, inAt),
    inAt,
    hours,
    reason,
  };
}
function ignored(
  when: number,
  card: string,
  name: string | null,
  reason: 'double-tap' | 'inactive',
): Output {
  return { type: 'ignored', at: when, card, name, reason, reader: 'door' };
}
function unknown(when: number, card: string, policy: 'accept' | 'reject'): Output {
  return { type: 'unknown', at: when, card, name: null, policy, reader: 'door' };
}

// ---- folding -------------------------------------------------------------

interface Replay {
  readonly state: ClockState;
  /** Every output, in order. */
  readonly out: readonly Output[];
  /** The outputs of the last event alone. */
  readonly last: readonly Output[];
}

/** Folds the events through the reducer, as `scan` does, collecting what came out. */
function replay(
  events: readonly ClockEvent[],
  rules: Rules = berlin,
  start: ClockState = initialState,
): Replay {
  const reduce = makeReducer(rules);
  let state = start;
  const out: Output[] = [];
  let last: readonly Output[] = [];
  for (const event of events) {
    const step = reduce(state, event);
    state = step.state;
    last = step.out;
    out.push(...step.out);
  }
  return { state, out, last };
}

const directory = (people: readonly Person[] = [alice, bob, carol]): DirectoryLoaded =>
  loaded(0, people);

describe('the sessions reducer', () => {
  describe('taps toggle (rule 2)', () => {
    it('a first tap clocks in and the next clocks out with the real elapsed time', () => {
      const inAt = at('2026-05-12T08:00:00+02:00');
      const outAt = at('2026-05-12T16:30:00+02:00');
      const { out, state } = replay([directory(), read(inAt, ALICE), read(outAt, ALICE)]);
      expect(out).toEqual([
        tapped(inAt, ALICE, 'Alice'),
        clockedIn(inAt, ALICE, 'Alice'),
        tapped(outAt, ALICE, 'Alice'),
        clockedOut(outAt, ALICE, inAt, 'Alice', 8.5),
      ]);
      expect(state.open.size).toBe(0);
    });

    it('a night across the spring-forward change lasts 9 real hours from 22:00 to 08:00, 7 of them on the day of the clock-out', () => {
      const inAt = at('2026-03-28T22:00:00+01:00');
      const outAt = at('2026-03-29T08:00:00+02:00');
      const { last } = replay([directory(), read(inAt, ALICE), read(outAt, ALICE)]);
      expect(last).toEqual([
        tapped(outAt, ALICE, 'Alice'),
        clockedOut(outAt, ALICE, inAt, 'Alice', 9, 7, 9),
      ]);
    });

    it("the week's hours start again on Monday in the configured zone, and a restart remembers the week", () => {
      const sunday = at('2026-03-22T09:00:00+01:00');
      const monday = at('2026-03-23T09:00:00+01:00');
      const tuesday = at('2026-03-24T09:00:00+01:00');
      const { out, state } = replay([
        directory(),
        read(sunday, ALICE),
        read(sunday + 8 * HOUR, ALICE),
        read(monday, ALICE),
        read(monday + 8 * HOUR, ALICE),
      ]);
      const weeks = out.flatMap((o) => (o.type === 'clock-out' ? [o.weekHours] : []));
      expect(weeks).toEqual([8, 8]);
      // After a restart from what the store keeps (recent sessions of the last days), Tuesday adds on.
      const snapshot = {
        open: [],
        lastAccepted: [],
        recent: [...(state.cards.get(ALICE)?.recent ?? [])].map((span) => ({
          card: ALICE,
          ...span,
        })),
        listed: [],
      };
      const { last } = replay(
        [directory(), read(tuesday, ALICE), read(tuesday + 4 * HOUR, ALICE)],
        berlin,
        restoreState(snapshot),
      );
      expect(last).toEqual([
        tapped(tuesday + 4 * HOUR, ALICE, 'Alice'),
        clockedOut(tuesday + 4 * HOUR, ALICE, tuesday, 'Alice', 4, 4, 12),
      ]);
    });

    it("with a weekly pay period from Sunday, the week's hours at the reader start on Sunday too", () => {
      const saturday = at('2026-03-21T09:00:00+01:00');
      const sunday = at('2026-03-22T09:00:00+01:00');
      const monday = at('2026-03-23T09:00:00+01:00');
      const { out } = replay(
        [
          directory(),
          read(saturday, ALICE),
          read(saturday + 8 * HOUR, ALICE),
          read(sunday, ALICE),
          read(sunday + 8 * HOUR, ALICE),
          read(monday, ALICE),
          read(monday + 8 * HOUR, ALICE),
        ],
        { ...berlin, weekStartsOn: 0 },
      );
      const weeks = out.flatMap((o) => (o.type === 'clock-out' ? [o.weekHours] : []));
      expect(weeks).toEqual([8, 8, 16]);
    });

    it('a night across the fall-back change lasts 11 real hours from 22:00 to 08:00, 9 of them on the day of the clock-out', () => {
      const inAt = at('2026-10-24T22:00:00+02:00');
      const outAt = at('2026-10-25T08:00:00+01:00');
      const { last } = replay([directory(), read(inAt, ALICE), read(outAt, ALICE)]);
      expect(last).toEqual([
        tapped(outAt, ALICE, 'Alice'),
        clockedOut(outAt, ALICE, inAt, 'Alice', 11, 9, 11),
      ]);
    });

    it("todayHours adds the local day's earlier sessions and only the part of a night session after midnight", () => {
      const events = [
        directory(),
        read(at('2026-05-11T22:00:00+02:00'), ALICE),
        read(at('2026-05-12T02:00:00+02:00'), ALICE),
        read(at('2026-05-12T09:00:00+02:00'), ALICE),
        read(at('2026-05-12T10:30:00+02:00'), ALICE),
      ];
      const { out } = replay(events);
      const clockOuts = out.filter((o) => o.type === 'clock-out');
      expect(clockOuts.map((o) => [o.hours, o.todayHours])).toEqual([
        [4, 2],
        [1.5, 3.5],
      ]);
    });

    it('a card listed twice in People belongs to its first listing: a duplicate row cannot steal it', () => {
      const thief: Person = { card: 'E0E0E0E0', name: 'Eve', active: true, aliases: [ALICE] };
      const when = at('2026-05-12T08:00:00+02:00');
      const { out } = replay([loaded(0, [alice, thief]), read(when, ALICE)]);
      expect(out).toEqual([tapped(when, ALICE, 'Alice'), clockedIn(when, ALICE, 'Alice')]);
    });

    it("hours and today's hours are rounded to the microhour, also for a clock-out by alias on another reader", () => {
      const morning = at('2026-03-23T08:59:00+01:00');
      const lunch = at('2026-03-23T12:31:00+01:00');
      const back = at('2026-03-23T13:02:00+01:00');
      const evening = at('2026-03-23T17:04:00+01:00');
      const { out } = replay([
        directory(),
        read(morning, ALICE),
        // Out for lunch with the wedge reader: her decimal alias.
        read(lunch, '0012345678', 'wedge'),
        read(back, ALICE),
        read(evening, ALICE),
      ]);
      expect(out.filter((o) => o.type === 'clock-out')).toEqual([
        {
          ...clockedOut(lunch, ALICE, morning, 'Alice', 3.533333),
          reader: 'wedge',
          inReader: 'door',
        },
        clockedOut(evening, ALICE, back, 'Alice', 4.033333, 7.566667),
      ]);
    });

    it("an alias is clocked under the person's own card id", () => {
      const inAt = at('2026-05-12T08:00:00+02:00');
      const outAt = at('2026-05-12T09:00:00+02:00');
      const { out } = replay([directory(), read(inAt, '0012345678'), read(outAt, ALICE)]);
      expect(out).toEqual([
        tapped(inAt, ALICE, 'Alice'),
        clockedIn(inAt, ALICE, 'Alice'),
        tapped(outAt, ALICE, 'Alice'),
        clockedOut(outAt, ALICE, inAt, 'Alice', 1),
      ]);
    });
  });

  describe('debounce (rule 1)', () => {
    const first = at('2026-05-12T08:00:00+02:00');

    it('a read one millisecond short of the debounce window after the previous read is the same presentation', () => {
      const { last } = replay([directory(), read(first, ALICE), read(first + 2_999, ALICE)]);
      // No tap; only the sighting, kept for a restart.
      expect(last).toEqual([
        { type: 'keepSighting', at: first + 2_999, card: ALICE, reader: 'door' },
      ]);
    });

    it('a read exactly the debounce window after the previous read is a new presentation', () => {
      const again = first + berlin.debounceMs;
      const { last } = replay([directory(), read(first, ALICE), read(again, ALICE)]);
      // A new presentation is a tap; this soon after clocking in, the guard ignores it.
      expect(last).toEqual([
        tapped(again, ALICE, 'Alice'),
        ignored(again, ALICE, 'Alice', 'double-tap'),
      ]);
    });

    it('the window slides with every sighting: a card held for a minute is one tap', () => {
      const held = Array.from({ length: 25 }, (_, i) => read(first + i * 2_500, ALICE));
      const { out } = replay([directory(), ...held]);
      expect(out.filter((o) => o.type !== 'keepSighting')).toEqual([
        tapped(first, ALICE, 'Alice'),
        clockedIn(first, ALICE, 'Alice'),
      ]);
    });

    it('a card held on the reader has its sighting kept about once a second, by the id the reader saw, so a restart can tell it is still there', () => {
      const held = Array.from({ length: 50 }, (_, i) => read(first + i * 100, '0012345678'));
      const { out } = replay([directory(), ...held]);
      expect(out.filter((o) => o.type === 'keepSighting')).toEqual(
        [100, 1_100, 2_100, 3_100, 4_100].map((ms) => ({
          type: 'keepSighting',
          at: first + ms,
          card: '0012345678',
          reader: 'door',
        })),
      );
    });

    it('a card still on the reader when the clock restarted is the same presentation: its reads in the first debounce window after the start extend it', () => {
      const restartedAt = first + 10 * MINUTE;
      const snapshot = {
        open: [],
        lastAccepted: [{ card: ALICE, at: first }],
        recent: [],
        listed: [],
        // Alice's card was last seen 0.5 s before the last thing the clock stored; Bob's 5 s before.
        sightings: [
          { card: ALICE, at: first + 90_000 },
          { card: BOB, at: first + 85_500 },
        ],
        lastTapAt: first + 90_500,
      };
      const { out } = replay(
        [
          directory(),
          started(restartedAt),
          read(restartedAt + 2_000, ALICE),
          read(restartedAt + 4_500, ALICE),
          read(restartedAt + 2_000, BOB),
        ],
        berlin,
        restoreState(snapshot),
      );
      expect(out.filter((o) => o.type !== 'keepSighting')).toEqual([
        tapped(restartedAt + 2_000, BOB, 'Bob'),
        clockedIn(restartedAt + 2_000, BOB, 'Bob'),
      ]);
    });

    // Simulation seed 6 (120 days): a card held for 26 minutes while NTP stepped the wall clock
    // back an hour was taken as a new tap, and clocked its owner out.
    it.each([
      ['back', -HOUR],
      ['forward', HOUR],
    ])(
      'a card held while the wall clock is stepped %s is one presentation: the window is measured by the monotonic clock',
      (_direction, step) => {
        const held = Array.from({ length: 40 }, (_, i) =>
          readMono(first + i * 2_000 + (i >= 20 ? step : 0), ALICE, 50_000 + i * 2_000),
        );
        const { out } = replay([directory(), ...held]);
        expect(out.filter((o) => o.type !== 'keepSighting')).toEqual([
          tapped(first, ALICE, 'Alice'),
          { ...clockedIn(first, ALICE, 'Alice'), mono: 50_000 },
        ]);
      },
    );

    it('without monotonic times, a read whose wall time is before the previous one is a new presentation', () => {
      const { last } = replay([
        directory(),
        read(first, ALICE),
        read(first + 11 * MINUTE, BOB),
        read(first - HOUR + 12 * MINUTE, ALICE),
      ]);
      expect(last[0]).toEqual(tapped(first - HOUR + 12 * MINUTE, ALICE, 'Alice'));
    });

    it("each id debounces itself: the card's decimal alias read right after its hex id is a new presentation", () => {
      const { last } = replay([directory(), read(first, ALICE), read(first + 500, '0012345678')]);
      expect(last).toEqual([
        tapped(first + 500, ALICE, 'Alice'),
        ignored(first + 500, ALICE, 'Alice', 'double-tap'),
      ]);
    });
  });

  describe('the guard (rule 3)', () => {
    const inAt = at('2026-05-12T08:00:00+02:00');

    it('a tap exactly the guard interval after clocking in is accepted and clocks out', () => {
      const outAt = inAt + berlin.guardMs;
      const { last } = replay([directory(), read(inAt, ALICE), read(outAt, ALICE)]);
      expect(last).toEqual([
        tapped(outAt, ALICE, 'Alice'),
        clockedOut(outAt, ALICE, inAt, 'Alice', toHours(berlin.guardMs)),
      ]);
    });

    it('a tap one millisecond short of the guard interval after clocking in is an ignored double tap', () => {
      const early = inAt + berlin.guardMs - 1;
      const { last, state } = replay([directory(), read(inAt, ALICE), read(early, ALICE)]);
      expect(last).toEqual([
        tapped(early, ALICE, 'Alice'),
        ignored(early, ALICE, 'Alice', 'double-tap'),
      ]);
      expect(state.open.get(ALICE)?.inAt).toBe(inAt);
    });

    it('after clocking out, a tap inside the guard is ignored and a tap exactly at it clocks in again', () => {
      const outAt = inAt + HOUR;
      const early = outAt + berlin.guardMs - 1;
      const again = outAt + berlin.guardMs;
      const events = [directory(), read(inAt, ALICE), read(outAt, ALICE)];
      expect(replay([...events, read(early, ALICE)]).last).toEqual([
        tapped(early, ALICE, 'Alice'),
        ignored(early, ALICE, 'Alice', 'double-tap'),
      ]);
      expect(replay([...events, read(again, ALICE)]).last).toEqual([
        tapped(again, ALICE, 'Alice'),
        clockedIn(again, ALICE, 'Alice'),
      ]);
    });

    it('the guard carries across a restart from the snapshot', () => {
      const start = restoreState({
        open: [],
        lastAccepted: [{ card: ALICE, at: inAt }],
        recent: [],
        listed: [],
      });
      const early = inAt + 10 * SECOND;
      const { last } = replay([directory(), read(early, ALICE)], berlin, start);
      expect(last).toEqual([
        tapped(early, ALICE, 'Alice'),
        ignored(early, ALICE, 'Alice', 'double-tap'),
      ]);
    });

    it('a last tap stamped ahead of the wall clock (a clock stepped forward, then a reboot) guards nothing (rule 12)', () => {
      // Stored by a boot whose wall clock ran a day ahead; this boot's clock is right, so every
      // tap is "before" it by the wall: no double tap can be told, and none is ignored.
      const start = restoreState({
        open: [],
        lastAccepted: [{ card: ALICE, at: inAt + 26 * HOUR }],
        recent: [],
        listed: [],
      });
      const later = inAt + 3 * HOUR;
      const { last } = replay([directory(), read(later, ALICE)], berlin, start);
      expect(last).toEqual([tapped(later, ALICE, 'Alice'), clockedIn(later, ALICE, 'Alice')]);
    });
  });

  describe('forgotten clock-outs (rule 4)', () => {
    const inAt = at('2026-05-12T08:00:00+02:00');
    const limit = at('2026-05-12T20:00:00+02:00');

    it('a tap that reaches a session past its limit first closes it at the limit, then clocks in anew', () => {
      const late = at('2026-05-12T20:05:00+02:00');
      const { last, state } = replay([directory(), read(inAt, ALICE), read(late, ALICE)]);
      expect(last).toEqual([
        tapped(late, ALICE, 'Alice'),
        autoOut(limit, ALICE, inAt, 'Alice', 'limit', 12),
        clockedIn(late, ALICE, 'Alice'),
      ]);
      expect(state.open.get(ALICE)?.inAt).toBe(late);
    });

    it('a tap at the very instant of the limit is taken as the tick at that instant would: closed at the limit, then a new clock-in', () => {
      const { last } = replay([directory(), read(inAt, ALICE), read(limit, ALICE)]);
      expect(last).toEqual([
        tapped(limit, ALICE, 'Alice'),
        autoOut(limit, ALICE, inAt, 'Alice', 'limit', 12),
        clockedIn(limit, ALICE, 'Alice'),
      ]);
    });

    it('a tick one millisecond before the limit closes nothing; the tick at the limit closes it there', () => {
      const events = [directory(), read(inAt, ALICE)];
      expect(replay([...events, tick(limit - 1)]).last).toEqual([]);
      expect(replay([...events, tick(limit)]).last).toEqual([
        autoOut(limit, ALICE, inAt, 'Alice', 'limit', 12),
      ]);
    });

    it('a late tick closes the session at its limit, not at the time of the tick', () => {
      const { last } = replay([directory(), read(inAt, ALICE), tick(limit + 7 * MINUTE)]);
      expect(last).toEqual([autoOut(limit, ALICE, inAt, 'Alice', 'limit', 12)]);
    });

    it('a restart closes several overdue sessions in the order they fell due, ties by card id', () => {
      // Restored after a night off, listed in no particular order.
      const session = (card: string, name: string, local: string) => {
        const when = at(local);
        return { id: sessionId(card, when), card, name, inAt: when, reader: 'door' };
      };
      const start = restoreState({
        open: [
          session(CAROL, 'Carol', '2026-05-12T10:00:00+02:00'),
          session(BOB, 'Bob', '2026-05-12T09:00:00+02:00'),
          session(ALICE, 'Alice', '2026-05-12T10:00:00+02:00'),
          session('D0D0D0D0', 'Dan', '2026-05-12T07:30:00+02:00'),
        ],
        lastAccepted: [],
        recent: [],
        listed: [],
      });
      const { last, state } = replay([started(at('2026-05-13T07:00:00+02:00'))], berlin, start);
      expect(
        last.map((o) => (o.type === 'auto-out' ? [o.card, formatLocalTime(o.at, BERLIN)] : o)),
      ).toEqual([
        ['D0D0D0D0', '19:30'],
        [BOB, '21:00'],
        [ALICE, '22:00'],
        [CAROL, '22:00'],
      ]);
      expect(state.open.size).toBe(0);
    });

    it('one minute tick closes every session past its limit, in the order they fell due', () => {
      const day = '2026-05-12T';
      const { last, state } = replay([
        directory(),
        read(at(`${day}08:00:30+02:00`), CAROL),
        read(at(`${day}08:00:10+02:00`), BOB),
        read(at(`${day}09:00:00+02:00`), ALICE),
        tick(at(`${day}20:01:00+02:00`)),
      ]);
      expect(
        last.map((o) => (o.type === 'auto-out' ? [o.card, formatLocalTime(o.at, BERLIN)] : o)),
      ).toEqual([
        [BOB, '20:00'],
        [CAROL, '20:00'],
      ]);
      expect([...state.open.keys()]).toEqual([ALICE]);
    });

    it('a daily cut-off earlier than the limit closes the session at the cut-off', () => {
      const rules: Rules = { ...berlin, dailyCutoff: '23:00' };
      const evening = at('2026-05-12T20:00:00+02:00');
      const cutoff = at('2026-05-12T23:00:00+02:00');
      const { out } = replay([directory(), read(evening, ALICE), ...ticks(evening, cutoff)], rules);
      expect(out.at(-1)).toEqual(autoOut(cutoff, ALICE, evening, 'Alice', 'cutoff', 3));
    });

    it('a daily cut-off later than the limit leaves the limit in charge', () => {
      const rules: Rules = { ...berlin, dailyCutoff: '23:00' };
      const { out } = replay([directory(), read(inAt, ALICE), ...ticks(inAt, limit)], rules);
      expect(out.at(-1)).toEqual(autoOut(limit, ALICE, inAt, 'Alice', 'limit', 12));
    });

    it("a session opened after the day's cut-off runs to the next day's cut-off across midnight", () => {
      const rules: Rules = { ...berlin, dailyCutoff: '06:00' };
      const night = at('2026-05-12T23:30:00+02:00');
      const cutoff = at('2026-05-13T06:00:00+02:00');
      const late = at('2026-05-13T06:10:00+02:00');
      const { last } = replay([directory(), read(night, ALICE), read(late, ALICE)], rules);
      expect(last).toEqual([
        tapped(late, ALICE, 'Alice'),
        autoOut(cutoff, ALICE, night, 'Alice', 'cutoff', 6.5),
        clockedIn(late, ALICE, 'Alice'),
      ]);
    });

    it('an auto clock-out is not a tap: a tap right after it clocks in, unguarded', () => {
      const soon = limit + 30 * SECOND;
      const { last } = replay([directory(), read(inAt, ALICE), tick(limit), read(soon, ALICE)]);
      expect(last).toEqual([tapped(soon, ALICE, 'Alice'), clockedIn(soon, ALICE, 'Alice')]);
    });

    it('a restarted clock closes at once what fell due while it was off', () => {
      const start = restoreState({
        open: [{ id: sessionId(ALICE, inAt), card: ALICE, name: 'Alice', inAt, reader: 'door' }],
        lastAccepted: [{ card: ALICE, at: inAt }],
        recent: [],
        listed: [],
      });
      const { last } = replay([started(at('2026-05-13T07:00:00+02:00'))], berlin, start);
      expect(last).toEqual([autoOut(limit, ALICE, inAt, 'Alice', 'limit', 12)]);
    });
  });

  describe('unknown and deactivated cards (rule 5)', () => {
    const first = at('2026-05-12T08:00:00+02:00');
    const later = at('2026-05-12T09:00:00+02:00');
    const card = 'DEADBEEF';

    it('an unknown card is clocked in under its own id and listed for naming once (accept)', () => {
      const { out } = replay([directory(), read(first, card), read(later, card)]);
      expect(out).toEqual([
        tapped(first, card, null),
        unknown(first, card, 'accept'),
        { type: 'listCard', at: first, card },
        clockedIn(first, card, null),
        tapped(later, card, null),
        clockedOut(later, card, first, null, 1),
      ]);
    });

    it('an unknown card under policy reject gets feedback, is listed once and opens no session', () => {
      const rules: Rules = { ...berlin, unknownCards: 'reject' };
      const soon = first + 10 * SECOND;
      const { out, state } = replay([directory(), read(first, card), read(soon, card)], rules);
      // Not accepted, so not guarded either: the second tap is unknown again, not a double tap.
      expect(out).toEqual([
        tapped(first, card, null),
        unknown(first, card, 'reject'),
        { type: 'listCard', at: first, card },
        tapped(soon, card, null),
        unknown(soon, card, 'reject'),
      ]);
      expect(state.open.size).toBe(0);
    });

    it('a card in People with a blank name is unknown and not listed again', () => {
      const blank: Person = { card, name: '  ', active: true, aliases: [] };
      const { out } = replay([directory([alice, blank]), read(first, card)]);
      expect(out).toEqual([
        tapped(first, card, null),
        unknown(first, card, 'accept'),
        clockedIn(first, card, null),
      ]);
    });

    it('a named deactivated card cannot clock in', () => {
      const off: Person = { ...bob, active: false };
      const { out, state } = replay([directory([alice, off]), read(first, BOB)]);
      expect(out).toEqual([tapped(first, BOB, 'Bob'), ignored(first, BOB, 'Bob', 'inactive')]);
      expect(state.open.size).toBe(0);
    });

    it('a deactivated card cannot clock in before the manager has named it either', () => {
      // A lost badge listed by the clock, never named, then switched off by the manager.
      const off: Person = { card, name: '', active: false, aliases: [] };
      const { out, state } = replay([directory([alice, off]), read(first, card)]);
      expect(out).toEqual([tapped(first, card, null), ignored(first, card, null, 'inactive')]);
      expect(state.open.size).toBe(0);
    });

    it('a card deactivated while clocked in can still clock out, and not back in', () => {
      const off: Person = { ...alice, active: false };
      const again = later + 5 * MINUTE;
      const { out } = replay([
        directory(),
        read(first, ALICE),
        loaded(first + MINUTE, [off, bob]),
        read(later, ALICE),
        read(again, ALICE),
      ]);
      expect(out.slice(2)).toEqual([
        tapped(later, ALICE, 'Alice'),
        clockedOut(later, ALICE, first, 'Alice', 1),
        tapped(again, ALICE, 'Alice'),
        ignored(again, ALICE, 'Alice', 'inactive'),
      ]);
    });

    it('a name typed into People while the card is clocked in is filled in once and used on the clock-out', () => {
      const named: Person = { card, name: 'Dana', active: true, aliases: [] };
      const { out } = replay([
        directory(),
        read(first, card),
        loaded(first + MINUTE, [alice, named]),
        loaded(first + 2 * MINUTE, [alice, named]),
        read(later, card),
      ]);
      expect(out.slice(4)).toEqual([
        { type: 'nameCard', at: first + MINUTE, card, name: 'Dana' },
        tapped(later, card, 'Dana'),
        clockedOut(later, card, first, 'Dana', 1),
      ]);
    });
  });

  describe('open sessions follow the person when People changes (alias added)', () => {
    const inAt = at('2026-05-12T08:00:00+02:00');
    const later = at('2026-05-12T12:00:00+02:00');
    const WEDGE = '0099887766';

    it('the same list again (People read unchanged, every minute) changes nothing and costs nothing', () => {
      const people = [alice, bob];
      const before = replay([loaded(0, people), read(inAt, WEDGE), read(inAt + MINUTE, BOB)]);
      const again = makeReducer(berlin)(before.state, loaded(inAt + HOUR, people));
      expect(again.out).toEqual([]);
      expect(again.state).toBe(before.state);
      // An equal list that is not the same one is read afresh, to the same effect.
      const copy = makeReducer(berlin)(before.state, loaded(inAt + HOUR, [...people]));
      expect(copy.out).toEqual([]);
      expect(copy.state.open).toEqual(before.state.open);
    });

    it('a session opened under an unknown id, which People then makes an alias of a person, is clocked out by that person', () => {
      const { out, state } = replay([
        directory([alice, bob]),
        read(inAt, WEDGE),
        loaded(inAt + HOUR, [{ ...alice, aliases: [WEDGE] }, bob]),
        read(later, ALICE),
      ]);
      expect(out.slice(-2)).toEqual([
        tapped(later, ALICE, 'Alice'),
        {
          ...clockedOut(later, ALICE, inAt, 'Alice', 4),
          session: sessionId(WEDGE, inAt),
        },
      ]);
      expect(state.open.size).toBe(0);
    });

    it('the store is told the session now belongs to the person, after the name is filled in under the old id', () => {
      const { out } = replay([
        directory([alice, bob]),
        read(inAt, WEDGE),
        loaded(inAt + HOUR, [{ ...alice, aliases: [WEDGE] }, bob]),
      ]);
      expect(out.slice(-2)).toEqual([
        { type: 'nameCard', at: inAt + HOUR, card: WEDGE, name: 'Alice' },
        { type: 'followCard', at: inAt + HOUR, session: sessionId(WEDGE, inAt), card: ALICE },
      ]);
    });

    it("a session opened under a person's card, which People then lists as an alias of a new card id, is clocked out by the new id", () => {
      const NEW = 'D0D0D0D0';
      const { out, state } = replay([
        directory([alice, bob]),
        read(inAt, BOB),
        loaded(inAt + HOUR, [alice, { ...bob, card: NEW, aliases: [BOB] }]),
        read(later, NEW),
      ]);
      expect(out.slice(-2)).toEqual([
        tapped(later, NEW, 'Bob'),
        { ...clockedOut(later, NEW, inAt, 'Bob', 4), session: sessionId(BOB, inAt) },
      ]);
      expect(state.open.size).toBe(0);
    });

    it('the guard follows the person too: a tap of the other id right after the clock-in is a double tap', () => {
      const { last } = replay([
        directory([alice, bob]),
        read(inAt, WEDGE),
        loaded(inAt + 10 * SECOND, [{ ...alice, aliases: [WEDGE] }, bob]),
        read(inAt + 30 * SECOND, ALICE),
      ]);
      expect(last).toEqual([
        tapped(inAt + 30 * SECOND, ALICE, 'Alice'),
        ignored(inAt + 30 * SECOND, ALICE, 'Alice', 'double-tap'),
      ]);
    });

    // Found by an audit: the later of the two ids' guards was the later wall time.
    it('the guard follows the person by the monotonic clock: the wall clock stepped back before the other id’s clock-in', () => {
      const { last } = replay([
        directory([alice, bob]),
        readMono(inAt, ALICE, 0),
        readMono(inAt + HOUR, ALICE, HOUR),
        // Stepped back an hour; ten minutes later she taps her new badge, an unknown id.
        readMono(inAt + 10 * MINUTE, WEDGE, HOUR + 10 * MINUTE),
        loaded(inAt + 10 * MINUTE + 10 * SECOND, [{ ...alice, aliases: [WEDGE] }, bob]),
        readMono(inAt + 10 * MINUTE + 30 * SECOND, WEDGE, HOUR + 10 * MINUTE + 30 * SECOND),
      ]);
      expect(last).toEqual([
        tapped(inAt + 10 * MINUTE + 30 * SECOND, ALICE, 'Alice'),
        ignored(inAt + 10 * MINUTE + 30 * SECOND, ALICE, 'Alice', 'double-tap'),
      ]);
    });

    it('a session taken on an unsynchronised clock that followed the person still gets its corrected clock-in', () => {
      const real = at('2026-03-23T10:00:00+01:00');
      const { state } = replay([
        directory([alice, bob]),
        timeSync(0, false, 0),
        readMono(5_000, WEDGE, 5_000),
        loaded(6_000, [{ ...alice, aliases: [WEDGE] }, bob]),
        timeSync(real, true, 65_000),
      ]);
      expect(state.open.get(ALICE)).toMatchObject({
        id: sessionId(WEDGE, 5_000),
        inAt: real - 60_000,
      });
    });

    it('when both ids have a session open, the person keeps their own and the other is left to its auto clock-out', () => {
      const { out, state } = replay([
        directory([alice, bob]),
        read(inAt, WEDGE),
        read(inAt + MINUTE, ALICE),
        loaded(inAt + HOUR, [{ ...alice, aliases: [WEDGE] }, bob]),
        read(later, ALICE),
        tick(inAt + 12 * HOUR),
      ]);
      expect(out.slice(-3)).toEqual([
        tapped(later, ALICE, 'Alice'),
        clockedOut(later, ALICE, inAt + MINUTE, 'Alice', toHours(later - inAt - MINUTE)),
        { ...autoOut(inAt + 12 * HOUR, WEDGE, inAt, 'Alice', 'limit', 12) },
      ]);
      expect(state.open.size).toBe(0);
    });
  });

  describe('events that are not taps', () => {
    it('a reader fault is reported and leaves the sessions as they were (it is only noted for the health block)', () => {
      const before = replay([directory(), read(at('2026-05-12T08:00:00+02:00'), ALICE)]).state;
      const fault: ClockEvent = {
        type: 'readRejected',
        at: at('2026-05-12T08:00:01+02:00'),
        reader: 'door',
        reason: 'contains control or binary bytes',
      };
      const step = makeReducer(berlin)(before, fault);
      expect(step.out).toEqual([
        { type: 'reader-fault', at: fault.at, reader: 'door', reason: fault.reason },
      ]);
      expect(step.state).toEqual({ ...before, readerFault: fault.reason });
    });

    it('sync events leave the sessions as they were', () => {
      const before = replay([directory(), read(at('2026-05-12T08:00:00+02:00'), ALICE)]).state;
      const step = makeReducer(berlin)(before, {
        type: 'batchSynced',
        at: at('2026-05-12T08:00:05+02:00'),
        keys: ['x'],
        requests: 1,
      });
      expect(step).toEqual({ state: before, out: [] });
    });
  });

  describe('honest time', () => {
    it('taps on an unsynchronised clock are marked, then corrected from the monotonic clock when it syncs', () => {
      // The Pi booted believing it is 1970-01-01 (no battery clock). Bob taps in 10 s after boot and
      // out 1 h later; NTP sets the clock 2 h after boot, to 10:00 on 2026-03-23.
      const stale = 0;
      const real = at('2026-03-23T10:00:00+01:00');
      const { out, state } = replay([
        directory(),
        timeSync(stale, false, 0),
        readMono(stale + 10_000, BOB, 10_000),
        readMono(stale + 3_610_000, BOB, 3_610_000),
        timeSync(real, true, 7_200_000),
      ]);
      expect(out.filter((o) => o.type === 'clock-in' || o.type === 'clock-out')).toEqual([
        expect.objectContaining({ type: 'clock-in', unsynced: true }),
        expect.objectContaining({ type: 'clock-out', unsynced: true, hours: 1 }),
      ]);
      const session = out.find((o) => o.type === 'clock-in');
      expect(out.at(-1)).toEqual({
        type: 'correctTimes',
        at: real,
        sessions: [
          {
            session: session?.type === 'clock-in' ? session.session : '',
            card: BOB,
            inAt: real - 7_190_000,
            outAt: real - 3_590_000,
          },
        ],
      });
      expect(state.timeSynced).toBe(true);
    });

    it('an open session taken before the sync gets its corrected clock-in', () => {
      const real = at('2026-03-23T10:00:00+01:00');
      const { state } = replay([
        directory(),
        timeSync(0, false, 0),
        readMono(5_000, BOB, 5_000),
        timeSync(real, true, 65_000),
      ]);
      expect(state.open.get(BOB)?.inAt).toBe(real - 60_000);
    });

    it('NTP stepping a stale clock forward by more than the limit does not make a minute-old session overdue', () => {
      // A Pi without a battery clock boots believing it is its last shutdown, 2.5 days ago. Bob
      // taps in 10 s after boot; a minute later NTP steps the clock forward and a tick comes.
      const stale = at('2026-03-20T18:00:00+01:00');
      const real = at('2026-03-23T08:00:00+01:00');
      const { out, state } = replay([
        directory(),
        timeSync(stale, false, 0),
        readMono(stale + 10_000, BOB, 10_000),
        tickMono(real, 70_000),
        tickMono(real + MINUTE, 130_000),
      ]);
      expect(out.filter((o) => o.type === 'auto-out')).toEqual([]);
      expect(state.open.get(BOB)?.inAt).toBe(stale + 10_000);
      // The sync corrects the clock-in; Bob's next tap clocks him out after his real 5 minutes.
      const after = replay(
        [
          timeSync(real + 2 * MINUTE, true, 190_000),
          tickMono(real + 3 * MINUTE, 250_000),
          readMono(real + 5 * MINUTE, BOB, 310_000),
        ],
        berlin,
        state,
      );
      expect(after.out[0]).toEqual({
        type: 'correctTimes',
        at: real + 2 * MINUTE,
        sessions: [
          {
            session: sessionId(BOB, stale + 10_000),
            card: BOB,
            inAt: real + 2 * MINUTE - 180_000,
            outAt: null,
          },
        ],
      });
      // Really 6 minutes: in at real - 1 min (corrected), out at real + 5 min; same session id.
      expect(after.last).toEqual([
        tapped(real + 5 * MINUTE, BOB, 'Bob'),
        {
          ...clockedOut(real + 5 * MINUTE, BOB, real - MINUTE, 'Bob', toHours(6 * MINUTE)),
          session: sessionId(BOB, stale + 10_000),
          tapMono: 310_000,
        },
      ]);
    });

    it('a session on an unsynchronised clock that really reaches its limit is closed there, and the sync moves its in and out alike', () => {
      const stale = at('2026-03-20T18:00:00+01:00');
      const real = at('2026-03-23T08:00:00+01:00');
      const inAt = stale + 10_000;
      const { out } = replay([
        directory(),
        timeSync(stale, false, 0),
        readMono(inAt, BOB, 10_000),
        // The network is down all night: the stale clock runs on, 12 h really pass.
        tickMono(stale + 12 * HOUR + MINUTE, 12 * HOUR + MINUTE),
        timeSync(real, true, 13 * HOUR),
      ]);
      expect(out.filter((o) => o.type === 'auto-out')).toEqual([
        { ...autoOut(inAt + 12 * HOUR, BOB, inAt, 'Bob', 'limit', 12), mono: 10_000 + 12 * HOUR },
      ]);
      const correctedIn = real - (13 * HOUR - 10_000);
      expect(out.at(-1)).toEqual({
        type: 'correctTimes',
        at: real,
        sessions: [
          {
            session: sessionId(BOB, inAt),
            card: BOB,
            inAt: correctedIn,
            outAt: correctedIn + 12 * HOUR,
          },
        ],
      });
    });

    it('a wall clock set back while a session is open closes it at its real limit, not an hour late', () => {
      const inAt = at('2026-03-23T08:00:00+01:00');
      const events = [directory(), readMono(inAt, BOB, 1_000)];
      // Set back an hour at some point: the wall reads 11 h after the clock-in when 12 h have passed.
      expect(
        replay([...events, tickMono(inAt + 11 * HOUR - MINUTE, 1_000 + 12 * HOUR - MINUTE)]).last,
      ).toEqual([]);
      expect(replay([...events, tickMono(inAt + 11 * HOUR, 1_000 + 12 * HOUR)]).last).toEqual([
        autoOut(inAt + 12 * HOUR, BOB, inAt, 'Bob', 'limit', 12),
      ]);
    });

    it('a tick naming an earlier minute than the one before (the wall clock went back) closes nothing and changes nothing', () => {
      const inAt = at('2026-03-23T08:00:00+01:00');
      const before = replay([directory(), read(inAt, BOB), tick(inAt + 2 * HOUR)]);
      const step = makeReducer(berlin)(before.state, tick(inAt + HOUR));
      expect(step).toEqual({ state: before.state, out: [] });
    });

    it('a wall-clock jump between in and out never gives a negative or absurd duration', () => {
      const t0 = at('2026-03-23T09:00:00+01:00');
      // Someone sets the clock back 3 hours while Bob is in; 30 minutes really pass.
      const back = replay([
        directory(),
        readMono(t0, BOB, 1_000),
        readMono(t0 - 3 * HOUR + 30 * MINUTE, BOB, 1_801_000),
      ]);
      expect(back.out.at(-1)).toMatchObject({
        type: 'clock-out',
        hours: 0.5,
        at: t0 + 30 * MINUTE,
      });
      // And forward by a day: still 30 minutes.
      const ahead = replay([
        directory(),
        readMono(t0, BOB, 1_000),
        readMono(t0 + 24 * HOUR + 30 * MINUTE, BOB, 1_801_000),
      ]);
      expect(ahead.out.at(-1)).toMatchObject({ type: 'clock-out', hours: 0.5 });
    });
  });

  it('replaying a day gives the sessions a person would write down by hand', () => {
    const day = (hms: string): number => at(`2026-05-12T${hms}+02:00`);
    const reads: CardRead[] = [
      // Bob holds his card on the reader for five seconds, then taps again to be sure.
      read(day('08:45:03.000'), BOB),
      read(day('08:45:03.400'), BOB),
      read(day('08:45:04.100'), BOB),
      read(day('08:45:05.000'), BOB),
      read(day('08:45:06.200'), BOB),
      read(day('08:45:07.900'), BOB),
      read(day('08:45:21.000'), BOB),
      read(day('08:59:12.000'), ALICE),
      read(day('09:10:07.000'), CAROL),
      read(day('12:31:40.000'), ALICE),
      read(day('13:02:05.000'), ALICE),
      read(day('17:04:30.000'), ALICE),
      // Bob again holds his card, then taps once more on his way out.
      read(day('17:30:10.000'), BOB),
      read(day('17:30:10.600'), BOB),
      read(day('17:30:11.500'), BOB),
      read(day('17:30:13.000'), BOB),
      read(day('17:30:40.000'), BOB),
      // Carol never clocks out.
    ];
    const events = [directory(), ...reads, ...ticks(day('08:00:00'), day('22:00:00'))].sort(
      (a, b) => a.at - b.at,
    );
    const { out, state } = replay(events);

    // What a person would write down from the day, in order of arrival:
    //   Bob    08:45 - 17:30   8h 45m
    //   Alice  08:59 - 12:31   3h 32m
    //   Carol  09:10 - 21:10  12h 00m  (forgot to clock out: closed at the 12 h limit)
    //   Alice  13:02 - 17:04   4h 02m  (7h 34m for the day)
    const writtenByHand = [
      ['Bob', '08:45', '17:30', '8h 45m', 'out'],
      ['Alice', '08:59', '12:31', '3h 32m', 'out'],
      ['Carol', '09:10', '21:10', '12h 00m', 'auto'],
      ['Alice', '13:02', '17:04', '4h 02m', 'out'],
    ];
    const sessions = out
      .flatMap((o) => (o.type === 'clock-out' || o.type === 'auto-out' ? [o] : []))
      .sort((a, b) => a.inAt - b.inAt)
      .map((o) => [
        o.name,
        formatLocalTime(o.inAt, BERLIN),
        formatLocalTime(o.at, BERLIN),
        formatDuration(Math.round(o.hours * HOUR)),
        o.type === 'auto-out' ? 'auto' : 'out',
      ]);
    expect(sessions).toEqual(writtenByHand);

    const aliceOut = out.filter((o) => o.type === 'clock-out' && o.card === ALICE).at(-1);
    expect(aliceOut?.type === 'clock-out' && formatDuration(aliceOut.todayHours * HOUR)).toBe(
      '7h 34m',
    );
    // Bob's two extra taps were ignored with their own feedback, and nobody is left clocked in.
    expect(out.filter((o) => o.type === 'ignored')).toEqual([
      ignored(day('08:45:21'), BOB, 'Bob', 'double-tap'),
      ignored(day('17:30:40'), BOB, 'Bob', 'double-tap'),
    ]);
    expect(out.filter((o) => o.type === 'tap')).toHaveLength(9);
    expect(state.open.size).toBe(0);
  });
});
