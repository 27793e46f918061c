/**
 * The `fix` queue as the running clock's source, in virtual time: read at
 * the first poll, then only after another process wrote; each request handed
 * over once, judged against the store as it stands.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CorrectableSession } from '../streams/corrections';
import type { FixRequest } from '../src/drivers/store/corrections';
import { fixRequests$, judgeFix, type FixQueue } from '../src/drivers/store/fixRequests';
import { Store } from '../src/drivers/store/store';
import { defaultRules } from '../streams/rules';
import { sessionId, type ClockState } from '../streams/sessions';
import { connectionOf, people, player, read, tempDir } from './support/store-fixtures';

// Virtual time starts at 0: the session was the day before.
const T0 = -24 * 3_600_000;
const HOUR = 3_600_000;
const ALICE = 'A11CE000';
const session: CorrectableSession = {
  id: 's1',
  card: 'A11CE000',
  name: 'Alice',
  inAt: T0,
  outAt: T0 + 9 * HOUR,
  status: 'out',
  voided: false,
  clockInAt: T0,
  clockOutAt: T0 + 9 * HOUR,
};
const request = (id: number): FixRequest => ({
  id,
  at: T0,
  session: 's1',
  inAt: null,
  outAt: T0 + 8 * HOUR,
  void: false,
  why: 'left early',
});

describe('the fix queue as a source', () => {
  it('reads the queue at the first poll and after another process wrote, and hands each request over once', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    scheduler.run(({ expectObservable, flush }) => {
      let version = 1;
      let reads = 0;
      const queue: FixQueue = {
        othersWrote: () => version,
        pendingFixes: () => {
          reads += 1;
          return version === 1 ? [request(7)] : [request(7), request(8)];
        },
        correctionContext: () => ({ session, others: [] }),
      };
      // Another process queues request 8 at 12 s: the poll at 15 s reads it.
      scheduler.schedule(() => {
        version = 2;
      }, 12_000);
      const ids$ = fixRequests$(queue, scheduler, defaultRules('UTC'), 5_000).pipe(
        map((judged) => `${String(judged.request)} ${judged.applied ? 'applied' : 'rejected'}`),
      );
      expectObservable(ids$, '^ 30s !').toBe('a 14999ms b', {
        a: '7 applied',
        b: '8 applied',
      });
      flush();
      // Polls at 0, 5, 10, 15, 20, 25 and 30 s; the queue was read twice.
      expect(reads).toBe(2);
    });
  });
});

describe('the fix queue on a clock not synchronised', () => {
  // Out at 12 s: 'in the future' by the clock until then (a stale clock says so of a right time).
  const soon: FixRequest = { ...request(9), outAt: 12_000 };
  const queue: FixQueue = {
    othersWrote: () => 1,
    pendingFixes: () => [soon],
    correctionContext: () => ({ session, others: [] }),
  };
  const said = (judged: { request?: number; applied: boolean }): string =>
    `${String(judged.request)} ${judged.applied ? 'applied' : 'rejected'}`;

  it('holds a request it would refuse, judges it again at each poll, and hands it over once right', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    scheduler.run(({ cold, expectObservable }) => {
      const synced$ = cold<boolean>('f', { f: false });
      const judged$ = fixRequests$(queue, scheduler, defaultRules('UTC'), 5_000, synced$);
      expectObservable(judged$.pipe(map(said)), '^ 30s !').toBe('15s a', { a: '9 applied' });
    });
  });

  it('holds it until the first time-sync answer, which comes after the first poll', () => {
    // The first poll is at the start; timedatectl answers a moment later. Found by a review.
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    scheduler.run(({ cold, expectObservable }) => {
      const synced$ = cold<boolean>('--t', { t: true });
      const judged$ = fixRequests$(queue, scheduler, defaultRules('UTC'), 5_000, synced$);
      expectObservable(judged$.pipe(map(said)), '^ 30s !').toBe('5s a', { a: '9 rejected' });
    });
  });

  it('synchronised, refuses it at once, for good', () => {
    const scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
    scheduler.run(({ cold, expectObservable }) => {
      const synced$ = cold<boolean>('t', { t: true });
      const judged$ = fixRequests$(queue, scheduler, defaultRules('UTC'), 5_000, synced$);
      expectObservable(judged$.pipe(map(said)), '^ 30s !').toBe('a', { a: '9 rejected' });
    });
  });
});

describe('corrections judged against the store, as the running clock judges them', () => {
  // Alice in at 08:00 (UTC, a 12-hour limit).
  const IN = Date.UTC(2026, 2, 23, 8);
  const SESSION = sessionId(ALICE, IN);
  const rules = defaultRules('UTC');
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let clock: ReturnType<typeof player>;
  beforeEach(() => {
    dir = tempDir('badgeclock-fix-judged-');
    store = Store.open(`${dir.path}/badgeclock.db`);
    clock = player(store, rules);
    clock.play(people(IN - HOUR, [{ card: ALICE, name: 'Alice' }]), read(IN, ALICE));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  /** A `fix` request of Alice's session, queued, judged at `at` and played as the clock would. */
  function correct(
    at: number,
    asked: { inAt: number | null; outAt: number | null; void: boolean },
  ): ClockState {
    const id = store.addFixRequest({ at, session: SESSION, why: 'forgot', ...asked });
    const request = store.pendingFixes().find((r) => r.id === id);
    if (request === undefined) throw new Error('the request was not queued');
    clock.play(judgeFix(store, request, at, rules));
    return clock.state();
  }

  describe('of an open session past its limit, before a minute has closed it', () => {
    // At 20:00:00.622 the session is still open in the store and the state (the minute closes it
    // at the next tick). Found by the simulation with doors (seed 6026): a void judged then
    // closed it 'out' after its limit, as if it had been open until then, and recorded a close of
    // an open session (which a refold folds again).
    const NOW = IN + 12 * HOUR + 622;
    const row = (): unknown =>
      connectionOf(store)
        .prepare('SELECT status, out_at, fixed_out, voided FROM sessions WHERE id = ?')
        .get(SESSION);
    const records = (): unknown =>
      connectionOf(store).prepare('SELECT field, old, new FROM corrections ORDER BY id').all();

    it('a void: closed `auto` at its limit, then voided (not closed by the manager)', () => {
      const state = correct(NOW, { inAt: null, outAt: null, void: true });
      expect(state.open.has(ALICE)).toBe(false);
      expect(state.cards.get(ALICE)?.fixClosed).toBeUndefined();
      expect(row()).toEqual({ status: 'auto', out_at: IN + 12 * HOUR, fixed_out: null, voided: 1 });
      expect(records()).toEqual([{ field: 'status', old: 'auto', new: 'void' }]);
    });

    it('an Out typed: closed `auto` at its limit, the manager’s Out beside it', () => {
      const OUT = IN + 9 * HOUR;
      correct(NOW, { inAt: null, outAt: OUT, void: false });
      expect(row()).toEqual({ status: 'auto', out_at: IN + 12 * HOUR, fixed_out: OUT, voided: 0 });
      expect(records()).toEqual([
        {
          field: 'out',
          old: new Date(IN + 12 * HOUR).toISOString(),
          new: new Date(OUT).toISOString(),
        },
      ]);
    });
  });

  it('a second correction of an `auto` session whose Out a manager corrected keeps it `out`, in the store and in the row it writes', () => {
    // Never out: `auto` at 20:00. A manager gives her Out 17:00 (she is `out` now: the manager
    // decided), then moves her In. Found by the simulation with doors (seed 6835): the second
    // correction was judged against the clock's `auto`, and wrote it back.
    clock.play({ type: 'minuteElapsed', at: IN + 12 * HOUR + 60_000 });
    correct(IN + 24 * HOUR, { inAt: null, outAt: IN + 9 * HOUR, void: false });
    correct(IN + 25 * HOUR, { inAt: IN + HOUR, outAt: null, void: false });
    expect(store.allSessions().find((s) => s.id === SESSION)).toMatchObject({
      inAt: IN + HOUR,
      outAt: IN + 9 * HOUR,
      status: 'out',
    });
    const written = connectionOf(store)
      .prepare("SELECT payload FROM outbox WHERE kind = 'session-fixed' ORDER BY seq")
      .pluck()
      .all() as string[];
    expect(written.map((p) => (JSON.parse(p) as { status: string }).status)).toEqual([
      'out',
      'out',
    ]);
  });
});
