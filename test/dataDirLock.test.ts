/**
 * One clock per data directory, through the built CLI (`npm run build` first):
 * a second `run` refuses at once naming the first; the read-only commands work
 * beside a running clock; a lock left by a dead process or an earlier boot is
 * taken over.
 */
import { existsSync, readFileSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, killLeftoverClocks, logText, requireBuiltCli, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';
import { LOCK_FILE_NAME, lockDataDir, processStartTicks } from '../src/dataDirLock';
import { holderOf, writeLock } from './support/lockFiles';

const ENV = {
  BADGECLOCK_READER_NAME: 'front',
  BADGECLOCK_TIME_SYNC: 'off',
  BADGECLOCK_DEBOUNCE_SECONDS: '0',
  BADGECLOCK_GUARD_SECONDS: '0',
};

const linesOf = (text: string): string[] => text.split('\n').filter((line) => line !== '');

/** A tap answered: the clock is up, its signal handlers too (they are set after the start line). */
async function tapped(clock: Clock): Promise<void> {
  clock.write('B0B0B0B0\n');
  await clock.waitFor((c) => linesOf(c.stdout).some((line) => line.includes('B0B0B0B0  ')));
}

beforeAll(requireBuiltCli);
afterEach(killLeftoverClocks);

describe('one clock per data directory', () => {
  const dir = useTempDir('lock');
  const data = (): string => join(dir(), 'data');
  const args = (command = 'run', ...more: string[]): string[] => [
    command,
    '--data-dir',
    data(),
    '--people-file',
    join(dir(), 'people.csv'),
    '--tz',
    'UTC',
    ...more,
  ];

  it('a second run on the same data directory refuses at once, naming the running one', async () => {
    const first = new Clock(args(), { cwd: dir(), env: ENV });
    await first.started();
    const started = Date.now();
    const second = await runCli(args(), { cwd: dir(), env: ENV, timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(second.code).toBe(1);
    const log = logText(second.stderr);
    expect(log).toContain(`another badgeclock (pid ${first.child.pid}, started `);
    expect(log).toContain(`is running on the data directory ${data()}`);
    expect(log).not.toContain('badgeclock 0.');
    // The first goes on as if nothing happened.
    first.write('B0B0B0B0\n');
    await first.waitFor((c) => linesOf(c.stdout).some((line) => line.endsWith('B0B0B0B0  in')));
    expect(await first.stop()).toBe(0);
    expect(existsSync(join(data(), LOCK_FILE_NAME))).toBe(false);
  });

  it('status, report, backup and doctor work beside a running clock', async () => {
    const clock = new Clock(args(), { cwd: dir(), env: ENV });
    await clock.started();
    clock.write('B0B0B0B0\n');
    await clock.waitFor((c) => linesOf(c.stdout).some((line) => line.endsWith('B0B0B0B0  in')));
    const status = await runCli(args('status'), { cwd: dir(), env: ENV });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Open sessions: 1');
    const report = await runCli(args('report'), { cwd: dir(), env: ENV });
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('B0B0B0B0');
    const backup = await runCli([...args('backup'), join(dir(), 'copy.db')], {
      cwd: dir(),
      env: ENV,
    });
    expect(backup.code).toBe(0);
    expect(existsSync(join(dir(), 'copy.db'))).toBe(true);
    const doctor = await runCli(args('doctor'), { cwd: dir(), env: ENV });
    expect(doctor.stdout).toMatch(/data directory/);
    expect(doctor.stdout).not.toMatch(/✖ (data directory|store)/);
    expect(await clock.stop()).toBe(0);
  });

  it('names the lock file when it cannot be read, here a directory in its place (exit 1)', async () => {
    mkdirSync(join(data(), LOCK_FILE_NAME), { recursive: true });
    const result = await runCli(args(), { cwd: dir(), env: ENV });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      `cannot lock the data directory ${data()} with its lock file ${join(data(), LOCK_FILE_NAME)}: EISDIR`,
    );
  });

  it('takes over the lock of a clock killed with kill -9', async () => {
    const killed = new Clock(args(), { cwd: dir(), env: ENV });
    await killed.started();
    await killed.stop('SIGKILL');
    expect(existsSync(join(data(), LOCK_FILE_NAME))).toBe(true);
    const next = new Clock(args(), { cwd: dir(), env: ENV });
    await tapped(next);
    expect(logText(next.stderr)).toContain(`took over the lock of pid ${killed.child.pid}`);
    expect(await next.stop()).toBe(0);
  });

  it('takes over a lock written in an earlier boot, even if its pid is alive now', async () => {
    mkdirSync(data(), { recursive: true });
    writeLock(join(data(), LOCK_FILE_NAME), holderOf(process.pid, { bootId: 'an-earlier-boot' }));
    const clock = new Clock(args(), { cwd: dir(), env: ENV });
    await tapped(clock);
    expect(logText(clock.stderr)).toContain(
      `took over the lock of pid ${process.pid} on ${data()}: it was written before the last reboot`,
    );
    expect(await clock.stop()).toBe(0);
  });

  it('refuses while the lock names a live process of this boot, and leaves its lock alone', async () => {
    mkdirSync(data(), { recursive: true });
    // This test runner is alive: as far as the clock can tell, it holds the directory.
    writeLock(join(data(), LOCK_FILE_NAME), holderOf(process.pid));
    const result = await runCli(args(), { cwd: dir(), env: ENV, timeoutMs: 5000 });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain(
      `another badgeclock (pid ${process.pid}, started 2026-03-02 08:00 UTC) is running on the data directory ${data()}`,
    );
    expect(readFileSync(join(data(), LOCK_FILE_NAME), 'utf8')).toContain(`${process.pid}`);
  });

  const linux = processStartTicks(process.pid) !== null;
  (linux ? it : it.skip)('takes over a lock whose pid now belongs to another process', async () => {
    mkdirSync(data(), { recursive: true });
    const reused = (processStartTicks(process.pid) ?? 0) + 1;
    writeLock(join(data(), LOCK_FILE_NAME), holderOf(process.pid, { procStart: reused }));
    const clock = new Clock(args(), { cwd: dir(), env: ENV });
    await tapped(clock);
    expect(logText(clock.stderr)).toContain(
      `took over the lock of pid ${process.pid} on ${data()}: that pid now belongs to another process`,
    );
    expect(await clock.stop()).toBe(0);
  });
});

describe('a lock file left empty (created, then a crash before it was written)', () => {
  const dir = useTempDir('empty-lock');
  const emptyLock = (mtimeFromNowMs: number): string => {
    const file = join(dir(), LOCK_FILE_NAME);
    writeFileSync(file, '');
    const at = (Date.now() + mtimeFromNowMs) / 1000;
    utimesSync(file, at, at);
    return file;
  };
  const noSleep = (): void => {
    throw new Error('slept');
  };

  it('is a clock starting now while it is younger than the grace: refused, and left alone', () => {
    const file = emptyLock(-2_000);
    expect(() => lockDataDir(dir(), { sleep: noSleep })).toThrow(
      /another badgeclock is starting on the data directory/,
    );
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('is taken over once older than the grace', () => {
    const file = emptyLock(-60_000);
    const lock = lockDataDir(dir(), { sleep: noSleep });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  // Found by an audit: dated ahead of a Pi that booted on a stale clock, it was "a clock
  // starting now" until the wall clock passed its date, days for a site offline.
  it('is waited out on the monotonic clock, then taken over, when dated ahead of this clock', () => {
    const file = emptyLock(3_600_000);
    const slept: number[] = [];
    const lock = lockDataDir(dir(), { sleep: (ms) => slept.push(ms) });
    expect(slept).toEqual([10_000]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('dated ahead and written meanwhile by a clock starting now: refused, naming it', () => {
    const file = emptyLock(3_600_000);
    // A live process of this boot: the one that ran this test.
    const writeIt = (): void => {
      writeLock(file, holderOf(process.ppid));
    };
    expect(() => lockDataDir(dir(), { sleep: writeIt })).toThrow(/another badgeclock \(/);
  });
});
