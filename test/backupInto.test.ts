/**
 * `badgeclock backup --into DIR --keep N`, the nightly backup's command: dated copies that open
 * as the store, this door's oldest beyond N removed and nothing else touched, copies named by
 * a clock that was ahead kept aside, a copy cut short never taken for a backup, a copy that
 * would fill the disk refused, and every wrong argument refused before anything is written.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backupInto, backupName, BackupRefused } from '../src/commands/backupInto';
import { Store } from '../src/drivers/store/store';
import { logText, requireBuiltCli, runCli } from './support/runCli';
import { HOUR, player, read } from './support/store-fixtures';
import { canRunAsOtherUser, mountTmpfs, tmpfsAvailable } from './support/store-tmpfs';
import { useTempDir } from './support/useTempDir';

const QUIET = { BADGECLOCK_TIME_SYNC: 'off', BADGECLOCK_DOOR: 'front' };
const T0 = Date.parse('2026-03-23T08:00:00Z');
const DAY = 24 * HOUR;

describe('backup --into', () => {
  const dir = useTempDir('backup-into');
  beforeAll(requireBuiltCli);

  /** A data directory whose store holds two sessions, and an empty folder for backups. */
  function site(): { data: string; backups: string; sessions: unknown } {
    const data = join(dir(), 'data');
    const backups = join(dir(), 'backups');
    mkdirSync(data);
    mkdirSync(backups);
    const store = Store.open(join(data, 'badgeclock.db'));
    player(store).play(read(T0, 'A11CE000'), read(T0 + HOUR, 'B0B0B0B0'));
    const sessions = store.allSessions();
    store.close();
    return { data, backups, sessions };
  }

  const backup = (data: string, ...args: string[]) =>
    runCli(['backup', '--data-dir', data, '--tz', 'UTC', ...args], { env: QUIET });

  /** Earlier copies of `door` in `folder`, one a night before `now`, for `nights` nights. */
  function earlier(folder: string, door: string, now: number, nights: number): string[] {
    const names = Array.from({ length: nights }, (_, i) => backupName(door, now - (i + 1) * DAY));
    for (const name of names) writeFileSync(join(folder, name), 'an older copy');
    return names;
  }

  it("names each copy by its door and its UTC time, so a door's names sort as the times", () => {
    expect(backupName('front', Date.parse('2026-12-02T03:17:09.512Z'))).toBe(
      'badgeclock-front-20261202T031709Z.db',
    );
    expect(backupName('back_2', Date.parse('2027-01-01T00:00:00+01:00'))).toBe(
      'badgeclock-back_2-20261231T230000Z.db',
    );
  });

  it('writes a dated copy that opens as the store, and keeps the newest N, touching no other file', async () => {
    const { data, backups, sessions } = site();
    const now = Date.now();
    const nights = earlier(backups, 'front', now, 16);
    // Another door's copies in the same shared folder, and files of the person's own.
    const otherDoor = earlier(backups, 'front-2', now, 16);
    writeFileSync(join(backups, 'notes.txt'), 'mine');
    writeFileSync(join(backups, 'badgeclock-before-upgrade.db'), 'mine too');
    // A removed copy someone opened where it lies: its -wal and -shm go with it.
    writeFileSync(join(backups, `${nights[15] ?? ''}-wal`), '');
    writeFileSync(join(backups, `${nights[15] ?? ''}-shm`), '');

    const result = await backup(data, '--into', backups, '--keep', '3');
    expect(result.code).toBe(0);
    const written = /written to (\S+); removed 14 older \(keeping 3\)\n$/.exec(result.stdout)?.[1];
    expect(written).toMatch(/\/badgeclock-front-\d{8}T\d{6}Z\.db$/);
    // One file, whole: no write-ahead log or partial copy beside it.
    expect(readdirSync(backups).sort()).toEqual(
      [
        'badgeclock-before-upgrade.db',
        nights[1],
        nights[0],
        (written ?? '').slice(backups.length + 1),
        'notes.txt',
        ...otherDoor,
      ].sort(),
    );
    const copy = Store.open(written ?? '', { readonly: true });
    expect(copy.allSessions()).toEqual(sessions);
    expect(copy.integrityCheck()).toBe('ok');
    copy.close();
  });

  it('keeps fourteen by default', async () => {
    const { data, backups } = site();
    earlier(backups, 'front', Date.now(), 20);
    const result = await backup(data, '--into', backups);
    expect(result.stdout).toMatch(/; removed 7 older \(keeping 14\)\n$/);
    expect(readdirSync(backups)).toHaveLength(14);
  });

  it('copies named by a clock that was ahead are kept aside and named, and never crowd out the copies named right', async () => {
    const { data, backups } = site();
    const now = Date.now();
    // Two weeks on a clock set a year ahead, then the clock was put right.
    const ahead = Array.from({ length: 14 }, (_, i) =>
      backupName('front', now + 365 * DAY - i * DAY),
    );
    for (const name of ahead) writeFileSync(join(backups, name), 'a copy named a year ahead');
    const right = earlier(backups, 'front', now, 5);
    const result = await backup(data, '--into', backups, '--keep', '3');
    expect(result.code).toBe(0);
    const written = /written to (\S+);/.exec(result.stdout)?.[1] ?? '';
    expect(readdirSync(backups).sort()).toEqual(
      [...ahead, right[0], right[1], written.slice(backups.length + 1)].sort(),
    );
    expect(logText(result.stderr)).toContain(
      `14 backup(s) in ${backups} are named after this machine's time (${ahead[13] ?? ''} to ${ahead[0] ?? ''}), so they are kept aside, not counted and not removed`,
    );
  });

  it('never removes the copy it just wrote, even when its name sorts first (a Pi booted on a stale clock)', async () => {
    const { backups } = site();
    const at = Date.parse('2026-12-02T03:17:00Z');
    // Copies named right, on the nights before the Pi lost its time (within the hour ahead).
    const before = [backupName('front', at + 30 * 60_000), backupName('front', at + 20 * 60_000)];
    for (const name of before) writeFileSync(join(backups, name), 'an older copy');
    const done = await backupInto({
      dir: backups,
      keep: 2,
      door: 'front',
      at,
      bytes: 0,
      copy: (file) => {
        writeFileSync(file, 'a copy');
        return Promise.resolve();
      },
    });
    expect(done.removed).toEqual([join(backups, before[1] ?? '')]);
    expect(readdirSync(backups).sort()).toEqual([before[0], backupName('front', at)].sort());
  });

  it('a copy cut short is never taken for a backup: it is written under a hidden name, left out of the count, and removed once stale', async () => {
    const { backups } = site();
    const at = Date.parse('2026-12-02T03:17:00Z');
    const hidden = (when: number) => join(backups, `.${backupName('front', when)}.partial`);
    const stale = at - 2 * DAY;
    for (const file of [hidden(stale), `${hidden(stale)}-journal`]) {
      writeFileSync(file, 'half a copy');
      utimesSync(file, new Date(stale), new Date(stale));
    }
    const beingWritten = hidden(at - 60_000);
    writeFileSync(beingWritten, 'another backup, still writing');
    utimesSync(beingWritten, new Date(at - 60_000), new Date(at - 60_000));

    const failed = backupInto({
      dir: backups,
      keep: 5,
      door: 'front',
      at,
      bytes: 0,
      copy: (file) => {
        writeFileSync(file, 'the first pages');
        writeFileSync(`${file}-journal`, 'its journal');
        return Promise.reject(new Error('disk I/O error'));
      },
    });
    await expect(failed).rejects.toThrow('disk I/O error');
    // Its own partial copy is gone; the stale one is removed; the fresh one of another backup stays.
    expect(readdirSync(backups)).toEqual([`.${backupName('front', at - 60_000)}.partial`]);
    expect(existsSync(hidden(stale))).toBe(false);
  });

  it('refuses a copy that would leave the disk nearly full even with the oldest removed, before writing or removing anything', async () => {
    const { backups } = site();
    const names = earlier(backups, 'front', Date.now(), 3);
    let copied = false;
    const refused = backupInto({
      dir: backups,
      keep: 1,
      door: 'front',
      at: Date.now(),
      // Larger than any disk here: what the free space is does not matter.
      bytes: 2 ** 60,
      copy: () => {
        copied = true;
        return Promise.resolve();
      },
    });
    await expect(refused).rejects.toThrow(BackupRefused);
    await expect(refused).rejects.toThrow(
      new RegExp(
        `^the disk holding ${backups} has .* free of .*: a copy of about .* would leave it with less than 64 MiB, even with the 3 oldest backup\\(s\\) beyond --keep 1 removed`,
      ),
    );
    expect(copied).toBe(false);
    expect(readdirSync(backups).sort()).toEqual([...names].sort());
  });

  (tmpfsAvailable() ? it : it.skip)(
    'short of room on its disk, it removes the oldest beyond --keep before writing the copy, so the disk never dips below 64 MiB free (needs root to mount a tmpfs)',
    async () => {
      const mnt = join(dir(), 'mnt');
      mkdirSync(mnt);
      const tmpfs = mountTmpfs(mnt, 100 * 1024);
      if (tmpfs === null) throw new Error('could not mount a tmpfs');
      try {
        const at = Date.parse('2026-12-02T03:17:00Z');
        const tenMiB = Buffer.alloc(10 * 1024 * 1024, 0x55);
        const names = earlier(mnt, 'front', at, 3);
        for (const name of names) writeFileSync(join(mnt, name), tenMiB);
        // 70 MiB free: a copy of 10 MiB would leave 60.
        let seenAtCopy: string[] = [];
        const done = await backupInto({
          dir: mnt,
          keep: 2,
          door: 'front',
          at,
          bytes: tenMiB.length,
          copy: (file) => {
            seenAtCopy = readdirSync(mnt).sort();
            writeFileSync(file, tenMiB);
            return Promise.resolve();
          },
        });
        expect(seenAtCopy).toEqual([names[0]]);
        expect(done.removed).toEqual([join(mnt, names[1] ?? ''), join(mnt, names[2] ?? '')]);
        expect(readdirSync(mnt).sort()).toEqual([names[0], backupName('front', at)].sort());
      } finally {
        tmpfs.unmount();
      }
    },
  );

  it('refuses, writing nothing, a folder that is the data directory, one that does not exist, and arguments that do not go together', async () => {
    const { data, backups } = site();
    const refused = async (args: string[], message: string) => {
      const result = await backup(data, ...args);
      expect({ code: result.code, log: logText(result.stderr) }).toEqual({
        code: 2,
        log: expect.stringContaining(message) as unknown,
      });
    };
    await refused(['--into', data], `cannot back up into ${data}: it is the data directory itself`);
    await refused(
      ['--into', join(dir(), 'nowhere')],
      `cannot back up into ${join(dir(), 'nowhere')}: it does not exist`,
    );
    await refused(['--into', backups, join(dir(), 'copy.db')], 'give a file or --into');
    await refused(['--into', backups, '--keep', '0'], '--keep 0 is not a whole number');
    await refused(['--into', backups, '--keep', 'all'], '--keep all is not a whole number');
    await refused(['--keep', '3', join(dir(), 'copy.db')], '--keep goes with --into DIR');
    await refused([], 'give the file to write the copy to');
    expect(readdirSync(backups)).toEqual([]);
    expect(readdirSync(data).sort()).toEqual(['badgeclock.db', 'badgeclock.db.created']);
  });

  // Root may write any folder, so the clock's user is played by nobody (skipped where that cannot be).
  (canRunAsOtherUser() ? it : it.skip)(
    "refuses a folder the clock's user cannot write, saying how to give it, instead of 'unable to open database file'",
    async () => {
      const { data, backups } = site();
      chmodSync(dir(), 0o755);
      chmodSync(data, 0o777);
      chmodSync(join(data, 'badgeclock.db'), 0o666);
      chmodSync(backups, 0o755);
      const result = await runCli(
        ['backup', '--data-dir', data, '--tz', 'UTC', '--into', backups],
        {
          env: QUIET,
          user: 'nobody',
        },
      );
      expect(result.code).toBe(2);
      expect(logText(result.stderr)).toContain(
        `cannot back up into ${backups}: it is not writable by this user: sudo chown badgeclock: ${backups}`,
      );
      expect(readdirSync(backups)).toEqual([]);
    },
  );
});
