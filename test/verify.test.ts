/**
 * The hash chain over the raw record (rule 13) on real SQLite files: every tap
 * is linked as it is committed, taps from before schema 6 are linked once at
 * the first start after the upgrade, and `verify` finds a row edited, deleted
 * or slipped in through another connection, naming it; `backup` keeps the
 * chain; the built CLI's `verify` says so with its exit code.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { linkTapsFromBeforeChain, markTapsToLink, chainRecord } from '../src/drivers/store/chain';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/drivers/store/schema';
import { Statements } from '../src/drivers/store/statements';
import { Store, type ChainVerdict } from '../src/drivers/store/store';
import { logText, requireBuiltCli, runCli } from './support/runCli';
import { HOUR, MINUTE, peek, player, read, tamper, tempDir } from './support/store-fixtures';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };
const ALICE = 'A11CE000';
const BOB = 'B0B0B0B0';
const iso = (at: number): string => new Date(at).toISOString();

function verdictOf(file: string): ChainVerdict {
  const store = Store.open(file, { readonly: true });
  try {
    return store.verify();
  } finally {
    store.close();
  }
}

/** Three taps: Alice in (tap 1), Bob in (tap 2), Alice out (tap 3). */
function threeTaps(file: string): void {
  const store = Store.open(file);
  player(store).play(read(T0, ALICE), read(T0 + HOUR, BOB), read(T0 + 2 * HOUR, ALICE));
  store.close();
}

/** A database as badgeclock wrote it at schema 5: migrations 1-5 only, and `taps` taps in it. */
function schema5(file: string, taps: number): void {
  const db = new Database(file);
  for (const sql of MIGRATIONS.slice(0, 5)) db.exec(sql);
  db.pragma('user_version = 5');
  const insert = db.prepare(
    'INSERT INTO taps (at, card, reader, outcome, session) VALUES (?, ?, ?, ?, ?)',
  );
  for (let i = 0; i < taps; i++) {
    const card = i % 2 === 0 ? ALICE : BOB;
    insert.run(T0 + i * MINUTE, card, 'door', i % 4 < 2 ? 'clock-in' : 'clock-out', `s-${card}`);
  }
  db.close();
}

