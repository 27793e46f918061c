/** The built CLI stopped by a signal while it starts: stopped as gracefully as when running. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, killLeftoverClocks, logText } from './support/runCli';
import { useTempDir } from './support/useTempDir';

const ENV = { BADGECLOCK_TIME_SYNC: 'off' };

describe('a signal while the clock starts', () => {
  const dir = useTempDir('signals');
  afterEach(killLeftoverClocks);

  it.each([
    ['run', {}],
    ['hub', { BADGECLOCK_MQTT_URL: 'mqtt://127.0.0.1:1' }],
  ])('%s stopped by SIGTERM as it starts exits 0 and leaves no lock', async (command, env) => {
    const data = join(dir(), 'data');
    const clock = new Clock([command, '--data-dir', data, '--tz', 'UTC'], {
      env: { ...ENV, ...env },
    });
    // `systemctl stop` the moment the start line is out, while the clock is still starting.
    let sent = false;
    clock.child.stderr.on('data', () => {
      if (!sent && clock.stderr.includes('badgeclock 0.')) {
        sent = true;
        clock.child.kill('SIGTERM');
      }
    });
    expect(await clock.exited()).toBe(0);
    expect(logText(clock.stderr)).toContain('badgeclock stopped');
    expect(existsSync(join(data, 'badgeclock.lock'))).toBe(false);
  });
});
