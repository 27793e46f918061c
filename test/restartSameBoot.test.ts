/**
 * A restart in the same boot changes nothing a person would see (rules 7 and 12): each test
 * plays the same events into a clock that is never killed and into one killed after `before`
 * and restarted from its store (a copy of the file as the kill left it), and expects the two
 * to tell the person the same. Found by an audit that compared the two on random events.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { toCommit } from '../streams/commit';
import type { ClockEvent, Output } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, restoreState, type ClockState } from '../streams/sessions';
import { Store } from '../src/drivers/store/store';
import { HOUR, MINUTE, people, tempDir } from './support/store-fixtures';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const M0 = 5_000_000;
const ALICE = 'A11CE000';
const BOB = 'B0B0B0B0';
const UTC = defaultRules('UTC');
const BOOT = 'boot-1';

const tap = (at: number, mono: number, card = ALICE): ClockEvent => ({
  type: 'cardRead',
  at,
  card,
  reader: 'door',
  mono,
});

/** What a person sees: each tap's outcome, with its times and session. */
const seen = (outs: readonly Output[]): unknown[] =>
  outs.flatMap((o) =>
    o.type === 'clock-in' || o.type === 'clock-out' || o.type === 'ignored' || o.type === 'auto-out'
      ? [
          {
            type: o.type,
            at: o.at,
            card: o.card,
            ...(o.type === 'auto-out' ? { name: o.name } : {}),
            ...('session' in o ? { session: o.session } : {}),
            ...(o.type === 'clock-out'
              ? { hours: o.hours, todayHours: o.todayHours, weekHours: o.weekHours }
              : {}),
          },
        ]
      : [],
  );

/**
 * Plays `before` into a store, copies it as a clock killed then, restarts that copy at
 * `restart` (the start, then People as loaded at start), and plays `after` into both.
 */
function runningAndRestarted(
  before: readonly ClockEvent[],
  restart: { readonly at: number; readonly mono: number; readonly people: ClockEvent },
  after: readonly ClockEvent[],
): { running: unknown[]; restarted: unknown[] } {
  const dir = tempDir('restart-faults');
  const reduce = makeReducer(UTC);
  const play = (store: Store, start: ClockState, events: readonly ClockEvent[]) => {
    let state = start;
    const outs: Output[] = [];
    for (const event of events) {
      const step = reduce(state, event);
      state = step.state;
      if (step.out.length > 0) store.commit(toCommit(step.out), event.at, BOOT);
      outs.push(...step.out);
    }
    return { state, outs };
  };
  try {
    const file = join(dir.path, 'running.db');
    const copy = join(dir.path, 'killed.db');
    let store = Store.open(file);
    const { state } = play(store, initialState, before);
    store.close();
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    store = Store.open(file);
    const running = play(store, state, after).outs;
    store.close();
    const killed = Store.open(copy);
    const restarted = play(killed, restoreState(killed.snapshot(restart.at, BOOT)), [
      { type: 'clockStarted', at: restart.at, mono: restart.mono },
      restart.people,
      ...after,
    ]).outs;
    killed.close();
    return { running: seen(running), restarted: seen(restarted) };
  } finally {
    dir.remove();
  }
}

const ALICE_BOB = [
  { card: ALICE, name: 'Alice' },
  { card: BOB, name: 'Bob' },
];

describe('a restart in the same boot changes nothing a person would see', () => {
  it('the last card tapped before a restart, tapped again just after the start, counts', () => {
    // The tap was an hour before: the card is not on the reader any more, whatever it was last.
    const { running, restarted } = runningAndRestarted(
      [people(T0, ALICE_BOB), tap(T0, M0)],
      { at: T0 + HOUR, mono: M0 + HOUR, people: people(T0 + HOUR, ALICE_BOB) },
      [tap(T0 + HOUR + 500, M0 + HOUR + 500)],
    );
    expect(restarted).toEqual(running);
    expect(restarted).toMatchObject([{ type: 'clock-out' }]);
  });

  it('a double tap after a clock-out is still ignored after a restart, NTP having stepped the clock since', () => {
    const out = T0 + HOUR;
    const step = 5 * MINUTE; // NTP steps the wall clock forward 5 minutes after the clock-out
    const { running, restarted } = runningAndRestarted(
      [people(T0, ALICE_BOB), tap(T0, M0), tap(out, M0 + HOUR)],
      { at: out + step + 10_000, mono: M0 + HOUR + 10_000, people: people(out + step, ALICE_BOB) },
      [tap(out + step + 30_000, M0 + HOUR + 30_000)],
    );
    expect(restarted).toEqual(running);
  });
});
