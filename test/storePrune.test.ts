/**
 * The outbox does not grow for ever: entries the sheet confirmed are pruned a
 * week after they were done, by the store driver wired as in the app, while
 * everything that read those rows (restart recovery, `status`, the cards
 * already listed, the entries the sheet still has to write) gets the same
 * answers as from a twin store that never prunes.
 */
import { join } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import { toCommit, type Commit } from '../streams/commit';
import type { ClockEvent, Output } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, restoreState, type ClockState } from '../streams/sessions';
import { Store, type StoreStatus } from '../src/drivers/store/store';
import { makeStoreDriver } from '../src/drivers/store/storeDriver';
import { HOUR, MINUTE, peek, people, read, tempDir, withoutFsync } from './support/store-fixtures';

const DAY = 24 * HOUR;
const T0 = Date.parse('2026-01-05T00:00:00Z');
/** The documented retention: a confirmed entry is kept a week after it was done. */
const RETENTION = 7 * DAY;
const STAFF = Array.from({ length: 20 }, (_, i) => ({
  card: `C${String(i).padStart(7, '0')}`,
  name: `Person ${i}`,
}));
const VISITOR = 'F00D0001';
/** Entries the staff make a day: each session's opening and closing. */
const ENTRIES_A_DAY = 2 * STAFF.length;

/** What `status` says, but the file's size (the point is that it differs). */
const status = (store: Store): StoreStatus => ({ ...store.status(), bytes: 0 });
const PAGE = 4096;
/** Bytes of the file's pages, and of those the outbox (its rows and indexes) uses. */
const bytes = (store: Store): { file: number; outbox: number } =>
  peek(store.file, (db) => ({
    file: Number(db.pragma('page_count', { simple: true })) * PAGE,
    outbox: Number(
      db
        .prepare(
          "SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'outbox')",
        )
        .pluck()
        .get(),
    ),
  }));
const cardListedRows = (store: Store): number =>
  peek(store.file, (db) =>
    Number(db.prepare("SELECT count(*) FROM outbox WHERE kind = 'card-listed'").pluck().get()),
  );

