/**
 * The SQLite store on real files in temp directories: opening, migrating and
 * refusing; whole commits and the outbox; a full disk; and the `status` and
 * `backup` commands of the built CLI on the same files.
 */
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toCommit } from '../streams/commit';
import { defaultRules } from '../streams/rules';
import { initialState, makeReducer, restoreState, sessionId } from '../streams/sessions';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/drivers/store/schema';
import { SNAPSHOT_SQL } from '../src/drivers/store/readSnapshot';
import { Store, StoreError } from '../src/drivers/store/store';
import { Clock, killLeftoverClocks, logText, requireBuiltCli, runCli } from './support/runCli';
import {
  connectionOf,
  damagePage,
  filesIn,
  firstTapsLeafPage,
  HOUR,
  MINUTE,
  peek,
  people,
  player,
  read,
  tempDir,
  withoutFsync,
} from './support/store-fixtures';
import { mountTmpfs, tmpfsAvailable, unfill, type Tmpfs } from './support/store-tmpfs';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const rules = defaultRules('UTC');
const restored = (store: Store) => restoreState(store.snapshot(T0 + 1000 * HOUR));
/** The environment of every command here: no asking timedatectl. */
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };
const ALICE = 'A11CE000';
const BOB = 'B0B0B0B0';

/** What `fn` threw, for assertions on more than the message. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but nothing was thrown');
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A database with a few days of sessions for two people, closed cleanly. */
function seed(file: string): void {
  const store = withoutFsync(Store.open(file));
  const { play } = player(store);
  for (let day = 0; day < 40; day++) {
    const at = T0 + day * 24 * HOUR;
    play(read(at, ALICE), read(at + 10 * MINUTE, BOB), read(at + 8 * HOUR, ALICE));
    play(read(at + 9 * HOUR, BOB));
  }
  store.close();
}

