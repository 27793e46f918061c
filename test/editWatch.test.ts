/**
 * Which Log rows the live update reads back (src/drivers/sheets/editWatch.ts
 * over the real store): every session of the previous and current pay period
 * once a round, a tenth a minute, at most 300 rows a minute; none the sheet
 * is behind on; with the sheet edits judged of each.
 */
import { join } from 'node:path';
import { makeEditWatch, WATCH_ROUND_MINUTES } from '../src/drivers/sheets/editWatch';
import { DB_FILE_NAME, Store } from '../src/drivers/store/store';
import { defaultRules } from '../streams/rules';
import { sessionId } from '../streams/sessions';
import type { CorrectionJudged } from '../streams/events';
import type { WatchedRow } from '../streams/sheetEdits';
import { HOUR, MINUTE, player, read, tempDir } from './support/store-fixtures';

const ZONE = 'UTC';
const WEEKLY = { kind: 'weekly', firstDay: 'monday' } as const;
// Monday 2 March 2026: the previous period is the week of 23 February.
const MONDAY = Date.parse('2026-03-02T00:00:00Z');
const NOW = MONDAY + 3 * 24 * HOUR;

describe('the rows read back each minute', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('badgeclock-edit-watch-');
    store = Store.open(join(dir.path, DB_FILE_NAME), { newInstall: true });
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  /** `n` closed sessions a day apart per card, from `first`; the outbox taken by the sheet. */
  function sessions(first: number, n: number): string[] {
    const { play } = player(store, defaultRules(ZONE));
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const card = `C${i % 7}`;
      const at = first + Math.floor(i / 7) * 24 * HOUR + (i % 7) * MINUTE;
      play(read(at, card), read(at + 8 * HOUR, card));
      ids.push(sessionId(card, at));
    }
    store.markDone(
      store.pending(10_000).map((p) => p.entry.key),
      NOW,
    );
    return ids;
  }

  const round = (watch: (at: number) => readonly WatchedRow[], minutes = WATCH_ROUND_MINUTES) =>
    Array.from({ length: minutes }, (_, m) => watch(NOW + m * MINUTE).map((r) => r.session));

  it('reads every session of the two pay periods once a round, a tenth a minute, none older', () => {
    sessions(MONDAY - 14 * 24 * HOUR, 7); // two weeks back: not watched
    const watched = sessions(MONDAY - 7 * 24 * HOUR, 63);
    const minutes = round(makeEditWatch(store, WEEKLY, ZONE));
    expect(minutes.every((slice) => slice.length <= 7)).toBe(true);
    expect(minutes.flat().sort()).toEqual([...watched].sort());
    // The next round starts again from the oldest.
    const next = makeEditWatch(store, WEEKLY, ZONE);
    expect(round(next).flat()).toEqual(minutes.flat());
  });

  it('leaves out a session with an outbox entry the sheet has not taken, until it has', () => {
    const [first, ...rest] = sessions(MONDAY - 24 * HOUR, 10);
    const { play } = player(store, defaultRules(ZONE));
    play(read(NOW - HOUR, 'C9'));
    const pending = store.pending().map((p) => p.entry.key);
    expect(pending.length).toBeGreaterThan(0);
    const watch = makeEditWatch(store, WEEKLY, ZONE);
    const seen = round(watch).flat();
    expect(seen).toEqual(expect.arrayContaining([first, ...rest]));
    expect(seen).not.toContain(sessionId('C9', NOW - HOUR));
    store.markDone(pending, NOW);
    expect(round(watch).flat()).toContain(sessionId('C9', NOW - HOUR));
  });

  it('remembers a value typed and rejected while it is the field’s last correction', () => {
    const [id = ''] = sessions(MONDAY, 1);
    const { play } = player(store, defaultRules(ZONE));
    const judged = (source: 'sheet' | 'fix', applied: boolean, text: string): CorrectionJudged => ({
      type: 'correctionJudged',
      at: NOW,
      session: id,
      card: 'C0',
      name: null,
      source,
      why: null,
      applied,
      ...(applied ? {} : { reason: 'wrong' }),
      changes: [{ field: 'in', old: MONDAY, new: text }],
      inAt: MONDAY,
      outAt: MONDAY + 8 * HOUR,
      voided: false,
      status: 'out',
      closes: false,
    });
    const seenIn = (): unknown => {
      // Once the sheet took the Edits lines (until then the session is left out).
      store.markDone(
        store.pending().map((p) => p.entry.key),
        NOW,
      );
      return makeEditWatch(store, WEEKLY, ZONE)(NOW).find((r) => r.session === id)?.seen.in;
    };
    play(judged('sheet', false, 'late'));
    expect(seenIn()).toBe('late');
    // A fix since: the same text typed again is judged again.
    play(judged('fix', true, 'late'));
    expect(seenIn()).toBeUndefined();
    play(judged('sheet', false, 'later'), judged('sheet', true, 'latest'));
    expect(seenIn()).toBeUndefined();
  });

  it('reads at most 300 rows a minute, however many sessions there are', () => {
    const slices: number[] = [];
    const watch = makeEditWatch(
      {
        watchCount: () => 5_000,
        watchedRows: (_from, _after, limit) => {
          slices.push(limit);
          return { rows: [], next: null };
        },
      },
      WEEKLY,
      ZONE,
    );
    watch(NOW);
    expect(slices).toEqual([300]);
  });
});
