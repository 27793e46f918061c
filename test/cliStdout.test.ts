/** The built CLI when the reader of its standard output goes away (a closed pipe, EPIPE). */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Clock, killLeftoverClocks, logText } from './support/runCli';
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
});