describe('opening the store', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir('store');
    file = join(dir.path, 'data', 'badgeclock.db');
  });
  afterEach(() => {
    dir.remove();
  });

  it('creates the data directory and a database migrated to the current schema, in WAL mode with synchronous FULL', () => {
    const store = Store.open(file);
    // synchronous is per connection: only the store's own connection can tell.
    expect(connectionOf(store).pragma('synchronous', { simple: true })).toBe(2);
    store.close();
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    peek(file, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['taps', 'sessions', 'outbox']));
      const columns = db
        .prepare<[], { name: string }>('PRAGMA table_info(sessions)')
        .all()
        .map((c) => c.name);
      expect(columns).toContain('clock');
    });
  });

  it('keeps every tap, session and outbox entry when it is opened again', () => {
    const first = Store.open(file);
    player(first).play(read(T0, ALICE), read(T0 + HOUR, BOB), read(T0 + 2 * HOUR, ALICE));
    const sessions = first.allSessions();
    const pending = first.pending();
    const counts = first.counts();
    first.close();
    const again = Store.open(file);
    expect(again.allSessions()).toEqual(sessions);
    expect(again.pending()).toEqual(pending);
    expect(again.counts()).toEqual(counts);
    expect(counts).toEqual({ taps: 3, sessions: 2, outbox: 5 });
    again.close();
  });

  it('migrates a database of schema 1 to the current schema and keeps its sessions', () => {
    mkdirSync(join(dir.path, 'data'));
    const old = new Database(file);
    old.exec(MIGRATIONS[0] ?? '');
    old.pragma('user_version = 1');
    old
      .prepare(
        "INSERT INTO sessions (id, card, name, in_at, status, reader) VALUES ('s1', ?, 'Alice', ?, 'in', 'door')",
      )
      .run(ALICE, T0);
    old.close();
    const store = Store.open(file);
    expect(store.allSessions()).toEqual([
      {
        id: 's1',
        card: ALICE,
        name: 'Alice',
        inAt: T0,
        outAt: null,
        status: 'in',
        reason: null,
        reader: 'door',
      },
    ]);
    store.close();
    peek(file, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    });
  });

  it("migrates a database of schema 8: the latest time of its own taps and sightings is its last activity (another door's taps left out), a refold saw the corrections of its session made before it, and a card's last accepted tap is its latest", () => {
    mkdirSync(join(dir.path, 'data'));
    const old = new Database(file);
    for (const sql of MIGRATIONS.slice(0, 8)) old.exec(sql);
    old.pragma('user_version = 8');
    const tap = old.prepare(
      "INSERT INTO taps (at, card, reader, outcome, origin) VALUES (?, ?, 'door', 'tap', ?)",
    );
    tap.run(T0, ALICE, null);
    tap.run(T0 + HOUR, ALICE, 'front:7');
    old.prepare("INSERT INTO sightings (card, at, reader) VALUES (?, ?, 'door')").run(BOB, T0 - 5);
    // A refold of s1 before a manager's correction of it, and one after.
    old
      .prepare(
        `INSERT INTO corrections (id, seen_at, session, card, field, old, new, applied, source)
         VALUES (7, ?, 's1', ?, 'out', NULL, '2026-03-23T09:00:00.000Z', 1, 'fix')`,
      )
      .run(T0 + 2 * HOUR, ALICE);
    const change = old.prepare(
      "INSERT INTO merge_changes (at, session, card, change, after) VALUES (?, 's1', ?, 'changed', '{}')",
    );
    change.run(T0 + HOUR, ALICE);
    change.run(T0 + 3 * HOUR, ALICE);
    old
      .prepare(
        "INSERT INTO sessions (id, card, name, in_at, out_at, status, reader) VALUES ('s1', ?, 'Alice', ?, ?, 'out', 'door')",
      )
      .run(ALICE, T0, T0 + HOUR);
    old.close();
    const store = Store.open(file);
    expect(store.snapshot(T0 + 2 * HOUR).lastActivityAt).toBe(T0);
    // Her last accepted tap, for the guard, is her latest time, as a restart took it until now.
    expect(store.snapshot(T0 + 2 * HOUR).lastAccepted).toEqual([{ card: ALICE, at: T0 + HOUR }]);
    store.close();
    peek(file, (db) => {
      expect(db.prepare('SELECT corrections_seen FROM merge_changes ORDER BY id').all()).toEqual([
        { corrections_seen: 0 },
        { corrections_seen: 7 },
      ]);
    });
    // A store with no activity has none to start from.
    rmSync(join(dir.path, 'data'), { recursive: true });
    const empty = Store.open(file);
    expect(empty.snapshot(T0).lastActivityAt).toBeNull();
    empty.close();
  });

  it('refuses a database from a newer badgeclock with a StoreError naming the file and saying to upgrade, and leaves its bytes as they were', () => {
    mkdirSync(join(dir.path, 'data'));
    const newer = new Database(file);
    newer.exec('CREATE TABLE future (x)');
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    const before = filesIn(join(dir.path, 'data'));
    for (const readonly of [false, true]) {
      const error = thrown(() => Store.open(file, { readonly }));
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).file).toBe(file);
      expect((error as StoreError).message).toContain(file);
      expect((error as StoreError).message).toMatch(
        /newer than this badgeclock.*upgrade badgeclock/,
      );
    }
    expect(filesIn(join(dir.path, 'data'))).toEqual(before);
  });

  // Store.open checks on a read-only connection first, so a refused file keeps its WAL.
  it('refuses a newer database left with a WAL (as after a crash) without folding the WAL into it', () => {
    mkdirSync(join(dir.path, 'data'));
    const writer = new Database(join(dir.path, 'writer.db'));
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('CREATE TABLE future (x)');
    writer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    writer.prepare('INSERT INTO future VALUES (?)').run('written by a newer badgeclock');
    // Copy while the writer is still open: the WAL holds commits not yet in the file.
    copyFileSync(join(dir.path, 'writer.db'), file);
    copyFileSync(join(dir.path, 'writer.db-wal'), `${file}-wal`);
    writer.close();
    const before = filesIn(join(dir.path, 'data'));
    expect(() => Store.open(file)).toThrow(StoreError);
    expect(filesIn(join(dir.path, 'data'))).toEqual(before);
  });

  it.each([
    ['random bytes', () => randomBytes(64 * 1024)],
    ['a text file', () => Buffer.from('card,name\nB0B0B0B0,Bob\n'.repeat(500), 'utf8')],
    [
      'the first half of a database',
      () => readFileSync(join(dir.path, 'good.db')).subarray(0, 8192),
    ],
  ])(
    'refuses %s in place of the database with a clear message, and leaves it byte for byte',
    (_what, contents) => {
      seed(join(dir.path, 'good.db'));
      mkdirSync(join(dir.path, 'data'));
      writeFileSync(file, contents());
      const before = filesIn(join(dir.path, 'data'));
      const refusal = new RegExp(
        `database ${escape(file)} is not a valid badgeclock database or is corrupt .*It was not changed\\. Restore it from a backup`,
      );
      const error = thrown(() => Store.open(file));
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).file).toBe(file);
      expect((error as StoreError).message).toMatch(refusal);
      expect(filesIn(join(dir.path, 'data'))).toEqual(before);
      // Read-only (report, status) too; SQLite may leave an empty -shm beside it.
      expect(() => Store.open(file, { readonly: true })).toThrow(refusal);
      expect(filesIn(join(dir.path, 'data'))['badgeclock.db']).toBe(before['badgeclock.db']);
    },
  );

  it('refuses a database with a damaged page, naming the file, and leaves it byte for byte', () => {
    const good = join(dir.path, 'good.db');
    seed(good);
    mkdirSync(join(dir.path, 'data'));
    writeFileSync(file, damagePage(readFileSync(good), firstTapsLeafPage(good)));
    const before = filesIn(join(dir.path, 'data'));
    const error = thrown(() => Store.open(file));
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(
      new RegExp(`database ${escape(file)} failed its integrity check.*It was not changed`, 's'),
    );
    expect(filesIn(join(dir.path, 'data'))).toEqual(before);
  });

  it('status and report open it without the whole-file check, which grows with the years: a damaged page they do not read does not stop them', () => {
    const good = join(dir.path, 'good.db');
    seed(good);
    mkdirSync(join(dir.path, 'data'));
    writeFileSync(file, damagePage(readFileSync(good), firstTapsLeafPage(good)));
    const before = filesIn(join(dir.path, 'data'));
    const store = Store.open(file, { readonly: true, integrityCheck: false });
    try {
      expect(store.allSessions().length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
    expect(filesIn(join(dir.path, 'data'))['badgeclock.db']).toBe(before['badgeclock.db']);
  });

  // As above: the refused file is not changed, its WAL included.
  it('refuses a damaged database that still has a WAL from a crash, without folding the WAL into it', () => {
    const good = join(dir.path, 'good.db');
    seed(good);
    const page = firstTapsLeafPage(good);
    const live = new Database(good);
    live.pragma('wal_autocheckpoint = 0');
    live
      .prepare("INSERT INTO taps (at, card, reader, outcome) VALUES (?, ?, 'door', 'ignored')")
      .run(T0 + 1000 * HOUR, ALICE);
    mkdirSync(join(dir.path, 'data'));
    writeFileSync(file, damagePage(readFileSync(good), page));
    copyFileSync(`${good}-wal`, `${file}-wal`);
    live.close();
    const before = filesIn(join(dir.path, 'data'));
    expect(() => Store.open(file)).toThrow(/failed its integrity check|corrupt/);
    expect(filesIn(join(dir.path, 'data'))).toEqual(before);
  });

  it('a read-only open of a missing database says what to do and creates nothing', () => {
    const error = thrown(() => Store.open(file, { readonly: true }));
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toBe(
      `no database at ${file} yet: run the clock once (npm start), or check BADGECLOCK_DATA_DIR.`,
    );
    expect(existsSync(join(dir.path, 'data'))).toBe(false);
  });

  it('a read-only open of a database from an older badgeclock asks to start the clock once, and changes nothing', () => {
    mkdirSync(join(dir.path, 'data'));
    const old = new Database(file);
    old.exec(MIGRATIONS[0] ?? '');
    old.pragma('user_version = 1');
    old.close();
    const before = filesIn(join(dir.path, 'data'));
    expect(() => Store.open(file, { readonly: true })).toThrow(
      new StoreError(
        `database ${file} is from an older badgeclock (schema 1); start the clock once to upgrade it.`,
        file,
      ),
    );
    expect(filesIn(join(dir.path, 'data'))).toEqual(before);
  });
});

