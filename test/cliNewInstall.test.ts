/** `--new-install` on the commands that run a clock: a lost database is started anew on request. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Clock, killLeftoverClocks, logText, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

/** A data directory that had a database (its marker is there) and lost it. */
function lostDatabase(dir: string): string {
  const data = join(dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'badgeclock.db.created'), '{"createdAt":"2026-01-05T08:00:00.000Z"}\n');
  return data;
}

describe('a hub whose database was lost', () => {
  const dir = useTempDir('new-install');
  afterEach(killLeftoverClocks);
  // Nothing listens there: the hub starts and keeps trying the broker.
  const env = { BADGECLOCK_MQTT_URL: 'mqtt://127.0.0.1:1', BADGECLOCK_TIME_SYNC: 'off' };

  it('is refused, saying to start it once with --new-install', async () => {
    const data = lostDatabase(dir());
    const result = await runCli(['hub', '--data-dir', data, '--tz', 'UTC'], { env });
    expect(result.code).toBe(1);
    expect(logText(result.stderr)).toContain('start the clock once with --new-install');
  });

  it('starts anew with an empty store with hub --new-install, as the refusal says', async () => {
    const data = lostDatabase(dir());
    const hub = new Clock(['hub', '--new-install', '--data-dir', data, '--tz', 'UTC'], { env });
    // Running: it has tried the broker.
    await hub.waitFor((c) => logText(c.stderr).includes('unreachable; taps wait in the store'));
    expect(existsSync(join(data, 'badgeclock.db'))).toBe(true);
    expect(await hub.stop('SIGTERM')).toBe(0);
  });
});
