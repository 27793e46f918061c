/**
 * How the clock tells whether the system clock is synchronised: a configured
 * command's exit status (run for real by /bin/sh), and the whole honest-time
 * path through the built CLI: a tap taken unsynchronised is marked, and
 * corrected in the store once the check says the clock is synchronised.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { commandSynchronised, timeSyncCheckOf } from '../src/drivers/clock/timeSync';
import { Clock } from './support/runCli';
import { until } from './support/until';
import { useTempDir } from './support/useTempDir';

describe('a time-sync command', () => {
  it('exit 0 is synchronised, exit 1 not yet, anything else cannot tell', async () => {
    expect(await commandSynchronised('exit 0')()).toBe(true);
    expect(await commandSynchronised('exit 1')()).toBe(false);
    expect(await commandSynchronised('exit 3')()).toBeNull();
    expect(await commandSynchronised('no-such-command-here --sync')()).toBeNull();
  });

  it('is the check when timeSync is "command"; "off" has none', async () => {
    const check = timeSyncCheckOf({ timeSync: 'command', timeSyncCommand: 'exit 1' });
    expect(await check?.()).toBe(false);
    expect(timeSyncCheckOf({ timeSync: 'off' })).toBeUndefined();
  });
});

describe('honest time in the running clock (built CLI)', () => {
  const dir = useTempDir('time-sync');

  it('marks a tap taken before the clock is synchronised, then corrects it in the store', async () => {
    const flag = join(dir(), 'synced');
    const data = join(dir(), 'data');
    const clock = new Clock(['run', '--json'], {
      cwd: dir(),
      env: {
        BADGECLOCK_TZ: 'UTC',
        BADGECLOCK_READER_NAME: 'door',
        BADGECLOCK_DATA_DIR: data,
        BADGECLOCK_TIME_SYNC: 'command',
        BADGECLOCK_TIME_SYNC_COMMAND: `test -e '${flag}'`,
        BADGECLOCK_TIME_SYNC_SECONDS: '1',
        BADGECLOCK_GUARD_SECONDS: '0',
        BADGECLOCK_DEBOUNCE_SECONDS: '0',
      },
    });
    try {
      await clock.waitFor((c) => c.stderr.includes('system clock not synchronised'));
      clock.write('A1B2C3D4\n');
      await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
      const clockIn = JSON.parse(
        clock.stdout.split('\n').find((l) => l.includes('"clock-in"')) ?? '{}',
      ) as { clockSynced?: boolean; session?: string };
      expect(clockIn.clockSynced).toBe(false);
      const clockOf = (): string | null => {
        if (!existsSync(join(data, 'badgeclock.db'))) return null;
        const db = new Database(join(data, 'badgeclock.db'), { readonly: true });
        try {
          const row = db.prepare('SELECT clock FROM sessions WHERE id = ?').get(clockIn.session) as
            { clock: string | null } | undefined;
          return row?.clock ?? null;
        } finally {
          db.close();
        }
      };
      expect(clockOf()).toBe('unsynced');
      writeFileSync(flag, '');
      await clock.waitFor((c) => c.stderr.includes('system clock synchronised'));
      await until(() => clockOf() === 'corrected', {
        ms: 15_000,
        everyMs: 50,
        what: 'the session corrected',
      });
      // Synchronised now: the clock-out is not marked.
      clock.write('A1B2C3D4\n');
      await clock.waitFor((c) => c.stdout.includes('"clock-out"'));
      const clockOut = clock.stdout.split('\n').find((l) => l.includes('"clock-out"')) ?? '';
      expect(clockOut).not.toContain('clockSynced');
    } finally {
      expect(await clock.stop()).toBe(0);
    }
  });

  it('marks a tap read before the first check answered: it waits for the answer', async () => {
    // The check takes half a second to say "not synchronised"; the card is on its way at once
    // (a card left on the reader through a power cut, a restart mid-outage). Before, the tap
    // was taken as synchronised and never corrected.
    const clock = new Clock(['run', '--json'], {
      cwd: dir(),
      env: {
        BADGECLOCK_TZ: 'UTC',
        BADGECLOCK_READER_NAME: 'door',
        BADGECLOCK_DATA_DIR: join(dir(), 'data'),
        BADGECLOCK_TIME_SYNC: 'command',
        BADGECLOCK_TIME_SYNC_COMMAND: 'sleep 0.5; exit 1',
        BADGECLOCK_TIME_SYNC_SECONDS: '60',
      },
    });
    try {
      clock.write('A1B2C3D4\n');
      await clock.waitFor((c) => c.stdout.includes('"clock-in"'));
      expect(clock.stderr).toContain('system clock not synchronised');
      const clockIn = JSON.parse(
        clock.stdout.split('\n').find((l) => l.includes('"clock-in"')) ?? '{}',
      ) as { clockSynced?: boolean };
      expect(clockIn.clockSynced).toBe(false);
    } finally {
      expect(await clock.stop()).toBe(0);
    }
  });
});
