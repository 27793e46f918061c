/**
 * Another door's tap after a restart, through the real store (SQLite file):
 * the snapshot gives the clock back its own times (`foldedUntil`), not the
 * times a manager's correction made of them, so a tap the clock folded past
 * is still late (docs/multi-door.md, streams/remoteTaps.ts).
 */
import { Store } from '../src/drivers/store/store';
import type { CardRead, CorrectionJudged } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { makeReducer, restoreState, sessionId } from '../streams/sessions';
import {
  correctionOf,
  HOUR,
  MINUTE,
  outMoved,
  people,
  player,
  tempDir,
} from './support/store-fixtures';

const ALICE = 'A11CE000';
const T0 = Date.parse('2026-03-02T08:00:00Z');

const remote = (at: number, door: string, seq: number): CardRead => ({
  type: 'cardRead',
  at,
  card: ALICE,
  reader: door,
  origin: `${door}:${seq}`,
});

describe('another door’s tap after a restart', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('remote-restart');
    store = Store.open(`${dir.path}/badgeclock.db`);
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  /** Alice in at the back door at 08:00, closed by the minute at 20:00, then corrected. */
  function correctedThenRestarted(fix: Partial<CorrectionJudged>): ReturnType<typeof restoreState> {
    const clock = player(store);
    store.addToInbox(
      { id: 'back:1', door: 'back', seq: 1, card: ALICE, reader: 'back', at: T0 },
      T0,
    );
    clock.play(
      people(T0 - HOUR, [{ card: ALICE, name: 'Alice' }]),
      remote(T0, 'back', 1),
      { type: 'minuteElapsed', at: T0 + 12 * HOUR },
      correctionOf(
        T0 + 23 * HOUR,
        sessionId(ALICE, T0),
        { card: ALICE, name: 'Alice' },
        { ...outMoved(T0, T0 + 12 * HOUR, T0 + 9 * HOUR), ...fix },
      ),
    );
    return restoreState(store.snapshot(T0 + 24 * HOUR));
  }

  it.each([
    ['shortened', {}],
    [
      'voided',
      {
        changes: [{ field: 'status' as const, old: 'auto', new: 'void' }],
        outAt: T0 + 12 * HOUR,
        voided: true,
        status: 'void' as const,
      },
    ],
  ])('a tap inside the span the clock folded is late, though a manager %s it', (_, fix) => {
    const restored = correctedThenRestarted(fix);
    expect(restored.cards.get(ALICE)?.foldedUntil).toBe(T0 + 12 * HOUR);
    // The cut-off side door had her at 17:02: her clock-out, for the merged taps.
    const step = makeReducer(defaultRules('UTC'))(
      restored,
      remote(T0 + 9 * HOUR + 2 * MINUTE, 'side', 1),
    );
    expect(step.out.map((o) => o.type)).toEqual(['tap-late', 'refold']);
  });
});
