/**
 * `badgeclock reader test` refuses to poll a reader a running clock reads: two pollers of one
 * RC522 interleave their commands, and the clock misses taps.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME } from '../src/dataDirLock';
import { holderOf, writeLock } from './support/lockFiles';
import { requireBuiltCli, runCli } from './support/runCli';
import { useTempDir } from './support/useTempDir';

describe('badgeclock reader test beside a running clock', () => {
  const dir = useTempDir('reader-beside');
  const data = (): string => join(dir(), 'data');
  beforeAll(requireBuiltCli);

  /** A lock naming this test runner: alive, of this boot, so a clock as far as anyone can tell. */
  function clockRunning(host = hostname()): void {
    mkdirSync(data(), { recursive: true });
    writeLock(join(data(), LOCK_FILE_NAME), holderOf(process.pid, { host }));
  }

  /** `reader test` of an RC522 named "door", on the data directory the lock is in. */
  const testRc522 = (): ReturnType<typeof runCli> =>
    runCli(['reader', 'test'], {
      env: {
        BADGECLOCK_TZ: 'UTC',
        BADGECLOCK_DATA_DIR: data(),
        BADGECLOCK_READER: 'mfrc522',
        BADGECLOCK_READER_NAME: 'door',
      },
      timeoutMs: 10_000,
    });

  it('refuses with exit 1 when the clock reads the same RC522, naming the clock and what to do', async () => {
    clockRunning();
    const result = await testRc522();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `a clock is running on the data directory ${data()} (pid ${process.pid}, started 2026-03-02 08:00 UTC) and reads \\"door\\"`,
    );
    expect(result.stderr).toContain('sudo systemctl stop badgeclock');
    expect(result.stdout).toBe('');
  });

  it('does not refuse for a clock on another host sharing the data directory: it reads its own RC522', async () => {
    // A lock from another host is never taken as stale (dataDirLock.ts), and that clock polls
    // the other Pi's chip: this Pi's test reaches its own (absent here: a wiring error instead).
    clockRunning('another-pi');
    const result = await testRc522();
    expect(result.stderr).not.toContain('a clock is running');
    expect(result.stderr).not.toContain('systemctl stop');
  });

  it('tests the keyboard reader beside a clock: the terminal is no reader the clock reads', async () => {
    clockRunning();
    const result = await runCli(['reader', 'test'], {
      env: { BADGECLOCK_TZ: 'UTC', BADGECLOCK_DATA_DIR: data() },
      input: 'A1B2C3D4\n',
      timeoutMs: 10_000,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/card A1B2C3D4/);
  });
});
