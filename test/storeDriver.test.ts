/**
 * The store driver on a real SQLite file: commits leave only once durable, the
 * outbox is a source, and a commit that fails stops the stream.
 */
import { join } from 'node:path';
import { NEVER, Subject, type Subscription } from 'rxjs';
import { toCommit, type Commit } from '../streams/commit';
import type { ClockEvent, OutboxChanged } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, sessionId, type ClockState } from '../streams/sessions';
import { Store, StoreError } from '../src/drivers/store/store';
import { makeStoreDriver } from '../src/drivers/store/storeDriver';
import { connectionOf, HOUR, peek, read, tempDir } from './support/store-fixtures';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const ALICE = 'A11CE000';
const BOB = 'B0B0B0B0';
const CAROL = 'CA401000';

describe('the store driver', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let now: number;
  let subscriptions: Subscription[];
  /** Errors of streams that must not fail; checked after each test. */
  let failures: unknown[];
  const failed = (error: unknown): void => {
    failures.push(error);
  };
  beforeEach(() => {
    dir = tempDir('driver');
    store = Store.open(join(dir.path, 'badgeclock.db'));
    now = T0;
    subscriptions = [];
    failures = [];
  });
  afterEach(() => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    expect(failures).toEqual([]);
    store.close();
    dir.remove();
  });

  /** The reducer's steps as commits, as the clock makes them. */
  function stepper(): (event: ClockEvent) => Commit {
    const reduce = makeReducer(defaultRules('UTC'));
    let state: ClockState = initialState;
    return (event) => {
      const step = reduce(state, event);
      state = step.state;
      return toCommit(step.out);
    };
  }

  /** Commits go in through the driver; the outbox listens to what it committed, as in the app. */
  function outboxLoop(batchSize?: number): { commits$: Subject<Commit>; changes: OutboxChanged[] } {
    const driver = makeStoreDriver(store, () => now, batchSize);
    const commits$ = new Subject<Commit>();
    const committed$ = driver.commit(commits$);
    const changes: OutboxChanged[] = [];
    subscriptions.push(
      driver
        .outbox(committed$)
        .subscribe({ next: (change) => changes.push(change), error: failed }),
    );
    subscriptions.push(committed$.subscribe({ error: failed }));
    return { commits$, changes };
  }

  it('emits each commit only once it is in the database, in order', () => {
    const driver = makeStoreDriver(store, () => now);
    const commits$ = new Subject<Commit>();
    const seen: { commit: Commit; sessionsOnDisk: unknown[] }[] = [];
    subscriptions.push(
      driver.commit(commits$).subscribe({
        next: (commit) => {
          // Another connection to the file: what a power cut right now would leave.
          seen.push({
            commit,
            sessionsOnDisk: peek(store.file, (db) =>
              db.prepare('SELECT card, status FROM sessions ORDER BY in_at').all(),
            ),
          });
        },
        error: failed,
      }),
    );
    const step = stepper();
    const first = step(read(T0, ALICE));
    const second = step(read(T0 + HOUR, BOB));
    const third = step(read(T0 + 2 * HOUR, ALICE));
    commits$.next(first);
    commits$.next(second);
    commits$.next(third);
    expect(seen.map((s) => s.commit)).toEqual([first, second, third]);
    expect(seen.map((s) => s.sessionsOnDisk)).toEqual([
      [{ card: ALICE, status: 'in' }],
      [
        { card: ALICE, status: 'in' },
        { card: BOB, status: 'in' },
      ],
      [
        { card: ALICE, status: 'out' },
        { card: BOB, status: 'in' },
      ],
    ]);
  });

  it('stamps outbox entries with the time of the commit', () => {
    const driver = makeStoreDriver(store, () => now);
    const commits$ = new Subject<Commit>();
    subscriptions.push(driver.commit(commits$).subscribe({ error: failed }));
    now = T0 + 5_000;
    commits$.next(stepper()(read(T0, ALICE)));
    expect(store.pending().map((p) => p.createdAt)).toEqual([T0 + 5_000, T0 + 5_000]);
  });

  it('the outbox emits its pending head and depth at subscription', () => {
    const step = stepper();
    store.commit(step(read(T0, ALICE)), T0);
    store.commit(step(read(T0 + HOUR, BOB)), T0 + HOUR);
    const driver = makeStoreDriver(store, () => now, 3);
    now = T0 + 2 * HOUR;
    const changes: OutboxChanged[] = [];
    subscriptions.push(
      driver.outbox(NEVER).subscribe({ next: (change) => changes.push(change), error: failed }),
    );
    expect(changes).toEqual([
      {
        type: 'outboxChanged',
        at: T0 + 2 * HOUR,
        head: store
          .pending()
          .slice(0, 3)
          .map((p) => p.entry),
        depth: 4,
        // The first report after a start carries the count of entries set aside.
        setAside: 0,
      },
    ]);
    expect(changes[0]?.head.map((e) => e.key)).toEqual([
      `card:${ALICE}`,
      `open:${sessionId(ALICE, T0)}`,
      `card:${BOB}`,
    ]);
  });

  it('the outbox emits again after commits that add entries or mark some done, and not after others', () => {
    const { commits$, changes } = outboxLoop();
    expect(changes.map((c) => c.depth)).toEqual([0]);
    const step = stepper();
    commits$.next(step(read(T0, ALICE)));
    expect(changes.map((c) => c.depth)).toEqual([0, 2]);
    // A double tap 30 s later: a commit (the tap is kept) but nothing for the sheet.
    const doubleTap = step(read(T0 + 30_000, ALICE));
    expect(doubleTap.events.map((e) => e.type)).toEqual(['tap', 'ignored']);
    expect(doubleTap.outbox).toEqual([]);
    commits$.next(doubleTap);
    expect(changes.map((c) => c.depth)).toEqual([0, 2]);
    const [firstKey = ''] = store.pending().map((p) => p.entry.key);
    commits$.next(toCommit([{ type: 'markDone', at: T0 + HOUR, keys: [firstKey] }]));
    expect(changes.map((c) => c.depth)).toEqual([0, 2, 1]);
    expect(changes[2]?.head.map((e) => e.key)).toEqual([`open:${sessionId(ALICE, T0)}`]);
    commits$.next(step(read(T0 + 2 * HOUR, CAROL)));
    expect(changes.map((c) => c.depth)).toEqual([0, 2, 1, 3]);
  });

  it('with a full head, new entries change only the depth until some are marked done', () => {
    const { commits$, changes } = outboxLoop(2);
    const reads = jest.spyOn(store, 'pending');
    const step = stepper();
    commits$.next(step(read(T0, ALICE))); // card:ALICE, open:ALICE: the head is full
    commits$.next(step(read(T0 + HOUR, BOB)));
    commits$.next(step(read(T0 + 2 * HOUR, CAROL)));
    expect(changes.map((c) => c.depth)).toEqual([0, 2, 4, 6]);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(changes[3]?.head).toBe(changes[1]?.head);
    expect(changes[3]?.head).toEqual(
      store
        .pending()
        .slice(0, 2)
        .map((p) => p.entry),
    );
    const keys = changes[3]?.head.map((e) => e.key) ?? [];
    commits$.next(toCommit([{ type: 'markDone', at: T0 + 3 * HOUR, keys }]));
    expect(changes[4]?.depth).toBe(4);
    expect(changes[4]?.head.map((e) => e.key)).toEqual([
      `card:${BOB}`,
      `open:${sessionId(BOB, T0 + HOUR)}`,
    ]);
    reads.mockRestore();
  });

  it('a commit that fails errors the stream with a StoreError; it is not emitted and nothing after it is stored', () => {
    const driver = makeStoreDriver(store, () => now);
    const commits$ = new Subject<Commit>();
    const emitted: Commit[] = [];
    let failure: unknown;
    subscriptions.push(
      driver.commit(commits$).subscribe({
        next: (commit) => emitted.push(commit),
        error: (error: unknown) => {
          failure = error;
        },
      }),
    );
    const step = stepper();
    commits$.next(step(read(T0, ALICE)));
    const before = store.counts();
    // The disk is full: the file cannot grow by a single page.
    const db = connectionOf(store);
    db.pragma(`max_page_count = ${String(db.pragma('page_count', { simple: true }))}`);
    const big = toCommit(
      Array.from({ length: 200 }, (_, i) => ({
        type: 'listCard' as const,
        at: T0 + HOUR,
        card: `CA${String(i).padStart(30, '0')}`,
      })),
    );
    commits$.next(big);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toContain(`the disk holding ${store.file} is full`);
    expect(emitted).toHaveLength(1);
    db.pragma('max_page_count = 1000000');
    commits$.next(step(read(T0 + 2 * HOUR, BOB)));
    expect(emitted).toHaveLength(1);
    expect(store.counts()).toEqual(before);
  });
});
