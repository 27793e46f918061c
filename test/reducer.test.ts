/**
 * The one reducer, without RxJS: events folded by hand, as a person would
 * write the day down.
 */
import type { Person } from '../streams/directory';
import type { ClockEvent, Output } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import {
  initialState,
  makeReducer,
  restoreState,
  sessionId,
  type ClockState,
} from '../streams/sessions';

const ZONE = 'Europe/Berlin';
const at = (local: string): number => {
  // Local wall-clock time in Berlin, as a person reads it (CET +01:00 or CEST +02:00).
  const instant = new Date(`${local}+01:00`).getTime();
  const offsetHours = new Intl.DateTimeFormat('en', { timeZone: ZONE, timeZoneName: 'shortOffset' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')
    ?.value.replace('GMT', '');
  return new Date(`${local}${offsetHours === '+2' ? '+02:00' : '+01:00'}`).getTime();
};

const people: Person[] = [
  { card: '04A3C6CAE26180', name: 'Alice', active: true, aliases: ['0012345678'] },
  { card: 'B0B0B0B0', name: 'Bob', active: true, aliases: [] },
  { card: 'CAFE0001', name: 'Carol', active: true, aliases: [] },
  { card: 'D0D0D0D0', name: 'Dave', active: false, aliases: [] },
];

function fold(
  events: ClockEvent[],
  rules: Rules = defaultRules(ZONE),
  start: ClockState = initialState,
): { state: ClockState; out: Output[] } {
  const reduce = makeReducer(rules);
  let state = start;
  const out: Output[] = [];
  for (const event of events) {
    const step = reduce(state, event);
    state = step.state;
    out.push(...step.out);
  }
  return { state, out };
}

const read = (when: number, card: string, reader = 'door'): ClockEvent => ({
  type: 'cardRead',
  at: when,
  card,
  reader,
});
const tick = (when: number): ClockEvent => ({ type: 'minuteElapsed', at: when });
const directory: ClockEvent = { type: 'directoryLoaded', at: 0, people };

/** Minute ticks from `from` to `to`, as the clock's scheduler would make them. */
function ticks(from: number, to: number): ClockEvent[] {
  const out: ClockEvent[] = [];
  for (let t = Math.ceil(from / 60_000) * 60_000; t <= to; t += 60_000) out.push(tick(t));
  return out;
}

/** What a person writes down: who, in, out (local HH:mm), how it ended. */
function sessionsOf(out: Output[]): string[] {
  const hhmm = (ms: number): string =>
    new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit' }).format(
      ms,
    );
  return out.flatMap((o) =>
    o.type === 'clock-out' || o.type === 'auto-out'
      ? [
          `${o.name ?? o.card} ${hhmm(o.inAt)}-${hhmm(o.at)} ${o.type === 'auto-out' ? 'auto' : 'out'} ${o.hours}h`,
        ]
      : [],
  );
}

describe('the reducer', () => {
  it('replaying a day gives the sessions a person would write down by hand', () => {
    // The day of 2026-03-23 at one door, as it happened:
    //  - Alice clocks in at 08:59, out for lunch at 12:31 (with the wedge reader: her decimal alias),
    //    back at 13:02, out at 17:04;
    //  - Bob holds his card on the reader at 09:10 for 5 s (re-read every 500 ms), then taps again
    //    by accident 30 s later, and leaves at 16:00;
    //  - Carol clocks in at 10:00 and forgets to clock out.
    // By hand: Alice 08:59-12:31 (3h32m), 13:02-17:04 (4h02m); Bob 09:10-16:00 (6h50m);
    // Carol 10:00 and, with no clock-out, closed at the 12 h limit: 22:00 auto.
    const bobHeld = Array.from({ length: 11 }, (_, i) =>
      read(at('2026-03-23T09:10:00') + i * 500, 'B0B0B0B0'),
    );
    const taps = [
      read(at('2026-03-23T08:59:00'), '04A3C6CAE26180'),
      ...bobHeld,
      read(at('2026-03-23T09:10:35'), 'B0B0B0B0'),
      read(at('2026-03-23T10:00:00'), 'CAFE0001'),
      read(at('2026-03-23T12:31:00'), '0012345678', 'wedge'),
      read(at('2026-03-23T13:02:00'), '04A3C6CAE26180'),
      read(at('2026-03-23T16:00:00'), 'B0B0B0B0'),
      read(at('2026-03-23T17:04:00'), '04A3C6CAE26180'),
    ];
    const events = [
      directory,
      ...taps,
      ...ticks(at('2026-03-23T08:00:00'), at('2026-03-24T08:00:00')),
    ].sort((a, b) => a.at - b.at);
    const { out, state } = fold(events);
    expect(sessionsOf(out)).toEqual([
      'Alice 08:59-12:31 out 3.533333h',
      'Bob 09:10-16:00 out 6.833333h',
      'Alice 13:02-17:04 out 4.033333h',
      'Carol 10:00-22:00 auto 12h',
    ]);
    expect(out.filter((o) => o.type === 'ignored')).toEqual([
      expect.objectContaining({
        card: 'B0B0B0B0',
        reason: 'double-tap',
        at: at('2026-03-23T09:10:35'),
      }),
    ]);
    expect(out.filter((o) => o.type === 'tap')).toHaveLength(8);
    expect(state.open.size).toBe(0);
    const lastOut = out.filter((o) => o.type === 'clock-out').at(-1);
    expect(lastOut).toMatchObject({ name: 'Alice', todayHours: 7.566667 });
  });

  it('durations across the spring DST change are real elapsed hours', () => {
    // 22:00 CET on 2026-03-28 to 08:00 CEST on 2026-03-29: the clock went 02:00 → 03:00, so 9 hours.
    const { out } = fold([
      directory,
      read(at('2026-03-28T22:00:00'), 'B0B0B0B0'),
      read(at('2026-03-29T08:00:00'), 'B0B0B0B0'),
    ]);
    // Midnight to 08:00 on the short day is 7 real hours.
    expect(out.at(-1)).toMatchObject({ type: 'clock-out', hours: 9, todayHours: 7 });
  });

  it('durations across the autumn DST change are real elapsed hours', () => {
    // 22:00 CEST on 2026-10-24 to 08:00 CET on 2026-10-25: 03:00 happened twice, so 11 hours.
    const { out } = fold([
      directory,
      read(at('2026-10-24T22:00:00'), 'B0B0B0B0'),
      read(at('2026-10-25T08:00:00'), 'B0B0B0B0'),
    ]);
    expect(out.at(-1)).toMatchObject({ type: 'clock-out', hours: 11, todayHours: 9 });
  });

  it('a read exactly the debounce window after the previous one is a new presentation', () => {
    const t0 = at('2026-03-23T09:00:00');
    const rules = { ...defaultRules(ZONE), guardMs: 0 };
    const { out } = fold(
      [directory, read(t0, 'B0B0B0B0'), read(t0 + 2_999, 'B0B0B0B0'), read(t0 + 5_999, 'B0B0B0B0')],
      rules,
    );
    // 2 999 ms later: the same presentation; 3 000 ms after that read: a new tap.
    expect(out.filter((o) => o.type === 'tap').map((o) => o.at)).toEqual([t0, t0 + 5_999]);
  });

  it('a tap exactly the guard interval after the last accepted tap is accepted', () => {
    const t0 = at('2026-03-23T09:00:00');
    const before = fold([directory, read(t0, 'B0B0B0B0'), read(t0 + 59_999, 'B0B0B0B0')]).out;
    const exactly = fold([directory, read(t0, 'B0B0B0B0'), read(t0 + 60_000, 'B0B0B0B0')]).out;
    expect(before.filter((o) => o.type !== 'tap').map((o) => o.type)).toEqual([
      'clock-in',
      'ignored',
    ]);
    expect(exactly.filter((o) => o.type !== 'tap').map((o) => o.type)).toEqual([
      'clock-in',
      'clock-out',
    ]);
  });

  it('under the reject policy an unknown card only gets feedback, and is listed for naming once', () => {
    const rules = { ...defaultRules(ZONE), unknownCards: 'reject' as const };
    const t0 = at('2026-03-23T09:00:00');
    const { out, state } = fold(
      [directory, read(t0, 'EEEE0002'), read(t0 + 120_000, 'EEEE0002')],
      rules,
    );
    expect(out.map((o) => o.type)).toEqual(['tap', 'unknown', 'listCard', 'tap', 'unknown']);
    expect(out[1]).toMatchObject({ policy: 'reject', card: 'EEEE0002', name: null });
    expect(state.open.size).toBe(0);
  });

  it('a deactivated card cannot clock in', () => {
    const { out } = fold([directory, read(at('2026-03-23T09:00:00'), 'D0D0D0D0')]);
    expect(out.map((o) => o.type)).toEqual(['tap', 'ignored']);
    expect(out[1]).toMatchObject({ reason: 'inactive' });
  });

  it('the daily cut-off closes a session at the cut-off when it comes before the limit', () => {
    const rules = { ...defaultRules(ZONE), dailyCutoff: '20:00' };
    const { out } = fold(
      [
        directory,
        read(at('2026-03-23T15:00:00'), 'B0B0B0B0'),
        ...ticks(at('2026-03-23T15:01:00'), at('2026-03-23T21:00:00')),
      ],
      rules,
    );
    expect(out.at(-1)).toMatchObject({
      type: 'auto-out',
      reason: 'cutoff',
      at: at('2026-03-23T20:00:00'),
      hours: 5,
    });
  });

  it('a tick closes several overdue sessions in the order they fell due', () => {
    const { out } = fold([
      directory,
      read(at('2026-03-23T08:00:30'), 'CAFE0001'),
      read(at('2026-03-23T08:00:10'), 'B0B0B0B0'),
      tick(at('2026-03-23T20:01:00')),
    ]);
    expect(out.filter((o) => o.type === 'auto-out').map((o) => o.card)).toEqual([
      'B0B0B0B0',
      'CAFE0001',
    ]);
  });

  it('a restarted clock closes what passed its limit while it was off at the limit, not at restart', () => {
    const inAt = at('2026-03-23T08:00:00');
    const start = restoreState({
      open: [
        { id: sessionId('B0B0B0B0', inAt), card: 'B0B0B0B0', name: 'Bob', inAt, reader: 'door' },
      ],
      lastAccepted: [{ card: 'B0B0B0B0', at: inAt }],
      recent: [],
      listed: [],
    });
    const { out } = fold(
      [{ type: 'clockStarted', at: at('2026-03-24T07:00:00') }],
      defaultRules(ZONE),
      start,
    );
    expect(out).toEqual([
      expect.objectContaining({
        type: 'auto-out',
        at: at('2026-03-23T20:00:00'),
        reason: 'limit',
        hours: 12,
      }),
    ]);
  });

  it('a name typed into People for an unknown card is filled into its sessions once', () => {
    const t0 = at('2026-03-23T09:00:00');
    const { out } = fold([
      directory,
      read(t0, 'EEEE0001'),
      {
        type: 'directoryLoaded',
        at: t0 + 60_000,
        people: [...people, { card: 'EEEE0001', name: 'Erin', active: true, aliases: [] }],
      },
      {
        type: 'directoryLoaded',
        at: t0 + 120_000,
        people: [...people, { card: 'EEEE0001', name: 'Erin', active: true, aliases: [] }],
      },
    ]);
    expect(out.filter((o) => o.type === 'nameCard')).toEqual([
      { type: 'nameCard', at: t0 + 60_000, card: 'EEEE0001', name: 'Erin' },
    ]);
  });

  describe('honest time', () => {
    const syncEvent = (when: number, synced: boolean, mono: number): ClockEvent => ({
      type: 'timeSyncChanged',
      at: when,
      synced,
      mono,
    });
    const readAt = (when: number, card: string, mono: number): ClockEvent => ({
      type: 'cardRead',
      at: when,
      card,
      reader: 'door',
      mono,
    });

    it('taps on an unsynchronised clock are marked, then corrected from the monotonic clock when it syncs', () => {
      // The Pi booted believing it is 1970-01-01 (no battery clock). Bob taps in 10 s after boot and
      // out 1 h later; NTP sets the clock 2 h after boot, to 10:00 on 2026-03-23.
      const stale = 0;
      const real = at('2026-03-23T10:00:00');
      const { out, state } = fold([
        directory,
        syncEvent(stale, false, 0),
        readAt(stale + 10_000, 'B0B0B0B0', 10_000),
        readAt(stale + 3_610_000, 'B0B0B0B0', 3_610_000),
        syncEvent(real, true, 7_200_000),
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
            card: 'B0B0B0B0',
            inAt: real - 7_190_000,
            outAt: real - 3_590_000,
          },
        ],
      });
      expect(state.timeSynced).toBe(true);
    });

    it('an open session taken before the sync gets its corrected clock-in', () => {
      const real = at('2026-03-23T10:00:00');
      const { state } = fold([
        directory,
        syncEvent(0, false, 0),
        readAt(5_000, 'B0B0B0B0', 5_000),
        syncEvent(real, true, 65_000),
      ]);
      expect(state.open.get('B0B0B0B0')?.inAt).toBe(real - 60_000);
    });

    it('a wall-clock jump between in and out never gives a negative or absurd duration', () => {
      const t0 = at('2026-03-23T09:00:00');
      // Someone sets the clock back 3 hours while Bob is in; 30 minutes really pass.
      const back = fold([
        directory,
        readAt(t0, 'B0B0B0B0', 1_000),
        readAt(t0 - 3 * 3_600_000 + 1_800_000, 'B0B0B0B0', 1_801_000),
      ]);
      expect(back.out.at(-1)).toMatchObject({ type: 'clock-out', hours: 0.5, at: t0 + 1_800_000 });
      // And forward by a day: still 30 minutes.
      const ahead = fold([
        directory,
        readAt(t0, 'B0B0B0B0', 1_000),
        readAt(t0 + 86_400_000 + 1_800_000, 'B0B0B0B0', 1_801_000),
      ]);
      expect(ahead.out.at(-1)).toMatchObject({ type: 'clock-out', hours: 0.5 });
    });
  });
});