describe('the hash chain', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir('verify');
    file = join(dir.path, 'badgeclock.db');
  });
  afterEach(() => {
    dir.remove();
  });

  it('links every tap as it is committed, in order, with its final outcome: the record is whole', () => {
    const store = Store.open(file);
    const { play } = player(store);
    // A double tap is ignored: its tap is kept and linked like any other.
    play(
      read(T0, ALICE),
      read(T0 + 10_000, ALICE),
      read(T0 + HOUR, BOB),
      read(T0 + 2 * HOUR, ALICE),
    );
    expect(store.verify()).toEqual({ whole: true, links: 4, taps: 4, corrections: 0 });
    store.close();
    peek(file, (db) => {
      expect(db.prepare('SELECT seq, kind, ref FROM chain ORDER BY seq').raw().all()).toEqual([
        [1, 'tap', 1],
        [2, 'tap', 2],
        [3, 'tap', 3],
        [4, 'tap', 4],
      ]);
      expect(db.prepare('SELECT outcome FROM taps WHERE id = 2').pluck().get()).toBe('ignored');
    });
    expect(verdictOf(file)).toEqual({ whole: true, links: 4, taps: 4, corrections: 0 });
  });

  it.each([
    [
      'card',
      `UPDATE taps SET card = 'C0FFEE00' WHERE id = 2`,
      `tap 2 (${iso(T0 + HOUR)}, card C0FFEE00)`,
    ],
    [
      'time',
      `UPDATE taps SET at = at - ${30 * MINUTE} WHERE id = 2`,
      `tap 2 (${iso(T0 + 30 * MINUTE)}, card ${BOB})`,
    ],
    [
      'outcome',
      `UPDATE taps SET outcome = 'ignored' WHERE id = 2`,
      `tap 2 (${iso(T0 + HOUR)}, card ${BOB})`,
    ],
  ])(
    'a tap whose %s was edited through another connection is found, naming the tap',
    (_what, edit, tap) => {
      threeTaps(file);
      tamper(file, (db) => db.exec(edit));
      expect(verdictOf(file)).toEqual({
        whole: false,
        problems: [`${tap}: changed since it was written (its row no longer matches link 2)`],
        more: 0,
      });
    },
  );

  it('a deleted tap row is found by the link that held it', () => {
    threeTaps(file);
    tamper(file, (db) => db.exec('DELETE FROM taps WHERE id = 2'));
    expect(verdictOf(file)).toEqual({
      whole: false,
      problems: ['tap 2 deleted: link 2 holds it, but its row is gone'],
      more: 0,
    });
  });

  it('a deleted link is found as a gap in the chain, and its tap as unlinked', () => {
    threeTaps(file);
    tamper(file, (db) => db.exec('DELETE FROM chain WHERE seq = 2'));
    expect(verdictOf(file)).toEqual({
      whole: false,
      problems: [
        'link 2 missing (the chain goes from 1 to 3): deleted from the chain',
        `tap 2 (${iso(T0 + HOUR)}, card ${BOB}): not in the chain: added outside the clock, or its link was deleted`,
      ],
      more: 0,
    });
  });

  it('a tap inserted behind the clock is found, and a restart does not link it', () => {
    threeTaps(file);
    tamper(file, (db) =>
      db
        .prepare("INSERT INTO taps (at, card, reader, outcome) VALUES (?, ?, 'door', 'clock-in')")
        .run(T0 + 3 * HOUR, 'D00D0000'),
    );
    Store.open(file).close();
    expect(verdictOf(file)).toEqual({
      whole: false,
      problems: [
        `tap 4 (${iso(T0 + 3 * HOUR)}, card D00D0000): not in the chain: added outside the clock, or its link was deleted`,
      ],
      more: 0,
    });
  });

  it('a link whose hash was changed is told from a changed row', () => {
    threeTaps(file);
    tamper(file, (db) => db.exec(`UPDATE chain SET hash = '${'0'.repeat(64)}' WHERE seq = 2`));
    expect(verdictOf(file)).toEqual({
      whole: false,
      problems: [
        `link 2 of tap 2 (${iso(T0 + HOUR)}, card ${BOB}): its hash was changed (the row is as written; link 3 follows from the right hash)`,
      ],
      more: 0,
    });
  });

  it('corrections are chained beside the taps, and an edited one is found', () => {
    threeTaps(file);
    const store = Store.open(file);
    const db = new Database(file);
    const sql = new Statements(db);
    sql.transaction(() => {
      const { lastInsertRowid } = db
        .prepare(
          "INSERT INTO corrections (seen_at, session, card, field, old, new, applied, source) VALUES (?, 's-1', ?, 'in', ?, ?, 1, 'sheet')",
        )
        .run(T0 + 3 * HOUR, ALICE, iso(T0), iso(T0 - 5 * MINUTE));
      chainRecord(sql, 'correction', lastInsertRowid);
    });
    db.close();
    player(store).play(read(T0 + 4 * HOUR, BOB));
    expect(store.verify()).toEqual({ whole: true, links: 5, taps: 4, corrections: 1 });
    store.close();
    tamper(file, (other) => other.exec("UPDATE corrections SET new = '2026-03-23T07:00:00.000Z'"));
    expect(verdictOf(file)).toEqual({
      whole: false,
      problems: [
        `correction 1 (${iso(T0 + 3 * HOUR)}, session s-1, card ${ALICE}): changed since it was written (its row no longer matches link 4)`,
      ],
      more: 0,
    });
  });

  it('lists the first 20 problems and counts the rest', () => {
    threeTaps(file);
    tamper(file, (db) => {
      const insert = db.prepare(
        "INSERT INTO taps (at, card, reader, outcome) VALUES (?, 'D00D0000', 'door', 'clock-in')",
      );
      for (let i = 0; i < 25; i++) insert.run(T0 + (3 + i) * HOUR);
    });
    const verdict = verdictOf(file);
    expect(verdict.whole).toBe(false);
    if (verdict.whole) return;
    expect(verdict.problems).toHaveLength(20);
    expect(verdict.problems[0]).toMatch(/^tap 4 \(/);
    expect(verdict.more).toBe(5);
  });

  it('a backup keeps the chain: verify on the copy is whole', async () => {
    threeTaps(file);
    const store = Store.open(file, { readonly: true });
    const copy = join(dir.path, 'copy.db');
    await store.backup(copy);
    store.close();
    expect(verdictOf(copy)).toEqual({ whole: true, links: 3, taps: 3, corrections: 0 });
  });
});

