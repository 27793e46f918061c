/**
 * `badgeclock backup --into DIR --keep N`, the nightly backup's command: dated copies that open
 * as the store, the oldest beyond N removed and nothing else touched, a copy cut short never
 * taken for a backup, and every wrong argument refused before anything is written.
 */
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backupInto, backupName } from '../src/commands/backupInto';
import { Store } from '../src/drivers/store/store';
import { requireBuiltCli, runCli, logText } from './support/runCli';
import { HOUR, player, read } from './support/store-fixtures';
import { useTempDir } from './support/useTempDir';

const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };
const T0 = Date.parse('2026-03-23T08:00:00Z');

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

  it('names each copy by its UTC time, so the names sort as the times', () => {
    expect(backupName(Date.parse('2026-12-02T03:17:09.512Z'))).toBe(
      'badgeclock-20261202T031709Z.db',
    );
    expect(backupName(Date.parse('2027-01-01T00:00:00+01:00'))).toBe(
      'badgeclock-20261231T230000Z.db',
    );
  });

  it('writes a dated copy that opens as the store, and keeps the newest N, touching no other file', async () => {
    const { data, backups, sessions } = site();
    // Sixteen nights of earlier backups, and files of the person's own beside them.
    const now = Date.now();
    const nights = Array.from({ length: 16 }, (_, i) => backupName(now - (i + 1) * 24 * HOUR));
    for (const name of nights) writeFileSync(join(backups, name), 'an older copy');
    writeFileSync(join(backups, 'notes.txt'), 'mine');
    writeFileSync(join(backups, 'badgeclock-before-upgrade.db'), 'mine too');

    const result = await backup(data, '--into', backups, '--keep', '3');
    expect(result.code).toBe(0);
    const written = /written to (\S+); removed 14 older \(keeping 3\)\n$/.exec(result.stdout)?.[1];
    expect(written).toBeDefined();
    // One file, whole: no write-ahead log or partial copy beside it.
    expect(readdirSync(backups).sort()).toEqual(
      [
        'badgeclock-before-upgrade.db',
        nights[1],
        nights[0],
        (written ?? '').slice(backups.length + 1),
        'notes.txt',
      ].sort(),
    );
    const copy = Store.open(written ?? '', { readonly: true });
    expect(copy.allSessions()).toEqual(sessions);
    expect(copy.integrityCheck()).toBe('ok');
    copy.close();
  });

  it('keeps fourteen by default', async () => {
    const { data, backups } = site();
    for (let night = 1; night <= 20; night++) {
      writeFileSync(join(backups, backupName(Date.now() - night * 24 * HOUR)), 'an older copy');
    }
    const result = await backup(data, '--into', backups);
    expect(result.stdout).toMatch(/; removed 7 older \(keeping 14\)\n$/);
    expect(readdirSync(backups)).toHaveLength(14);
  });

  it('never removes the copy it just wrote, even when its name sorts first (a Pi booted on a stale clock)', async () => {
    const { data, backups } = site();
    // Backups named by the right time, ahead of this machine's stale clock.
    const ahead = [
      backupName(Date.now() + 400 * 24 * HOUR),
      backupName(Date.now() + 401 * 24 * HOUR),
    ];
    for (const name of ahead) writeFileSync(join(backups, name), 'an older copy');
    const result = await backup(data, '--into', backups, '--keep', '2');
    expect(result.code).toBe(0);
    const written = /written to (\S+);/.exec(result.stdout)?.[1] ?? '';
    expect(readdirSync(backups).sort()).toEqual(
      [ahead[1] ?? '', written.slice(backups.length + 1)].sort(),
    );
  });

  it('a copy cut short is never taken for a backup: it is written under a hidden name, left out of the count, and removed once stale', async () => {
    const { backups } = site();
    const at = Date.parse('2026-12-02T03:17:00Z');
    const cutShort = join(backups, `.${backupName(at - 2 * 24 * HOUR)}.partial`);
    writeFileSync(cutShort, 'half a copy');
    utimesSync(cutShort, new Date(at - 2 * 24 * HOUR), new Date(at - 2 * 24 * HOUR));
    const beingWritten = join(backups, `.${backupName(at - 60_000)}.partial`);
    writeFileSync(beingWritten, 'another backup, still writing');
    utimesSync(beingWritten, new Date(at - 60_000), new Date(at - 60_000));

    const failed = backupInto(backups, 5, at, () => {
      writeFileSync(join(backups, `.${backupName(at)}.partial`), 'the first pages');
      return Promise.reject(new Error('disk I/O error'));
    });
    await expect(failed).rejects.toThrow('disk I/O error');
    // Its own partial copy is gone; the stale one is removed; the fresh one of another backup stays.
    expect(readdirSync(backups)).toEqual([`.${backupName(at - 60_000)}.partial`]);
    expect(existsSync(cutShort)).toBe(false);
  });

  it('refuses, writing nothing, a folder that is the data directory, one that does not exist, and arguments that do not go together', async () => {
    const { data, backups } = site();
    const refused = async (args: string[], message: string) => {
      const result = await backup(data, ...args);
      expect({ code: result.code, log: logText(result.stderr) }).toEqual({
        code: 2,
        log: expect.stringContaining(message) as unknown,
      });
    };
    await refused(['--into', data], `${data} is the data directory itself`);
    await refused(['--into', join(dir(), 'nowhere')], `${join(dir(), 'nowhere')} does not exist`);
    await refused(['--into', backups, join(dir(), 'copy.db')], 'give a file or --into');
    await refused(['--into', backups, '--keep', '0'], '--keep 0 is not a whole number');
    await refused(['--into', backups, '--keep', 'all'], '--keep all is not a whole number');
    await refused(['--keep', '3', join(dir(), 'copy.db')], '--keep goes with --into DIR');
    await refused([], 'give the file to write the copy to');
    expect(readdirSync(backups)).toEqual([]);
    expect(readdirSync(data).sort()).toEqual(['badgeclock.db', 'badgeclock.db.created']);
  });
});
