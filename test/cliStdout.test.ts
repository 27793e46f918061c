/** The built CLI when its standard output fails: its reader went away (EPIPE), a full disk. */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, Clock, killLeftoverClocks, logText } from './support/runCli';
import { useTempDir } from './support/useTempDir';

const FAST_ENV = {
  BADGECLOCK_TIME_SYNC: 'off',
  BADGECLOCK_DEBOUNCE_SECONDS: '0',
  BADGECLOCK_GUARD_SECONDS: '0',
};

describe('standard output closed under a command', () => {
  const dir = useTempDir('stdout');
  afterEach(killLeftoverClocks);

  it('a running clock whose stdout pipe closes says so and keeps taking taps', async () => {
    const data = join(dir(), 'data');
    const clock = new Clock(['run', '--data-dir', data, '--tz', 'UTC'], { env: FAST_ENV });
    await clock.started();
    clock.write('A1A1A1A1\n');
    await clock.waitFor((c) => c.stdout.includes('A1A1A1A1  in'));
    // The program reading the console lines (`badgeclock run | tee`, a journal stream) is gone.
    clock.child.stdout.destroy();
    clock.write('B2B2B2B2\n');
    await clock.waitFor((c) => logText(c.stderr).includes('standard output closed'));
    clock.write('C3C3C3C3\n');
    const db = new Database(join(data, 'badgeclock.db'), { readonly: true });
    const sessions = (): number =>
      Number(db.prepare('SELECT count(*) FROM sessions').pluck().get());
    await clock.waitFor(() => sessions() === 3);
    db.close();
    expect(clock.child.exitCode).toBeNull();
    expect(await clock.stop('SIGTERM')).toBe(0);
  });

  it('a running clock whose stdout and stderr share the pipe that closes keeps taking taps', async () => {
    const data = join(dir(), 'data');
    const clock = new Clock(['run', '--data-dir', data, '--tz', 'UTC'], { env: FAST_ENV });
    await clock.started();
    clock.write('A1A1A1A1\n');
    await clock.waitFor((c) => c.stdout.includes('A1A1A1A1  in'));
    const db = new Database(join(data, 'badgeclock.db'), { readonly: true });
    const sessions = (): number =>
      Number(db.prepare('SELECT count(*) FROM sessions').pluck().get());
    // `badgeclock run 2>&1 | consumer`, and the consumer exits: the warning that stdout closed
    // is itself written to the closed pipe.
    clock.child.stdout.destroy();
    clock.child.stderr.destroy();
    clock.write('B2B2B2B2\n');
    await clock.waitFor(() => sessions() === 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    clock.write('C3C3C3C3\n');
    await clock.waitFor(() => sessions() === 3);
    db.close();
    expect(clock.child.exitCode).toBeNull();
    expect(await clock.stop('SIGTERM')).toBe(0);
  });

  // /dev/full (Linux) fails every write with ENOSPC, as a full disk under `> report.csv` does.
  (existsSync('/dev/full') ? it : it.skip)(
    'a command whose stdout is on a full disk says so, exit 1, with no stack trace',
    () => {
      const log = join(dir(), 'day.csv');
      writeFileSync(
        log,
        '2026-03-23T08:59:00,04A3C6CAE26180\n2026-03-23T17:04:00,04A3C6CAE26180\n',
      );
      const full = openSync('/dev/full', 'w');
      const result = spawnSync(process.execPath, [CLI, 'replay', log, '--tz', 'UTC'], {
        stdio: ['ignore', full, 'pipe'],
        env: { PATH: process.env.PATH, TZ: 'UTC' },
        encoding: 'utf8',
        timeout: 15_000,
      });
      closeSync(full);
      expect(result.status).toBe(1);
      expect(logText(result.stderr)).toContain('cannot write to standard output: ENOSPC');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
  );
});