describe('taps from before the chain (schema 5)', () => {
  let dir: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    dir = tempDir('verify-upgrade');
    file = join(dir.path, 'badgeclock.db');
  });
  afterEach(() => {
    dir.remove();
  });

  it('are linked in id order at the first start after the upgrade, before the next tap', () => {
    schema5(file, 12);
    const store = Store.open(file);
    expect(store.verify()).toEqual({ whole: true, links: 12, taps: 12, corrections: 0 });
    player(store).play(read(T0 + 10 * HOUR, BOB));
    expect(store.verify()).toEqual({ whole: true, links: 13, taps: 13, corrections: 0 });
    store.close();
    peek(file, (db) => {
      expect(db.prepare('SELECT ref FROM chain ORDER BY seq').pluck().all()).toEqual(
        Array.from({ length: 13 }, (_, i) => i + 1),
      );
      // The note of what was left to link is gone with the last batch.
      expect(
        db
          .prepare("SELECT count(*) FROM sqlite_master WHERE name = 'chain_backfill'")
          .pluck()
          .get(),
      ).toBe(0);
    });
  });

  it('a start cut short while linking them carries on at the next start, and verify says so meanwhile', () => {
    schema5(file, 12);
    // The upgrade as `migrate` runs it, then batches of 5 until a power cut at tap 8.
    const db = new Database(file);
    // (Every later migration too, as a start does before it links: a read-only store opens only
    // a database of this badgeclock's schema.)
    db.transaction(() => {
      db.exec(MIGRATIONS[5] ?? '');
      markTapsToLink(db);
      for (const migration of MIGRATIONS.slice(6)) db.exec(migration);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    db.exec(
      "CREATE TRIGGER cut BEFORE INSERT ON chain WHEN NEW.ref = 8 BEGIN SELECT RAISE(ABORT, 'power cut'); END",
    );
    expect(() => linkTapsFromBeforeChain(new Statements(db), 5)).toThrow('power cut');
    db.exec('DROP TRIGGER cut');
    db.close();
    peek(file, (look) => {
      expect(look.prepare('SELECT count(*) FROM chain').pluck().get()).toBe(5);
    });
    const halfway = verdictOf(file);
    expect(halfway.whole).toBe(false);
    if (halfway.whole) return;
    expect(halfway.problems[0]).toBe(
      'taps from before the chain (schema 6) are not all linked yet: start the clock once to link them',
    );
    expect(halfway.problems.slice(1)).toHaveLength(7);
    Store.open(file).close();
    expect(verdictOf(file)).toEqual({ whole: true, links: 12, taps: 12, corrections: 0 });
  });

  it('an edit to one of them after the upgrade is found like any other', () => {
    schema5(file, 6);
    Store.open(file).close();
    tamper(file, (db) => db.exec("UPDATE taps SET reader = 'back door' WHERE id = 3"));
    expect(verdictOf(file)).toEqual({
      whole: false,
      problems: [
        `tap 3 (${iso(T0 + 2 * MINUTE)}, card ${ALICE}): changed since it was written (its row no longer matches link 3)`,
      ],
      more: 0,
    });
  });
});

describe('the verify command', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let file: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('verify-cli');
    data = join(dir.path, 'data');
    file = join(data, 'badgeclock.db');
    mkdirSync(data);
  });
  afterEach(() => {
    dir.remove();
  });

  it('says the record is whole and exits 0', async () => {
    threeTaps(file);
    const result = await runCli(['verify', '--data-dir', data], { env: QUIET });
    expect(logText(result.stderr)).toBe('');
    expect(result.stdout).toBe('✔ record whole: 3 taps and 0 corrections, chained\n');
    expect(result.code).toBe(0);
  });

  it('names what changed and exits 1; --json gives the same verdict', async () => {
    threeTaps(file);
    tamper(file, (db) => {
      db.exec("UPDATE taps SET card = 'C0FFEE00' WHERE id = 1");
      db.exec('DELETE FROM taps WHERE id = 3');
    });
    const result = await runCli(['verify', '--data-dir', data], { env: QUIET });
    expect(result.stdout).toBe(
      [
        '✖ record changed:',
        `  - tap 1 (${iso(T0)}, card C0FFEE00): changed since it was written (its row no longer matches link 1)`,
        '  - tap 3 deleted: link 3 holds it, but its row is gone',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
    const json = await runCli(['verify', '--json', '--data-dir', data], { env: QUIET });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual(verdictOf(file));
  });

  it('names a dropped chain table as a change to the record, with the file, and exits 1', async () => {
    threeTaps(file);
    tamper(file, (db) => db.exec('DROP TABLE chain'));
    const problem = `${file}: no such table: chain: the record's tables were changed outside the clock, so nothing can be checked against the chain`;
    const result = await runCli(['verify', '--data-dir', data], { env: QUIET });
    expect(logText(result.stderr)).toBe('');
    expect(result.stdout).toBe(`✖ record changed:\n  - ${problem}\n`);
    expect(result.code).toBe(1);
    const json = await runCli(['verify', '--json', '--data-dir', data], { env: QUIET });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ whole: false, problems: [problem], more: 0 });
  });

  it('a backup an older badgeclock wrote is checked on an upgraded copy, and left as it was', async () => {
    schema5(file, 10);
    const before = readFileSync(file);
    const result = await runCli(['verify', '--data-dir', data], { env: QUIET });
    expect(result.stdout).toBe('✔ record whole: 10 taps and 0 corrections, chained\n');
    expect(result.stderr).toContain(
      `${file} is from an older badgeclock (schema 5): checked on a copy brought up to date; the file itself is unchanged`,
    );
    expect(result.code).toBe(0);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(data)).toEqual(['badgeclock.db']);
  });

  it('on a copy made by backup, the record is whole', async () => {
    threeTaps(file);
    const copyDir = join(dir.path, 'copy');
    mkdirSync(copyDir);
    const backup = await runCli(['backup', join(copyDir, 'badgeclock.db'), '--data-dir', data], {
      env: QUIET,
    });
    expect(backup.code).toBe(0);
    const result = await runCli(['verify', '--data-dir', copyDir], { env: QUIET });
    expect(result.stdout).toBe('✔ record whole: 3 taps and 0 corrections, chained\n');
    expect(result.code).toBe(0);
  });

  it('without a database exits 1 saying what to do', async () => {
    const result = await runCli(['verify', '--data-dir', join(dir.path, 'none')], { env: QUIET });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain('no database at');
  });
});
