/**
 * Decisions a clock takes before NTP has set its wall clock (a Pi boots with
 * the time of its last shutdown): none of them may stay wrong once the clock
 * is synchronised. A real store on a temporary SQLite file and the one
 * reducer, one step per event, each committed with its boot.
 */
import { join } from 'node:path';
import type { ClockEvent, Output } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import { makeReducer, restoreState, sessionId, type ClockState } from '../streams/sessions';
import { toCommit } from '../streams/commit';
import { Store } from '../src/drivers/store/store';
import { MINUTE, people, read, tempDir } from './support/store-fixtures';

const ALICE = 'A11CE000';
const UTC = defaultRules('UTC');
const HOUR_MS = 60 * MINUTE;

/** The clock's core after a (re)start in `boot`, committing each step to the store. */
function booted(store: Store, boot: string, now: number, rules: Rules = UTC) {
  const reduce = makeReducer(rules);
  let state: ClockState = restoreState(store.snapshot(now, boot));
  return (...events: ClockEvent[]): Output[] =>
    events.flatMap((event) => {
      const step = reduce(state, event);
      state = step.state;
      if (step.out.length > 0) store.commit(toCommit(step.out), event.at, boot);
      return step.out;
    });
}

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
});