describe('committing', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(() => {
    dir = tempDir('commit');
    store = Store.open(join(dir.path, 'badgeclock.db'));
  });
  afterEach(() => {
    store.close();
    dir.remove();
  });

  it('keeps the name a session was clocked in under when People renames the person before the clock-out, as the Log row does (simulation seed 1)', () => {
    const { play } = player(store);
    play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE));
    play(people(T0 + HOUR, [{ card: ALICE, name: 'Alice B.' }]), read(T0 + 8 * HOUR, ALICE));
    // The next session has the new name.
    play(read(T0 + 24 * HOUR, ALICE));
    expect(store.allSessions().map((s) => [s.name, s.status])).toEqual([
      ['Alice', 'out'],
      ['Alice B.', 'in'],
    ]);
  });

  it('fills in the name at the clock-out of a session clocked in before the card had one', () => {
    const { play } = player(store);
    play(read(T0, BOB), people(T0 + HOUR, [{ card: BOB, name: 'Bob' }]), read(T0 + 8 * HOUR, BOB));
    expect(store.allSessions().map((s) => [s.name, s.status])).toEqual([['Bob', 'out']]);
  });

  it('stores a step whole: the tap, the auto clock-out it found, the new clock-in, and their outbox entries in order', () => {
    const { play } = player(store);
    play(people(T0, [{ card: ALICE, name: 'Alice' }]), read(T0, ALICE));
    const [step = []] = play(read(T0 + 13 * HOUR, ALICE));
    expect(step.map((o) => o.type)).toEqual(['tap', 'auto-out', 'clock-in']);
    const first = sessionId(ALICE, T0);
    const second = sessionId(ALICE, T0 + 13 * HOUR);
    expect(store.allSessions()).toEqual([
      {
        id: first,
        card: ALICE,
        name: 'Alice',
        inAt: T0,
        outAt: T0 + 12 * HOUR,
        status: 'auto',
        reason: 'limit',
        reader: 'door',
      },
      {
        id: second,
        card: ALICE,
        name: 'Alice',
        inAt: T0 + 13 * HOUR,
        outAt: null,
        status: 'in',
        reason: null,
        reader: 'door',
      },
    ]);
    peek(store.file, (db) => {
      expect(db.prepare('SELECT at, card, outcome, session FROM taps ORDER BY id').all()).toEqual([
        { at: T0, card: ALICE, outcome: 'clock-in', session: first },
        { at: T0 + 13 * HOUR, card: ALICE, outcome: 'clock-in', session: second },
      ]);
    });
    const pending = store.pending();
    expect(pending.map((p) => p.entry.key)).toEqual([
      `open:${first}`,
      `close:${first}`,
      `open:${second}`,
    ]);
    expect(pending.map((p) => p.createdAt)).toEqual([T0, T0 + 13 * HOUR, T0 + 13 * HOUR]);
    expect(pending.slice(1).map((p) => p.entry)).toEqual(toCommit(step).outbox);
    expect(pending[1]?.entry).toEqual({
      kind: 'session-closed',
      key: `close:${first}`,
      session: first,
      card: ALICE,
      inAt: T0,
      outAt: T0 + 12 * HOUR,
      status: 'auto',
    });
  });

  it('a step that fails halfway leaves nothing of itself behind', () => {
    player(store).play(read(T0, ALICE));
    const before = { counts: store.counts(), pending: store.pending() };
    // A second clock whose memory lost the first tap decides the same clock-in again:
    // its tap row is written first, then the session id collides.
    const again = makeReducer(defaultRules('UTC'))(initialState, read(T0, ALICE));
    expect(again.out.map((o) => o.type)).toEqual(['tap', 'unknown', 'listCard', 'clock-in']);
    const error = thrown(() => {
      store.commit(toCommit(again.out), T0);
    });
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toContain(store.file);
    expect(store.counts()).toEqual(before.counts);
    expect(store.pending()).toEqual(before.pending);
    expect(store.integrityCheck()).toBe('ok');
  });

  it('stores an outbox key once, keeping the first entry, and never revives a key already done', () => {
    const opened = (name: string) =>
      toCommit([{ type: 'clock-in', at: T0, card: BOB, name, session: 's1', reader: 'door' }])
        .outbox;
    store.commit({ type: 'commit', events: [], commands: [], outbox: opened('Bob') }, T0);
    store.commit({ type: 'commit', events: [], commands: [], outbox: opened('Robert') }, T0 + 1);
    expect(store.pending().map((p) => [p.entry.key, p.createdAt])).toEqual([['open:s1', T0]]);
    expect(store.pending()[0]?.entry).toMatchObject({ name: 'Bob' });
    expect(store.markDone(['open:s1'], T0 + 2)).toBe(1);
    store.commit({ type: 'commit', events: [], commands: [], outbox: opened('Bob') }, T0 + 3);
    expect(store.depth()).toBe(0);
    expect(store.counts().outbox).toBe(1);
  });

  it('marks only pending keys done, keeps the first done time, and ignores keys it does not have', () => {
    const { play } = player(store);
    play(read(T0, ALICE), read(T0 + HOUR, BOB), read(T0 + 2 * HOUR, ALICE));
    const keys = store.pending().map((p) => p.entry.key);
    expect(keys).toHaveLength(5);
    expect(store.markDone([keys[0] ?? '', 'open:nonexistent'], T0 + 3 * HOUR)).toBe(1);
    expect(store.markDone([keys[0] ?? '', keys[1] ?? ''], T0 + 4 * HOUR)).toBe(1);
    expect(store.pending().map((p) => p.entry.key)).toEqual(keys.slice(2));
    peek(store.file, (db) => {
      const done = db
        .prepare<[], { key: string; done_at: number }>(
          'SELECT key, done_at FROM outbox WHERE done_at IS NOT NULL ORDER BY seq',
        )
        .all();
      expect(done).toEqual([
        { key: keys[0], done_at: T0 + 3 * HOUR },
        { key: keys[1], done_at: T0 + 4 * HOUR },
      ]);
    });
    // The same through a commit's markDone command.
    store.commit(
      toCommit([{ type: 'markDone', at: T0 + 5 * HOUR, keys: [keys[1] ?? '', keys[2] ?? ''] }]),
      T0 + 5 * HOUR,
    );
    expect(store.pending().map((p) => p.entry.key)).toEqual(keys.slice(3));
    expect(store.status().lastSyncAt).toBe(T0 + 5 * HOUR);
  });

  it('an entry the sheet refused for good is set aside with its failure: no longer pending, listed by status newest first, not a sync', () => {
    const { play } = player(store);
    play(read(T0, ALICE), read(T0 + HOUR, BOB));
    const [aliceCard = '', aliceOpen = '', bobCard = '', bobOpen = ''] = store
      .pending()
      .map((p) => p.entry.key);
    store.commit(
      toCommit([{ type: 'markDone', at: T0 + 2 * HOUR, keys: [aliceCard, aliceOpen] }]),
      T0 + 2 * HOUR,
    );
    store.commit(
      toCommit([
        {
          type: 'markDone',
          at: T0 + 3 * HOUR,
          keys: [bobOpen],
          failure: 'HTTP 400: Invalid value at data[0]',
        },
      ]),
      T0 + 3 * HOUR,
    );
    expect(store.markDone([bobCard], T0 + 4 * HOUR, 'HTTP 400: bad card')).toBe(1);
    expect(store.depth()).toBe(0);
    const status = store.status();
    expect(status.setAsideCount).toBe(2);
    expect(status.setAside).toEqual([
      { key: bobCard, kind: 'card-listed', failure: 'HTTP 400: bad card', createdAt: T0 + HOUR },
      {
        key: bobOpen,
        kind: 'session-opened',
        failure: 'HTTP 400: Invalid value at data[0]',
        createdAt: T0 + HOUR,
      },
    ]);
    // Setting an entry aside is not the sheet taking it.
    expect(status.lastSyncAt).toBe(T0 + 2 * HOUR);
  });

  it('status lists the 20 most recent entries set aside, and counts them all', () => {
    for (let i = 0; i < 25; i++) {
      const card = `C00000${String(i).padStart(2, '0')}`;
      store.commit(toCommit([{ type: 'listCard', at: T0 + i, card }]), T0 + i);
      store.commit(
        toCommit([{ type: 'markDone', at: T0 + i, keys: [`card:${card}`], failure: `bad ${i}` }]),
        T0 + i,
      );
    }
    const status = store.status();
    expect(status.setAsideCount).toBe(25);
    expect(status.setAside.map((s) => s.failure)).toEqual(
      Array.from({ length: 20 }, (_, i) => `bad ${24 - i}`),
    );
  });

  it('lists pending entries oldest first, in commit order even when the wall clock went back, up to the limit', () => {
    const cards = ['C0000001', 'C0000002', 'C0000003', 'C0000004'];
    cards.forEach((card, i) => {
      // The wall clock steps back an hour between commits: creation times go down.
      store.commit(toCommit([{ type: 'listCard', at: T0, card }]), T0 - i * HOUR);
    });
    expect(store.pending().map((p) => p.entry.key)).toEqual(cards.map((c) => `card:${c}`));
    const seqs = store.pending().map((p) => p.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(store.pending(2).map((p) => p.entry.key)).toEqual(['card:C0000001', 'card:C0000002']);
    store.markDone(['card:C0000002'], T0);
    expect(store.pending(2).map((p) => p.entry.key)).toEqual(['card:C0000001', 'card:C0000003']);
    expect(store.depth()).toBe(3);
  });

  it('a card named a second time with the same name gets its new rows named too: the second naming is its own outbox entry', () => {
    const { play } = player(store);
    // Bob's card clocks in unnamed, is named Bob, then the manager blanks the name and later types Bob again.
    play(read(T0, BOB), people(T0 + HOUR, [{ card: BOB, name: 'Bob' }]));
    store.markDone(
      store.pending().map((p) => p.entry.key),
      T0 + HOUR,
    );
    play(
      people(T0 + 2 * HOUR, [{ card: BOB, name: '' }]),
      read(T0 + 3 * HOUR, BOB),
      read(T0 + 4 * HOUR, BOB),
      people(T0 + 5 * HOUR, [{ card: BOB, name: 'Bob' }]),
    );
    const named = store.pending().filter((p) => p.entry.kind === 'name-filled');
    expect(named.map((p) => p.entry)).toEqual([
      expect.objectContaining({ kind: 'name-filled', card: BOB, name: 'Bob' }),
    ]);
    expect(store.allSessions().map((s) => s.name)).toEqual(['Bob', 'Bob']);
  });

  it('a session that follows its person to another card is stored under that card, its name filled in first', () => {
    const { play } = player(store);
    const WEDGE = '3002090138';
    play(
      read(T0, WEDGE),
      people(T0 + HOUR, [{ card: ALICE, name: 'Alice', aliases: [WEDGE] }]),
      read(T0 + 2 * HOUR, ALICE),
    );
    expect(store.allSessions().map((s) => [s.id, s.card, s.name, s.status])).toEqual([
      [sessionId(WEDGE, T0), ALICE, 'Alice', 'out'],
    ]);
  });

  it('a time correction sets both ends of a closed session, and never breaks its CHECK: a clock-out before the corrected clock-in is moved to it', () => {
    const { play } = player(store);
    play(
      read(T0, ALICE),
      read(T0 + HOUR, ALICE),
      read(T0 + 2 * HOUR, BOB),
      read(T0 + 3 * HOUR, BOB),
    );
    const correct = (session: string, inAt: number, outAt: number | null) =>
      toCommit([
        {
          type: 'correctTimes',
          at: T0 + 4 * HOUR,
          sessions: [{ session, card: ALICE, inAt, outAt }],
        },
      ]);
    store.commit(correct(sessionId(ALICE, T0), T0 + 10 * HOUR, T0 + 11 * HOUR), T0 + 4 * HOUR);
    // A correction that knows only the clock-in, past the stored clock-out: clamped, not refused.
    store.commit(correct(sessionId(BOB, T0 + 2 * HOUR), T0 + 20 * HOUR, null), T0 + 4 * HOUR);
    expect(store.allSessions().map((s) => [s.card, s.inAt, s.outAt])).toEqual([
      [ALICE, T0 + 10 * HOUR, T0 + 11 * HOUR],
      [BOB, T0 + 20 * HOUR, T0 + 20 * HOUR],
    ]);
  });

  it('lists sessions that overlap a range, oldest first', () => {
    const { play } = player(store);
    play(read(T0, ALICE), read(T0 + HOUR, BOB), read(T0 + 3 * HOUR, ALICE));
    const ids = (from: number, to: number) => store.sessionsBetween(from, to).map((s) => s.inAt);
    expect(ids(T0 - HOUR, T0)).toEqual([]);
    expect(ids(T0 + 3 * HOUR, T0 + 4 * HOUR)).toEqual([T0 + HOUR]);
    expect(ids(T0 + 2 * HOUR, T0 + 2 * HOUR + 1)).toEqual([T0, T0 + HOUR]);
    expect(ids(T0 - HOUR, T0 + 1)).toEqual([T0]);
  });
});

