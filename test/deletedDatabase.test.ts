/**
 * A deleted database is a stop, not a silent fresh start. Through the built
 * CLI (`npm run build` first): the database (or its write-ahead log) removed
 * under a running clock stops it at the next commit; a start that finds no
 * database where the data directory shows one existed refuses, unless told
 * it is a new install.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Clock, killLeftoverClocks, logText, requireBuiltCli, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

const ENV = {
  BADGECLOCK_READER_NAME: 'front',
  BADGECLOCK_TIME_SYNC: 'off',
  BADGECLOCK_DEBOUNCE_SECONDS: '0',
  BADGECLOCK_GUARD_SECONDS: '0',
};

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

beforeAll(requireBuiltCli);
afterEach(killLeftoverClocks);

describe('a deleted database', () => {
  const dir = useTempDir('deleted-db');
  const data = (): string => join(dir(), 'data');
  const db = (): string => join(data(), 'badgeclock.db');
  const args = (...more: string[]): string[] => [
    'run',
    '--data-dir',
    data(),
    '--people-file',
    join(dir(), 'people.csv'),
    '--tz',
    'UTC',
    ...more,
  ];

  /** A clock that has taken one tap (A1A1A1A1 in). */
  async function clockWithOneTap(): Promise<Clock> {
    const clock = new Clock(args(), { cwd: dir(), env: ENV });
    clock.write('A1A1A1A1\n');
    await clock.waitFor((c) => linesOf(c.stdout).some((l) => l.includes('A1A1A1A1  in')));
    return clock;
  }

  it.each([['badgeclock.db'], ['badgeclock.db-wal']])(
    'removing %s under a running clock stops it at the next tap, which is not shown as taken',
    async (removed) => {
      const clock = await clockWithOneTap();
      expect(existsSync(join(data(), removed))).toBe(true);
      rmSync(join(data(), removed));
      clock.write('B2B2B2B2\n');
      expect(await clock.exited()).toBe(1);
      expect(clock.stdout).not.toContain('B2B2B2B2');
      const log = logText(clock.stderr);
      expect(log).toContain(`database ${db()} was deleted or replaced while the clock was running`);
      // What the clock had is saved beside it: every tap shown as taken, and not the refused one.
      const rescued = readdirSync(data()).filter((f) => f.startsWith('badgeclock.db.rescued-'));
      expect(rescued).toHaveLength(1);
      expect(log).toContain(join(data(), rescued[0] ?? ''));
      const copy = new Database(join(data(), rescued[0] ?? ''), { readonly: true });
      const cards = copy.prepare('SELECT card FROM taps ORDER BY id').pluck().all();
      copy.close();
      expect(cards).toEqual(['A1A1A1A1']);
    },
  );

  it('a start with the database gone refuses, saying it existed, until told this is a new install', async () => {
    const clock = await clockWithOneTap();
    expect(await clock.stop()).toBe(0);
    rmSync(db());
    const refused = await runCli(args(), { cwd: dir(), env: ENV, timeoutMs: 5000 });
    expect(refused.code).toBe(1);
    const log = logText(refused.stderr);
    expect(log).toContain(`no database at ${db()}, but this data directory had one`);
    expect(log).toContain('--new-install');
    expect(existsSync(db())).toBe(false);
    // status says the same, rather than "run the clock once".
    const status = await runCli(['status', '--data-dir', data()], { cwd: dir(), env: ENV });
    expect(status.code).toBe(1);
    expect(logText(status.stderr)).toContain('but this data directory had one');

    const fresh = new Clock(args('--new-install'), { cwd: dir(), env: ENV });
    fresh.write('C3C3C3C3\n');
    await fresh.waitFor((c) => linesOf(c.stdout).some((l) => l.includes('C3C3C3C3  in')));
    expect(await fresh.stop()).toBe(0);
    // From then on it is the directory's database: a plain start takes it.
    const again = new Clock(args(), { cwd: dir(), env: ENV });
    again.write('C3C3C3C3\n');
    await again.waitFor((c) => linesOf(c.stdout).some((l) => l.includes('C3C3C3C3  out')));
    expect(await again.stop()).toBe(0);
  });

  it('a database from before markers gets one at its next start', async () => {
    const first = await clockWithOneTap();
    expect(await first.stop()).toBe(0);
    rmSync(`${db()}.created`);
    const second = new Clock(args(), { cwd: dir(), env: ENV });
    second.write('A1A1A1A1\n');
    await second.waitFor((c) => linesOf(c.stdout).some((l) => l.includes('A1A1A1A1  out')));
    expect(await second.stop()).toBe(0);
    expect(existsSync(`${db()}.created`)).toBe(true);
    rmSync(db());
    const refused = await runCli(args(), { cwd: dir(), env: ENV, timeoutMs: 5000 });
    expect(refused.code).toBe(1);
  });

  it('a first start in an empty data directory needs no flag', async () => {
    const clock = await clockWithOneTap();
    expect(await clock.stop()).toBe(0);
  });
});
