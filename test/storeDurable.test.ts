/** The SQLite store on real files: migrations, whole commits, the outbox, a full disk. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toCommit } from '../streams/commit';
import type { ClockEvent } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, type ClockState } from '../streams/sessions';
import { Store, StoreError } from '../src/drivers/store/store';
import { SCHEMA_VERSION } from '../src/drivers/store/schema';

const H = 3_600_000;
const T0 = Date.parse('2026-03-23T08:00:00Z');

describe('the store', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-store-'));
    file = join(dir, 'badgeclock.db');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs events through the reducer and commits each step, as the live clock does. */
  function play(store: Store, events: ClockEvent[], start: ClockState = initialState): ClockState {
    const reduce = makeReducer(defaultRules('UTC'));
    let state = start;
    for (const event of events) {
      const step = reduce(state, event);
      state = step.state;
      if (step.out.length > 0) store.commit(toCommit(step.out), event.at);
    }
    return state;
  }
  const read = (at: number, card: string): ClockEvent => ({
    type: 'cardRead',
    at,
    card,
    reader: 'door',
  });

  it('creates a versioned database in WAL mode', () => {
    Store.open(file).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('commits a step whole: the tap, the auto clock-out it found, the new clock-in and their outbox entries', () => {
    const store = Store.open(file);
    play(store, [read(T0, 'B0B0B0B0'), read(T0 + 13 * H, 'B0B0B0B0')]);
    const sessions = store.allSessions();
    expect(sessions.map((s) => [s.status, s.inAt, s.outAt])).toEqual([
      ['auto', T0, T0 + 12 * H],
      ['in', T0 + 13 * H, null],
    ]);
    expect(store.pending().map((p) => p.entry.key)).toEqual([
      'card:B0B0B0B0',
      `open:${sessions[0]?.id ?? ''}`,
      `close:${sessions[0]?.id ?? ''}`,
      `open:${sessions[1]?.id ?? ''}`,
    ]);
    expect(store.counts()).toEqual({ taps: 2, sessions: 2, outbox: 4 });
    store.close();
  });

  it('an outbox key is stored once, and only pending entries are marked done', () => {
    const store = Store.open(file);
    const commit = toCommit([{ type: 'listCard', at: T0, card: 'DEADBEEF' }]);
    store.commit(commit, T0);
    store.commit(commit, T0 + 1);
    expect(store.depth()).toBe(1);
    expect(store.markDone(['card:DEADBEEF', 'card:NOPE'], T0 + 2)).toBe(1);
    expect(store.markDone(['card:DEADBEEF'], T0 + 3)).toBe(0);
    expect(store.depth()).toBe(0);
    store.close();
  });

  it('a full disk fails the commit with a message naming the file, and leaves nothing half-written', () => {
    const store = Store.open(file);
    play(store, [read(T0, 'A0000001')]);
    const before = store.counts();
    // Make the database unable to grow, as a full disk would.
    const limiter = new Database(file);
    const pages = Number(limiter.pragma('page_count', { simple: true }));
    limiter.close();
    (store as unknown as { db: Database.Database }).db.pragma(`max_page_count = ${pages}`);
    const big = 'x'.repeat(200_000);
    let thrown: unknown;
    try {
      store.commit(toCommit([{ type: 'listCard', at: T0, card: big }]), T0);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as Error).message).toMatch(
      new RegExp(`disk holding ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is full`),
    );
    expect(store.counts()).toEqual(before);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('a read-only open of a missing database says what to do and creates nothing', () => {
    expect(() => Store.open(file, { readonly: true })).toThrow(/no database at .* yet/);
    expect(() => new Database(file, { fileMustExist: true })).toThrow();
  });
});