describe('a full disk', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('full');
  });
  afterEach(() => {
    dir.remove();
  });

  /** 120 unknown cards clock in; then People names them all: one large step. */
  function unnamedCrowd(store: Store) {
    const { play } = player(store);
    const cards = Array.from({ length: 120 }, (_, i) => `CA${String(i).padStart(6, '0')}`);
    play(...cards.map((card, i) => read(T0 + i * 1000, card)));
    const reduce = makeReducer(defaultRules('UTC'));
    const naming = reduce(
      { ...initialState, unnamed: new Set(cards) },
      people(
        T0 + HOUR,
        cards.map((card, i) => ({ card, name: `Person ${i} with a rather long name` })),
      ),
    );
    expect(naming.out).toHaveLength(cards.length);
    return toCommit(naming.out);
  }

  it('a commit that cannot grow the database throws a StoreError naming the file and "full", and leaves nothing half-written', () => {
    const store = Store.open(join(dir.path, 'badgeclock.db'));
    const naming = unnamedCrowd(store);
    const before = { counts: store.counts(), sessions: store.allSessions() };
    // max_page_count is per connection, so it is set on the store's own: the file cannot grow.
    const db = connectionOf(store);
    db.pragma(`max_page_count = ${String(db.pragma('page_count', { simple: true }))}`);
    const error = thrown(() => {
      store.commit(naming, T0 + HOUR);
    });
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(
      new RegExp(`^the disk holding ${escape(store.file)} is full .*Free some space`),
    );
    expect(store.counts()).toEqual(before.counts);
    expect(store.allSessions()).toEqual(before.sessions);
    expect(store.allSessions().every((s) => s.name === null)).toBe(true);
    expect(store.integrityCheck()).toBe('ok');
    // With room again the same step commits whole.
    db.pragma('max_page_count = 1000000');
    store.commit(naming, T0 + HOUR);
    expect(store.allSessions().every((s) => s.name?.startsWith('Person ') === true)).toBe(true);
    expect(store.counts().outbox).toBe(before.counts.outbox + 120);
    store.close();
  });

  (tmpfsAvailable() ? describe : describe.skip)(
    'on a real file system that fills up (needs root to mount a tmpfs)',
    () => {
      let tmpfs: Tmpfs;
      beforeEach(() => {
        mkdirSync(join(dir.path, 'mnt'));
        const mounted = mountTmpfs(join(dir.path, 'mnt'), 1024);
        if (mounted === null) throw new Error('could not mount a tmpfs');
        tmpfs = mounted;
      });
      afterEach(() => {
        tmpfs.unmount();
      });

      it('a commit on a full file system throws a StoreError naming the file and "full"; after space is freed the store carries on', () => {
        const store = Store.open(join(tmpfs.path, 'data', 'badgeclock.db'));
        try {
          player(store).play(read(T0, ALICE), read(T0 + HOUR, BOB));
          const before = store.counts();
          tmpfs.fill();
          const error = thrown(() =>
            player(store, rules, restored(store)).play(read(T0 + 2 * HOUR, ALICE)),
          );
          expect(error).toBeInstanceOf(StoreError);
          expect((error as StoreError).message).toContain(`the disk holding ${store.file} is full`);
          expect(store.counts()).toEqual(before);
          expect(store.integrityCheck()).toBe('ok');
          unfill(tmpfs);
          // The clock stopped at the error; restarted, it carries on from what the store holds.
          player(store, rules, restored(store)).play(read(T0 + 3 * HOUR, ALICE));
          expect(store.allSessions().map((s) => [s.card, s.status, s.outAt])).toEqual([
            [ALICE, 'out', T0 + 3 * HOUR],
            [BOB, 'in', null],
          ]);
        } finally {
          store.close();
        }
      });

      it('opening a new store on a full file system says the disk is full', () => {
        const file = join(tmpfs.path, 'data', 'badgeclock.db');
        tmpfs.fill();
        expect(() => Store.open(file)).toThrow(
          new RegExp(`^the disk holding ${escape(file)} is full`),
        );
      });
    },
  );
});