describe('the outbox of a store that runs for months', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  /** Fed the same commits at the same times, never pruned: the answers every reader expects. */
  let twin: Store;
  let now: number;
  let subscriptions: Subscription[];
  let failures: unknown[];

  beforeEach(() => {
    dir = tempDir('prune');
    store = withoutFsync(Store.open(join(dir.path, 'badgeclock.db')));
    twin = withoutFsync(Store.open(join(dir.path, 'twin.db')));
    now = T0;
    subscriptions = [];
    failures = [];
  });
  afterEach(() => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    expect(failures).toEqual([]);
    store.close();
    twin.close();
    dir.remove();
  });

  /** The store driver as the app wires it: commits go in, the outbox listens to what was committed. */
  function start(): (commit: Commit) => void {
    const driver = makeStoreDriver(store, () => now);
    const commits$ = new Subject<Commit>();
    const committed$ = driver.commit(commits$);
    const failed = (error: unknown): void => {
      failures.push(error);
    };
    subscriptions.push(driver.outbox(committed$).subscribe({ error: failed }));
    subscriptions.push(committed$.subscribe({ error: failed }));
    return (commit) => {
      commits$.next(commit);
      twin.commit(commit, now);
    };
  }

  /** The reducer of the live clock; each step is committed at its own time. */
  function clock(
    commit: (commit: Commit) => void,
    from: ClockState = initialState,
  ): {
    play: (event: ClockEvent) => readonly Output[];
    confirm: () => void;
  } {
    const reduce = makeReducer(defaultRules('UTC'));
    let state = from;
    return {
      play: (event) => {
        now = event.at;
        const step = reduce(state, event);
        state = step.state;
        if (step.out.length > 0) commit(toCommit(step.out));
        return step.out;
      },
      // The sheet took everything pending (as the sync slice marks a confirmed batch done).
      confirm: () => {
        const keys = store.pending().map((pending) => pending.entry.key);
        commit(toCommit([{ type: 'markDone', at: now, keys }]));
      },
    };
  }

  /** One working day: everyone in around 08:00 and out around 16:00. */
  function workDay(play: (event: ClockEvent) => unknown, day: number): void {
    STAFF.forEach(({ card }, i) => play(read(T0 + day * DAY + 8 * HOUR + i * MINUTE, card)));
    STAFF.forEach(({ card }, i) => play(read(T0 + day * DAY + 16 * HOUR + i * MINUTE, card)));
  }

  it('stays bounded when the sheet confirms everything, and every reader gets the answers a never-pruned store gives, across an outage longer than the retention and a restart', () => {
    const commit = start();
    const { play, confirm } = clock(commit);
    play(people(T0, STAFF));
    // A visitor's unknown card is listed for naming on the first day; its opening is refused for good.
    play(read(T0 + 9 * HOUR, VISITOR));
    const refused = store.pending().find((p) => p.entry.kind === 'session-opened');
    commit(
      toCommit([
        {
          type: 'markDone',
          at: now,
          keys: [refused?.entry.key ?? ''],
          failure: 'HTTP 400: Invalid value',
        },
      ]),
    );
    play(read(T0 + 10 * HOUR, VISITOR));

    // Sixty days; the sheet confirms each evening.
    let most = 0;
    let month = { store: bytes(store), twin: bytes(twin) };
    for (let day = 0; day < 60; day++) {
      workDay(play, day);
      now = T0 + day * DAY + 17 * HOUR;
      confirm();
      if (day >= 10) most = Math.max(most, store.counts().outbox);
      if (day === 29) month = { store: bytes(store), twin: bytes(twin) };
    }
    expect(twin.counts().outbox).toBeGreaterThan(60 * ENTRIES_A_DAY);
    // A week (and the day that began it) of confirmed entries, the card listed and the one set aside.
    expect(most).toBeLessThanOrEqual((RETENTION / DAY + 1) * ENTRIES_A_DAY + 2);
    // The second month: the outbox reuses the pages freed by pruning, so the file grows by the
    // sessions and taps alone (what the twin grew by, less its outbox), give or take a few pages.
    const end = { store: bytes(store), twin: bytes(twin) };
    expect(end.store.outbox).toBeLessThanOrEqual(month.store.outbox + 2 * PAGE);
    expect(end.store.file - month.store.file).toBeLessThanOrEqual(
      end.twin.file - month.twin.file - (end.twin.outbox - month.twin.outbox) + 4 * PAGE,
    );
    expect(end.twin.outbox - month.twin.outbox).toBeGreaterThan(30 * ENTRIES_A_DAY * 200);
    expect(status(store)).toEqual(status(twin));

    // The sheet is down for ten days: nothing is confirmed, nothing pending is ever pruned.
    for (let day = 60; day < 70; day++) workDay(play, day);
    now = T0 + 70 * DAY;
    expect(store.pending()).toEqual(twin.pending());
    expect(store.depth()).toBe(10 * ENTRIES_A_DAY);
    // The last sync (ten days ago) is still known.
    expect(status(store)).toEqual(status(twin));
    expect(status(store).lastSyncAt).toBe(T0 + 59 * DAY + 17 * HOUR);

    // A restart, long after the visitor was listed: the clock carries on exactly as from the twin.
    subscriptions.forEach((subscription) => {
      subscription.unsubscribe();
    });
    subscriptions = [];
    expect(store.snapshot(now)).toEqual(twin.snapshot(now));
    const again = clock(start(), restoreState(store.snapshot(now)));
    expect(status(store)).toEqual(status(twin));
    expect(store.pending()).toEqual(twin.pending());
    // People is read at the start, as the app does; then the visitor taps again: not listed a
    // second time, in the store or for the directory.
    again.play(people(now, STAFF));
    const out = again.play(read(now + HOUR, VISITOR));
    expect(out.map((o) => o.type)).not.toContain('listCard');
    expect(cardListedRows(store)).toBe(1);

    // The sheet is back and takes the backlog; a week later the outbox is a week again.
    again.confirm();
    for (let day = 71; day < 80; day++) {
      workDay(again.play, day);
      now = T0 + day * DAY + 17 * HOUR;
      again.confirm();
    }
    expect(store.counts().outbox).toBeLessThanOrEqual((RETENTION / DAY + 1) * ENTRIES_A_DAY + 2);
    // 79 working days; the visitor's card listed, two openings and a closing.
    expect(twin.counts().outbox).toBe(79 * ENTRIES_A_DAY + 4);
    expect(status(store)).toEqual(status(twin));
    expect(store.snapshot(now)).toEqual(twin.snapshot(now));
    expect(store.allSessions()).toEqual(twin.allSessions());
    expect(store.integrityCheck()).toBe('ok');
  });
});

