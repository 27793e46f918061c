/**
 * A session id is made of the card and the clock-in instant (streams/sessionState.ts). A wall
 * clock stepped back can bring a card's tap onto the very millisecond of one of its earlier
 * clock-ins: the second session must get an id of its own, or the store's UNIQUE key stops the
 * clock (rule 12: no clock step stops the clock). Found by an audit of the store's keys; the
 * voided, corrected and older sessions by a review: an id stays as it was made.
 */
import type { ClockEvent, Output } from '../streams/events';
import { Store } from '../src/drivers/store/store';
import { sessionId } from '../streams/sessions';
import { booted, correctionOf, HOUR, MINUTE, people, tempDir } from './support/store-fixtures';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const M0 = 5_000_000;
const ALICE = 'A11CE000';

const tap = (at: number, mono: number): ClockEvent => ({
  type: 'cardRead',
  at,
  card: ALICE,
  reader: 'door',
  mono,
});

const clockIns = (outs: readonly Output[]) =>
  outs.flatMap((o) => (o.type === 'clock-in' ? [{ at: o.at, session: o.session }] : []));

function withStore<T>(work: (store: Store) => T): T {
  const dir = tempDir('same-instant');
  const store = Store.open(`${dir.path}/clock.db`);
  try {
    return work(store);
  } finally {
    store.close();
    dir.remove();
  }
}

describe('a clock-in on the millisecond of an earlier clock-in of the same card', () => {
  it('gets its own session, the clock running on, when the wall clock was stepped back', () => {
    withStore((store) => {
      const run = booted(store, 'boot-1', T0);
      const outs = run(
        people(T0, [{ card: ALICE, name: 'Alice' }]),
        tap(T0, M0),
        tap(T0 + 2 * HOUR, M0 + 2 * HOUR),
        // The wall clock is stepped back 3 hours; Alice taps on the millisecond of her clock-in.
        tap(T0, M0 + 3 * HOUR),
      );
      const ins = clockIns(outs);
      expect(ins).toHaveLength(2);
      expect(ins[1]?.session).not.toBe(ins[0]?.session);
      expect(store.allSessions().map((s) => s.status)).toEqual(['out', 'in']);
    });
  });

  it('gets its own session after a restart on a stepped-back clock', () => {
    withStore((store) => {
      booted(store, 'boot-1', T0)(
        people(T0, [{ card: ALICE, name: 'Alice' }]),
        tap(T0, M0),
        tap(T0 + 2 * HOUR, M0 + 2 * HOUR),
      );
      // A power cut; the next boot's clock starts an hour before the first clock-in.
      const start = T0 - HOUR;
      const outs = booted(store, 'boot-2', start)(
        { type: 'clockStarted', at: start, mono: 1_000 },
        people(start, [{ card: ALICE, name: 'Alice' }]),
        tap(T0, 1_000 + HOUR),
      );
      const [first] = store.allSessions();
      expect(clockIns(outs)).toHaveLength(1);
      expect(clockIns(outs)[0]?.session).not.toBe(first?.id);
      expect(store.allSessions()).toHaveLength(2);
    });
  });

  const alice = { card: ALICE, name: 'Alice' };
  const stale = Date.parse('2026-03-23T22:50:00Z');
  const real = Date.parse('2026-03-24T07:00:00Z');
  /** Alice works an hour on a stale clock (boot-1), then NTP moves the session to the real time. */
  const correctedOnBoot1 = (store: Store) => {
    const run = booted(store, 'boot-1', stale);
    run(
      people(stale, [alice]),
      { type: 'clockStarted', at: stale, mono: 0 },
      { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
      tap(stale + MINUTE, MINUTE),
      tap(stale + HOUR, HOUR),
      { type: 'timeSyncChanged', at: real + 2 * HOUR, synced: true, mono: 2 * HOUR },
    );
    return run;
  };
  const twoSessions = (store: Store): void => {
    expect(new Set(store.allSessions().map((s) => s.id)).size).toBe(2);
  };

  it("gets its own session on the millisecond of a voided session's clock-in", () => {
    withStore((store) => {
      const run = booted(store, 'boot-1', T0);
      run(people(T0, [alice]), tap(T0, M0), tap(T0 + 2 * HOUR, M0 + 2 * HOUR));
      run(
        correctionOf(T0 + 3 * HOUR, sessionId(ALICE, T0), alice, {
          changes: [{ field: 'status', old: 'out', new: 'void' }],
          inAt: T0,
          outAt: T0 + 2 * HOUR,
          voided: true,
          status: 'void',
        }),
      );
      expect(clockIns(run(tap(T0, M0 + 4 * HOUR)))).toHaveLength(1);
      twoSessions(store);
    });
  });

  it('gets its own session on the stale millisecond of a session the sync corrected, in the same boot', () => {
    withStore((store) => {
      const run = correctedOnBoot1(store);
      expect(clockIns(run(tap(stale + MINUTE, 3 * HOUR)))).toHaveLength(1);
      twoSessions(store);
    });
  });

  it('gets its own session there in the next boot, which starts on the same stale time', () => {
    withStore((store) => {
      correctedOnBoot1(store);
      const run = booted(store, 'boot-2', stale);
      run(
        people(stale, [alice]),
        { type: 'clockStarted', at: stale, mono: 0 },
        { type: 'timeSyncChanged', at: stale, synced: false, mono: 0 },
      );
      expect(clockIns(run(tap(stale + MINUTE, MINUTE)))).toHaveLength(1);
      twoSessions(store);
    });
  });

  it('gets its own session after the wall clock stepped back ten days', () => {
    withStore((store) => {
      const run = booted(store, 'boot-1', T0);
      const later = T0 + 240 * HOUR;
      run(people(T0, [alice]), tap(T0, M0), tap(T0 + 2 * HOUR, M0 + 2 * HOUR));
      run(tap(later, M0 + 240 * HOUR), tap(later + HOUR, M0 + 241 * HOUR));
      expect(clockIns(run(tap(T0, M0 + 264 * HOUR)))).toHaveLength(1);
      expect(new Set(store.allSessions().map((s) => s.id)).size).toBe(3);
    });
  });
});