describe('backup', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('backup');
  });
  afterEach(() => {
    dir.remove();
  });

  it('writes a consistent copy that opens as a store with the same sessions and outbox', async () => {
    const store = Store.open(join(dir.path, 'badgeclock.db'));
    player(store).play(read(T0, ALICE), read(T0 + HOUR, BOB), read(T0 + 2 * HOUR, ALICE));
    const copy = join(dir.path, 'copy.db');
    await store.backup(copy);
    const restored = Store.open(copy, { readonly: true });
    expect(restored.allSessions()).toEqual(store.allSessions());
    expect(restored.pending()).toEqual(store.pending());
    expect(restored.integrityCheck()).toBe('ok');
    restored.close();
    store.close();
  });
});

describe('the status and backup commands', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let file: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('status');
    data = join(dir.path, 'data');
    file = join(data, 'badgeclock.db');
  });
  afterEach(async () => {
    await killLeftoverClocks();
    dir.remove();
  });
  const fast = { ...QUIET, BADGECLOCK_GUARD_SECONDS: '0', BADGECLOCK_DEBOUNCE_SECONDS: '0' };

  it('status prints the open sessions with since and for how long, the outbox depth and age, the last tap and the database size', async () => {
    const now = Date.now();
    const store = Store.open(file);
    const { play } = player(store, defaultRules('Europe/Berlin'));
    play(
      people(now - 3 * HOUR, [
        { card: ALICE, name: 'Alice' },
        { card: BOB, name: 'Bob' },
      ]),
      read(now - 3 * HOUR, BOB),
      read(now - 2 * HOUR - 30 * MINUTE, BOB),
      read(now - 2 * HOUR - 15 * MINUTE, ALICE),
      read(now - 90 * MINUTE, BOB),
    );
    // The first outbox entries went to the sheet already.
    const [firstKey = ''] = store.pending().map((p) => p.entry.key);
    store.markDone([firstKey], now - HOUR);
    const depth = store.depth();
    store.close();
    const result = await runCli(['status', '--data-dir', data, '--tz', 'Europe/Berlin'], {
      env: QUIET,
    });
    expect(logText(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const local = (at: number) =>
      new Intl.DateTimeFormat('sv-SE', {
        timeZone: 'Europe/Berlin',
        dateStyle: 'short',
        timeStyle: 'short',
      }).format(at);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('Open sessions: 2');
    expect(lines).toContain(
      `  ${'Alice'.padEnd(20)}  since ${local(now - 2 * HOUR - 15 * MINUTE)}  for 2h 15m`,
    );
    expect(lines).toContain(`  ${'Bob'.padEnd(20)}  since ${local(now - 90 * MINUTE)}  for 1h 30m`);
    expect(lines).toContain(
      `Outbox: ${depth} pending, oldest from ${local(now - 2 * HOUR - 30 * MINUTE)} (2h 30m ago)`,
    );
    expect(lines).toContain(`Last tap: ${local(now - 90 * MINUTE)}  ${BOB}  clock-in`);
    expect(lines).toContain(`Database: ${file}, ${(statSync(file).size / 1024).toFixed(0)} KiB`);
  });

  it('status on an empty store says so', async () => {
    Store.open(file).close();
    const result = await runCli(['status', '--data-dir', data], { env: QUIET });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Open sessions: 0\n');
    expect(result.stdout).toContain('Outbox: empty\n');
    expect(result.stdout).toContain('Last tap: none yet\n');
  });

  it('status without a database exits 1 saying what to do, and creates nothing', async () => {
    const result = await runCli(['status', '--data-dir', data], { env: QUIET });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(`no database at ${file} yet`);
    expect(existsSync(data)).toBe(false);
  });

  it('backup FILE, taken while the clock runs, opens as a store holding the same sessions', async () => {
    const clock = new Clock(['run', '--data-dir', data, '--tz', 'UTC'], { env: fast });
    try {
      await clock.started();
      clock.write(`${ALICE}\n`);
      clock.write(`${BOB}\n`);
      await clock.waitFor((c) => c.lines().filter((l) => / in$/.test(l)).length === 2);
      clock.write(`${ALICE}\n`);
      await clock.waitFor((c) => c.lines().some((l) => l.includes(' out ')));
      const copy = join(dir.path, 'backup.db');
      const result = await runCli(['backup', copy, '--data-dir', data], { env: QUIET });
      expect(logText(result.stderr)).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`backup of ${file} written to ${copy}\n`);
      const backup = Store.open(copy, { readonly: true });
      const live = Store.open(file, { readonly: true });
      expect(backup.allSessions()).toEqual(live.allSessions());
      expect(backup.allSessions().map((s) => [s.card, s.status])).toEqual([
        [ALICE, 'out'],
        [BOB, 'in'],
      ]);
      expect(backup.integrityCheck()).toBe('ok');
      backup.close();
      live.close();
    } finally {
      await clock.stop('SIGTERM');
    }
  });

  it.each([
    ['its own path', () => file, 'the live database'],
    ['its path with ".." in it', () => `${data}/../data/badgeclock.db`, 'the live database'],
    [
      'a path relative to the working directory',
      () => join('data', 'badgeclock.db'),
      'the live database',
    ],
    [
      'a symbolic link to it',
      () => {
        symlinkSync(file, join(dir.path, 'link.db'));
        return join(dir.path, 'link.db');
      },
      'the live database',
    ],
    [
      'a hard link to it',
      () => {
        linkSync(file, join(dir.path, 'hard.db'));
        return join(dir.path, 'hard.db');
      },
      'the live database',
    ],
    ['its write-ahead log', () => `${file}-wal`, "the live database's write-ahead log"],
  ])(
    'backup onto the live database (%s) is refused with exit 2, says why and what to do, and changes nothing',
    async (_how, destinationOf, what) => {
      seed(file);
      const destination = destinationOf();
      // A read-only look leaves -wal and -shm beside the file: taken before the files are.
      const sessions = peek(file, (db) => db.prepare('SELECT * FROM sessions').all());
      const before = filesIn(data);
      const result = await runCli(['backup', destination, '--data-dir', data], {
        env: QUIET,
        cwd: dir.path,
      });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(logText(result.stderr)).toBe(
        `cannot back up to ${destination}: it is ${what} (${file}${what === 'the live database' ? '' : '-wal'}), ` +
          'so the copy would overwrite the store it copies. Nothing was written. ' +
          'Give a file outside the data directory, e.g. badgeclock backup ~/badgeclock-backup.db',
      );
      expect(filesIn(data)).toEqual(before);
      expect(peek(file, (db) => db.prepare('SELECT * FROM sessions').all())).toEqual(sessions);
    },
  );

  it('backup onto the rollback journal is refused with exit 2: a copy there would be a hot journal no open gets past', async () => {
    seed(file);
    // The store is in WAL mode and has no journal; SQLite still looks for one on every open.
    const journal = `${data}/../data/badgeclock.db-journal`;
    const before = filesIn(data);
    const result = await runCli(['backup', journal, '--data-dir', data], { env: QUIET });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(logText(result.stderr)).toBe(
      `cannot back up to ${journal}: it is the live database's rollback journal (${file}-journal): ` +
        'SQLite would take the copy for an unfinished write of the store, and neither the clock nor any command could open the store again. ' +
        'Nothing was written. Give a file outside the data directory, e.g. badgeclock backup ~/badgeclock-backup.db',
    );
    expect(filesIn(data)).toEqual(before);
    const status = await runCli(['status', '--data-dir', data], { env: QUIET });
    expect(status.code).toBe(0);
  });

  it('backup into a directory that does not exist fails with exit 1 naming the file', async () => {
    Store.open(file).close();
    const copy = join(dir.path, 'missing', 'backup.db');
    const result = await runCli(['backup', copy, '--data-dir', data], { env: QUIET });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(`backup to ${copy} failed`);
  });
});

describe('what a restart reads', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('snapshot-plan');
  });
  afterEach(() => {
    dir.remove();
  });

  it('reads through indexes only, so a restart after years costs what it costs after a week', () => {
    const file = join(dir.path, 'badgeclock.db');
    Store.open(file).close();
    peek(file, (db) => {
      // A partial index holds only what it is for (the open, the unnamed, …): scanning it is cheap.
      const partial = (
        db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all() as {
          name: string;
          sql: string | null;
        }[]
      )
        .filter((index) => index.sql?.includes(' WHERE ') === true)
        .map((index) => index.name);
      const scans = Object.entries(SNAPSHOT_SQL).flatMap(([name, sql]) => {
        const params = (sql.match(/\?/g) ?? []).map(() => 0);
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as {
          detail: string;
        }[];
        // A scan of a table that grows with the years, or of a whole index of one (sightings
        // keeps one row per card, and is not counted).
        return plan
          .map((step) => step.detail)
          .filter((detail) => /^SCAN (sessions|outbox|taps)\b/.test(detail))
          .filter((detail) => !partial.some((index) => detail.endsWith(` INDEX ${index}`)))
          .map((detail) => `${name}: ${detail}`);
      });
      expect(scans).toEqual([]);
    });
  });
});