describe('pruning the outbox', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('prune-unit');
    store = Store.open(join(dir.path, 'badgeclock.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  /** A session opening for the sheet: outbox key `open:<session>`, created at `at`. */
  const opening = (session: string, at: number): void => {
    store.commit(
      toCommit([{ type: 'clock-in', at, card: 'C0000001', name: null, session, reader: 'door' }]),
      at,
    );
  };
  const keys = (): string[] =>
    peek(store.file, (db) =>
      db.prepare<[], string>('SELECT key FROM outbox ORDER BY seq').pluck().all(),
    );

  it('deletes, oldest first and at most the limit, only entries confirmed more than the retention before both now and the last confirmation; never pending, set-aside or card-listed ones', () => {
    store.commit(toCommit([{ type: 'listCard', at: T0, card: VISITOR }]), T0);
    for (const session of ['a1', 'a2', 'a3', 'refused', 'pending']) opening(session, T0);
    store.markDone([`card:${VISITOR}`, 'open:a1', 'open:a2', 'open:a3'], T0 + HOUR);
    store.markDone(['open:refused'], T0 + HOUR, 'HTTP 400: Invalid value');
    opening('recent', T0 + 9 * DAY);
    store.markDone(['open:recent'], T0 + 9 * DAY);
    const all = keys();

    // Not yet a week after those confirmations.
    expect(store.prune(T0 + RETENTION, 500)).toBe(0);
    expect(keys()).toEqual(all);
    // A month later: the three confirmed on the first day go, two at a time, oldest first.
    expect(store.prune(T0 + 30 * DAY, 2)).toBe(2);
    expect(keys()).not.toContain('open:a1');
    expect(keys()).not.toContain('open:a2');
    expect(store.prune(T0 + 30 * DAY, 2)).toBe(1);
    expect(store.prune(T0 + 30 * DAY, 2)).toBe(0);
    expect(keys()).toEqual([`card:${VISITOR}`, 'open:refused', 'open:pending', 'open:recent']);
    // A wall clock a year ahead takes nothing confirmed within a week of the last confirmation.
    expect(store.prune(T0 + 400 * DAY, 500)).toBe(0);
    expect(keys()).toEqual([`card:${VISITOR}`, 'open:refused', 'open:pending', 'open:recent']);
    expect(store.status().lastSyncAt).toBe(T0 + 9 * DAY);
    expect(store.status().setAsideCount).toBe(1);
    expect(store.depth()).toBe(1);
  });

  it('an empty store, or one the sheet never confirmed anything of, has nothing to prune', () => {
    expect(store.prune(T0, 500)).toBe(0);
    opening('s1', T0);
    expect(store.prune(T0 + 400 * DAY, 500)).toBe(0);
    expect(store.depth()).toBe(1);
  });

  it('the driver catches up on a store from before pruning a batch at a time: at the start, then at each confirmation; once caught up, at most once an hour, and never for a tap', () => {
    // Two months of a store written before pruning existed: every entry confirmed each evening.
    withoutFsync(store);
    const reduce = makeReducer(defaultRules('UTC'));
    let state: ClockState = initialState;
    const step = (event: ClockEvent): Commit => {
      const next = reduce(state, event);
      state = next.state;
      return toCommit(next.out);
    };
    store.commit(step(people(T0, STAFF)), T0);
    for (let day = 0; day < 60; day++) {
      for (const at of [T0 + day * DAY + 8 * HOUR, T0 + day * DAY + 16 * HOUR]) {
        STAFF.forEach(({ card }, i) => {
          store.commit(step(read(at + i * MINUTE, card)), at + i * MINUTE);
        });
      }
      store.markDone(
        store.pending(1000).map((p) => p.entry.key),
        T0 + day * DAY + 17 * HOUR,
      );
    }
    const before = store.counts().outbox;
    expect(before).toBe(60 * ENTRIES_A_DAY);

    let now = T0 + 60 * DAY;
    const prune = jest.spyOn(store, 'prune');
    const driver = makeStoreDriver(store, () => now);
    const commits$ = new Subject<Commit>();
    const committed$ = driver.commit(commits$);
    const subscriptions = [driver.outbox(committed$).subscribe(), committed$.subscribe()];
    try {
      // At the start: one batch.
      expect(prune).toHaveBeenCalledTimes(1);
      expect(store.counts().outbox).toBe(before - 500);
      // A tap's commit never prunes, however much is waiting.
      now += MINUTE;
      commits$.next(step(read(now, STAFF[0]?.card ?? '')));
      expect(prune).toHaveBeenCalledTimes(1);
      // Each confirmation prunes a batch while more is waiting: a week of entries is kept.
      const confirm = (): void => {
        now += MINUTE;
        commits$.next(
          toCommit([{ type: 'markDone', at: now, keys: store.pending().map((p) => p.entry.key) }]),
        );
      };
      for (let i = 0; i < 5; i++) confirm();
      const kept = store.counts().outbox;
      expect(kept).toBeLessThan(8 * ENTRIES_A_DAY);
      expect(prune.mock.results.map((r) => r.value as number)).toEqual([
        500,
        500,
        500,
        500,
        expect.any(Number),
      ]);
      // Caught up: the next confirmations within the hour do not prune again; one an hour later does.
      const calls = prune.mock.calls.length;
      confirm();
      confirm();
      expect(prune).toHaveBeenCalledTimes(calls);
      now += HOUR;
      confirm();
      expect(prune).toHaveBeenCalledTimes(calls + 1);
    } finally {
      subscriptions.forEach((s) => {
        s.unsubscribe();
      });
      prune.mockRestore();
    }
  });
});
