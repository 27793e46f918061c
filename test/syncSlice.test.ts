/**
 * The sync slice as a pure function, without RxJS: what it decides when the
 * wall clock is stepped back during a park, and what the health block counts
 * after a restart.
 */
import type { OutboxEntry } from '../streams/commit';
import type { ClockEvent, LiveUpdate, Output } from '../streams/events';
import { initialState } from '../streams/sessions';
import { initialSyncState, makeSyncReducer, type SyncState } from '../streams/sync';

const options = { enabled: true, batchSize: 2, blockedMs: 300_000 };
const reduce = makeSyncReducer(options);
const entry: OutboxEntry = { kind: 'card-listed', key: 'card:C1', card: 'C1', at: 0 };

function fold(events: ClockEvent[]): { state: SyncState; out: Output[] } {
  let state = initialSyncState;
  const out: Output[] = [];
  for (const event of events) {
    const step = reduce(state, event, initialState);
    state = step.state;
    out.push(...step.out);
  }
  return { state, out };
}

const T = Date.parse('2026-03-02T08:00:00Z');

/** One entry sent, and refused for good: the outbox is parked from T + 1 s. */
const parked: ClockEvent[] = [
  { type: 'outboxChanged', at: T, head: [entry], depth: 1 },
  {
    type: 'batchFailed',
    at: T + 1_000,
    keys: [entry.key],
    reason: 'no permission',
    final: true,
    retryInMs: null,
  },
];

describe('the sync slice', () => {
  it('a wall clock set back an hour during a park does not hold the outbox an hour longer', () => {
    const { out } = fold([
      ...parked,
      // NTP (or a person) sets the clock back an hour; ticks go on from there.
      { type: 'minuteElapsed', at: T - 3_600_000 + 360_000 },
    ]);
    const writes = out.filter((o) => o.type === 'writeBatch');
    // The first write, then the one after the park: the park ended by elapsed time, 6 minutes on.
    expect(writes).toHaveLength(2);
  });

  it('a park still holds the outbox for its whole length when the clock does not jump', () => {
    const { out } = fold([...parked, { type: 'minuteElapsed', at: T + 240_000 }]);
    expect(out.filter((o) => o.type === 'writeBatch')).toHaveLength(1);
  });

  it('the health block counts the entries set aside before a restart', () => {
    const { out } = fold([
      { type: 'outboxChanged', at: T, head: [], depth: 0, setAside: 3 },
      { type: 'minuteElapsed', at: T + 60_000 },
    ]);
    const live = out.find((o): o is LiveUpdate => o.type === 'liveUpdate');
    expect(live?.health.setAside).toBe(3);
  });
});
