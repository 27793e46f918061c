/**
 * The record against an earlier backup of it (src/commands/chainAnchor.ts), through the built
 * CLI on real SQLite files: the chain only grows, so a backup's links must all be in the
 * record. `verify --against BACKUP` and the nightly `backup --into DIR` find what `verify`
 * alone cannot: the newest taps deleted together with their links, and a chain rewritten to
 * match an edit, naming the records from the backup, which still holds them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { chainRecord } from '../src/drivers/store/chain';
import { MIGRATIONS } from '../src/drivers/store/schema';
import { Statements } from '../src/drivers/store/statements';
import { backupName } from '../src/commands/backupInto';
import { Store } from '../src/drivers/store/store';
import { logText, requireBuiltCli, runCli } from './support/runCli';
import { HOUR, player, read, tamper, tempDir } from './support/store-fixtures';
import { canRunAsOtherUser } from './support/store-tmpfs';

const T0 = Date.parse('2026-03-23T08:00:00Z');
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };
const ALICE = 'A11CE000';
const BOB = 'B0B0B0B0';
const iso = (at: number): string => new Date(at).toISOString();
const nobodyId = (): number => Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));

describe('verify --against a backup', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let file: string;
  let backup: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('verify-against');
    data = join(dir.path, 'data');
    file = join(data, 'badgeclock.db');
    backup = join(dir.path, 'badgeclock-door-20260323T120000Z.db');
    mkdirSync(data);
  });
  afterEach(() => {
    dir.remove();
  });

  /** Alice in, Bob in, Alice out (taps 1-3); a backup of them; then Bob out (tap 4). */
  async function backupThenATap(): Promise<void> {
    const store = Store.open(file);
    const taps = player(store);
    taps.play(read(T0, ALICE), read(T0 + HOUR, BOB), read(T0 + 2 * HOUR, ALICE));
    await store.backup(backup);
    taps.play(read(T0 + 3 * HOUR, BOB));
    store.close();
  }

  const verify = (...args: string[]): ReturnType<typeof runCli> =>
    runCli(['verify', '--data-dir', data, ...args], { env: QUIET });

  it('passes a record that holds every link of the backup, and says how many', async () => {
    await backupThenATap();
    const result = await verify('--against', backup);
    expect(logText(result.stderr)).toBe('');
    expect(result.stdout).toBe(
      `✔ record whole: 4 taps and 0 corrections, chained; the 3 links of ${backup} are all in it, the same\n`,
    );
    expect(result.code).toBe(0);
    const json = await verify('--against', backup, '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      whole: true,
      links: 4,
      taps: 4,
      corrections: 0,
      against: { file: backup, links: 3 },
    });
    // Read where it lies, and left as it was: no -wal or -shm of SQLite's beside it.
    expect(readdirSync(dir.path).sort()).toEqual([basename(backup), 'data']);
  });

  it('finds the newest taps deleted with their links, which verify alone calls whole, naming them', async () => {
    await backupThenATap();
    tamper(file, (db) => {
      db.exec('DELETE FROM chain WHERE seq >= 3');
      db.exec('DELETE FROM taps WHERE id >= 3');
    });
    const alone = await verify();
    expect(alone.stdout).toBe('✔ record whole: 2 taps and 0 corrections, chained\n');
    const result = await verify('--against', backup);
    expect(result.stdout).toBe(
      [
        '✖ record changed:',
        `  - the record ends at link 2, but ${backup} holds 3: the last 1 (tap 3 (${iso(T0 + 2 * HOUR)}, card ${ALICE})) were deleted, or this store was restored from an older backup or started anew`,
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  });

  it('finds a chain rewritten to match an edit, naming the link as the backup holds it and as it is now', async () => {
    await backupThenATap();
    tamper(file, (db) => {
      db.exec(`UPDATE taps SET card = 'C0FFEE00' WHERE id = 2`);
      db.exec('DELETE FROM chain');
      const sql = new Statements(db);
      for (const id of [1, 2, 3, 4]) chainRecord(sql, 'tap', id);
    });
    expect((await verify()).code).toBe(0);
    const result = await verify('--against', backup);
    expect(result.stdout).toBe(
      [
        '✖ record changed:',
        `  - from link 2 on, the record is not the one ${backup} holds: there, link 2 is tap 2 (${iso(T0 + HOUR)}, card ${BOB}); here it is tap 2 (${iso(T0 + HOUR)}, card C0FFEE00)`,
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  });

  it('refuses a backup that is missing or not a database, naming it, and exits 2', async () => {
    await backupThenATap();
    const missing = join(dir.path, 'none.db');
    const gone = await verify('--against', missing);
    expect(gone.code).toBe(2);
    expect(logText(gone.stderr)).toContain(`--against ${missing}: no such file`);
    const itself = await verify('--against', join(data, '..', 'data', 'badgeclock.db'));
    expect(itself.code).toBe(2);
    expect(logText(itself.stderr)).toContain(
      `that is the live database (${file}), not a backup of it`,
    );
    const junk = join(dir.path, 'notes.db');
    writeFileSync(junk, 'not a database\n'.repeat(200));
    const garbage = await verify('--against', junk);
    expect(garbage.code).toBe(2);
    expect(logText(garbage.stderr)).toContain(`--against ${junk}: cannot read it as a badgeclock`);
  });

  it('names both a chain rewritten from a link on and the links after it deleted', async () => {
    await backupThenATap();
    tamper(file, (db) => {
      db.exec('DELETE FROM taps WHERE id >= 3');
      db.exec(`UPDATE taps SET card = 'C0FFEE00' WHERE id = 2`);
      db.exec('DELETE FROM chain');
      const sql = new Statements(db);
      for (const id of [1, 2]) chainRecord(sql, 'tap', id);
    });
    const result = await verify('--against', backup);
    expect(result.stdout).toContain(
      `  - from link 2 on, the record is not the one ${backup} holds`,
    );
    expect(result.stdout).toContain(
      `  - the record ends at link 2, but ${backup} holds 3: the last 1 (tap 3 (`,
    );
    expect(result.code).toBe(1);
  });

  it('leaves no copy of an older store behind when the backup cannot be read', async () => {
    const db = new Database(file);
    for (const sql of MIGRATIONS.slice(0, 5)) db.exec(sql);
    db.pragma('user_version = 5');
    db.close();
    const tmp = join(dir.path, 'tmp');
    mkdirSync(tmp);
    const junk = join(dir.path, 'notes.db');
    writeFileSync(junk, 'not a database\n'.repeat(200));
    const result = await runCli(['verify', '--data-dir', data, '--against', junk], {
      env: { ...QUIET, TMPDIR: tmp },
    });
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(`--against ${junk}: cannot read it as a badgeclock`);
    expect(readdirSync(tmp)).toEqual([]);
  });

  // Root may write any folder, so the reader is played by nobody (skipped where that cannot be).
  (canRunAsOtherUser() ? it : it.skip)(
    'reads a backup in a folder this user cannot write, as an admin reads /var/backups',
    async () => {
      await backupThenATap();
      chmodSync(dir.path, 0o755);
      chownSync(data, nobodyId(), 0);
      for (const name of readdirSync(data)) chownSync(join(data, name), nobodyId(), 0);
      chmodSync(backup, 0o644);
      const result = await runCli(['verify', '--data-dir', data, '--against', backup], {
        env: QUIET,
        user: 'nobody',
      });
      expect(logText(result.stderr)).toBe('');
      expect(result.stdout).toContain(`the 3 links of ${backup} are all in it, the same`);
      expect(result.code).toBe(0);
    },
  );

  it('still gives the record its own verdict when the backup cannot be read', async () => {
    await backupThenATap();
    tamper(file, (db) => db.exec('DELETE FROM taps WHERE id = 1'));
    const junk = join(dir.path, 'notes.db');
    writeFileSync(junk, 'not a database\n'.repeat(200));
    const result = await verify('--against', junk);
    expect(result.stdout).toContain('  - tap 1 deleted: link 1 holds it, but its row is gone');
    expect(logText(result.stderr)).toContain(`--against ${junk}: cannot read it as a badgeclock`);
    expect(result.code).toBe(1);
  });

  it('refuses a database that is not a badgeclock one, rather than finding nothing in it', async () => {
    await backupThenATap();
    const other = join(dir.path, 'photos.db');
    const db = new Database(other);
    db.exec('CREATE TABLE photos (name TEXT)');
    db.close();
    const result = await verify('--against', other);
    expect(result.code).toBe(2);
    expect(logText(result.stderr)).toContain(
      `${other}: not a badgeclock database (it has no taps table)`,
    );
  });

  it('says a backup from before the chain has nothing to compare, and checks the record alone', async () => {
    await backupThenATap();
    const old = join(dir.path, 'schema5.db');
    const db = new Database(old);
    for (const sql of MIGRATIONS.slice(0, 5)) db.exec(sql);
    db.pragma('user_version = 5');
    db.close();
    const result = await verify('--against', old);
    expect(result.stdout).toBe('✔ record whole: 4 taps and 0 corrections, chained\n');
    expect(result.stderr).toContain(`${old} holds no chain`);
    expect(result.code).toBe(0);
  });
});

describe('backup --into compares the record with the last backup', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  let file: string;
  let backups: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('backup-anchor');
    data = join(dir.path, 'data');
    file = join(data, 'badgeclock.db');
    backups = join(dir.path, 'backups');
    mkdirSync(data);
    mkdirSync(backups);
  });
  afterEach(() => {
    dir.remove();
  });

  const backup = (): ReturnType<typeof runCli> =>
    runCli(['backup', '--data-dir', data, '--into', backups, '--keep', '2'], {
      env: { ...QUIET, BADGECLOCK_DOOR: 'front' },
    });

  /** Three nights of backups, a tap before each: Alice in, Bob in, Alice out. */
  async function threeNights(): Promise<string[]> {
    const store = Store.open(file);
    const taps = player(store);
    const names: string[] = [];
    for (const [night, card] of [ALICE, BOB, ALICE].entries()) {
      taps.play(read(T0 + night * HOUR, card));
      names.push(backupName('front', Date.now() - (3 - night) * 24 * HOUR));
      await store.backup(join(backups, names[night] ?? ''));
    }
    store.close();
    return names;
  }

  it('goes on as usual while the record holds every link of the last backup', async () => {
    await threeNights();
    const result = await backup();
    expect(logText(result.stderr)).toBe('');
    expect(result.stdout).toMatch(/; removed 2 older \(keeping 2\)\n$/);
    expect(result.code).toBe(0);
    expect(readdirSync(backups).every((name) => name.endsWith('.db'))).toBe(true);
  });

  it('fails naming the taps deleted since, writes the copy, and keeps the backup that holds them out of --keep', async () => {
    const names = await threeNights();
    tamper(file, (db) => {
      db.exec('DELETE FROM chain WHERE seq = 3');
      db.exec('DELETE FROM taps WHERE id = 3');
    });
    const result = await backup();
    expect(result.code).toBe(1);
    const last = join(backups, names[2] ?? '');
    const kept = last.replace(/\.db$/, '.before-change.db');
    expect(logText(result.stderr)).toContain(
      `the record was changed since the last backup (compared with ${last}): the record ends at link 2, ` +
        `but ${last} holds 3: the last 1 (tap 3 (${iso(T0 + 2 * HOUR)}, card ${ALICE})) were deleted, ` +
        `or this store was restored from an older backup or started anew. That backup is kept as ${kept}, ` +
        'which --keep never removes',
    );
    const written = /written to (\S+); removed 1 older \(keeping 2\)\n$/.exec(result.stdout)?.[1];
    expect(readdirSync(backups).sort()).toEqual(
      [names[1], basename(kept), basename(written ?? '')].sort(),
    );
    // The next night compares with the copy just written, and goes on as usual.
    const next = await backup();
    expect(next.code).toBe(0);
    expect(logText(next.stderr)).toBe('');
    expect(readdirSync(backups)).toContain(basename(kept));
    // The kept copy names what changed.
    const named = await runCli(['verify', '--data-dir', data, '--against', kept], { env: QUIET });
    expect(named.code).toBe(1);
    expect(named.stdout).toContain(`the record ends at link 2, but ${kept} holds 3`);
  });

  it('fails a record changed in the middle, which the chain shows and the last backup holds', async () => {
    await threeNights();
    tamper(file, (db) => db.exec('DELETE FROM taps WHERE id = 2'));
    const result = await backup();
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      'the record was changed since the last backup (compared with',
    );
    expect(logText(result.stderr)).toContain('tap 2 deleted: link 2 holds it, but its row is gone');
  });

  it('compares with the next copy when the newest cannot be read, and says so', async () => {
    const names = await threeNights();
    const junk = join(backups, backupName('front', Date.now() - HOUR));
    writeFileSync(junk, 'not a database\n'.repeat(300));
    tamper(file, (db) => {
      db.exec('DELETE FROM chain WHERE seq = 3');
      db.exec('DELETE FROM taps WHERE id = 3');
    });
    const result = await backup();
    expect(logText(result.stderr)).toContain(
      `could not read 1 backup(s) to compare the record with (${junk}: file is not a database); ` +
        `compared it with ${join(backups, names[2] ?? '')} instead`,
    );
    expect(logText(result.stderr)).toContain(`(compared with ${join(backups, names[2] ?? '')})`);
    expect(result.code).toBe(1);
  });
  it('a row edited is a change the first night only: later nights warn, and keep no more copies', async () => {
    await threeNights();
    tamper(file, (db) => db.exec(`UPDATE taps SET card = 'C0FFEE00' WHERE id = 2`));
    const first = await backup();
    expect(first.code).toBe(1);
    expect(logText(first.stderr)).toContain(
      `tap 2 (${iso(T0 + HOUR)}, card C0FFEE00): changed since it was written`,
    );
    for (const night of [1, 2]) {
      const later = await backup();
      expect({ night, code: later.code }).toEqual({ night, code: 0 });
      expect(logText(later.stderr)).toContain(
        'the record is still not as the clock wrote it, as at the last backup: 1 problem(s), which badgeclock verify names',
      );
    }
    expect(readdirSync(backups).filter((name) => name.includes('before-change'))).toHaveLength(1);
  });

  it('waits for the taps from before the chain to be linked, instead of calling each a change', async () => {
    await threeNights();
    // A start cut short while linking (test/verify.test.ts): the note of taps left to link.
    tamper(file, (db) => db.exec('CREATE TABLE chain_backfill (upto INTEGER NOT NULL)'));
    const result = await backup();
    expect(result.code).toBe(0);
    expect(logText(result.stderr)).toContain(
      'taps from before the chain (schema 6) are not all linked yet: the record is checked against its backups once the clock has linked them',
    );
    expect(readdirSync(backups).filter((name) => name.includes('before-change'))).toEqual([]);
  });

  it("says another store's copy under this door's name every night, and leaves it to --keep", async () => {
    await threeNights();
    // Another site's door also named front, backing up into the same folder.
    const other = join(dir.path, 'other.db');
    const store = Store.open(other);
    player(store).play(read(T0, 'D0D0D0D0'));
    await store.backup(join(backups, backupName('front', Date.now() - HOUR)));
    store.close();
    const result = await backup();
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      'That backup shares not even the first link with the record, so it is left to --keep',
    );
    expect(readdirSync(backups).filter((name) => name.includes('before-change'))).toEqual([]);
  });

  it('still writes the copy of a store whose chain table was dropped, and says so', async () => {
    await threeNights();
    tamper(file, (db) => db.exec('DROP TABLE chain'));
    const result = await backup();
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      `${file}: no such table: chain: the record's tables were changed outside the clock`,
    );
    expect(result.stdout).toMatch(/written to .*badgeclock-front-\d{8}T\d{6}Z\.db/);
    // Said every night, but the copies taken since, without a chain, are no witness to keep.
    expect((await backup()).code).toBe(1);
    expect(readdirSync(backups).filter((name) => name.includes('before-change'))).toHaveLength(1);
  });

  it('on the first night, a record not as the clock wrote it is said without a backup to blame', async () => {
    const store = Store.open(file);
    player(store).play(read(T0, ALICE), read(T0 + HOUR, BOB));
    store.close();
    tamper(file, (db) => db.exec('DELETE FROM taps WHERE id = 1'));
    const result = await backup();
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      'the record is not as the clock wrote it (no backup here to compare it with): tap 1 deleted',
    );
  });
});
