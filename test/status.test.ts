/**
 * `badgeclock status` through the built CLI, on a real store: what it says of
 * the system clock, of a clock behind the newest tap, and of a time in the
 * repeated hour of a fall-back night.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRules } from '../streams/rules';
import { Store } from '../src/drivers/store/store';
import { requireBuiltCli, runCli } from './support/runCli';
import { HOUR, MINUTE, player, read, tempDir } from './support/store-fixtures';

const BERLIN = 'Europe/Berlin';
const QUIET = { BADGECLOCK_TIME_SYNC: 'off' };

describe('badgeclock status', () => {
  let dir: ReturnType<typeof tempDir>;
  let data: string;
  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('status');
    data = join(dir.path, 'data');
    mkdirSync(data);
  });
  afterEach(() => {
    dir.remove();
  });

  /** A store whose taps are `reads` (card at instant), played by the clock's reducer. */
  function seed(reads: readonly (readonly [number, string])[], zone = 'UTC'): void {
    const store = Store.open(join(data, 'badgeclock.db'));
    player(store, defaultRules(zone)).play(...reads.map(([at, card]) => read(at, card)));
    store.close();
  }

  it('says the system clock was not checked when timeSync is off, not that it is synchronised', async () => {
    seed([[Date.now() - HOUR, 'A11CE000']]);
    const result = await runCli(['status', '--data-dir', data], { env: QUIET });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('\nClock: not checked (timeSync is off)\n');
    expect(result.stdout).not.toContain('synchronised');
  });

  it('names each reader of a readers list, not the single reader setting it replaces', async () => {
    seed([[Date.now() - HOUR, 'A11CE000']]);
    const readers = [
      { kind: 'mfrc522', name: 'entrance', spiDevice: '/dev/spidev0.0' },
      { kind: 'evdev', name: 'desk', inputDevice: '/dev/input/by-id/usb-Reader-event-kbd' },
    ];
    const result = await runCli(['status', '--data-dir', data, '--reader-name', 'hall'], {
      env: { ...QUIET, BADGECLOCK_READERS: JSON.stringify(readers) },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^Device: hall \(badgeclock [^,]+, 2 readers: entrance \(mfrc522\), desk \(evdev\)\)\n/,
    );
    const single = await runCli(['status', '--data-dir', data, '--reader-name', 'hall'], {
      env: QUIET,
    });
    expect(single.stdout).toMatch(/^Device: hall \(badgeclock [^,]+, keyboard reader\)\n/);
  });

  it('writes a time in the repeated hour of a fall-back night with its offset, as report does', async () => {
    // 02:30 on the night Berlin's clocks went back: the second 02:30, an hour after the first.
    const inAt = Date.parse('2025-10-26T01:30:00Z');
    seed([[inAt, 'A11CE000']], BERLIN);
    const result = await runCli(['status', '--data-dir', data, '--tz', BERLIN], { env: QUIET });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  A11CE000              since 2025-10-26 02:30 +01:00  past its limit: closed as auto at 2025-10-26 14:30 (12h 00m) when the clock runs\n',
    );
    expect(result.stdout).toContain('\nLast tap: 2025-10-26 02:30 +01:00  A11CE000  clock-in\n');
    expect(result.stdout).toContain('oldest from 2025-10-26 02:30 +01:00 (');
  });

  it('says so when the wall clock is behind the newest tap, instead of a session open for 0h 00m', async () => {
    const now = Date.now();
    // Taken while the clock was 2 h ahead, and read now that it was set back (half a minute
    // more, so the seconds the CLI takes to start never make it 1h 59m).
    seed([
      [now - 3 * HOUR, 'B0B0B0B0'],
      [now + 2 * HOUR + MINUTE / 2, 'A11CE000'],
      [now + 2 * HOUR + 5.5 * MINUTE, 'C0C0C0C0'],
    ]);
    const result = await runCli(['status', '--data-dir', data], { env: QUIET });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\n {2}B0B0B0B0 {14}since \S+ \S+ {2}for 3h 00m\n/);
    expect(result.stdout).toMatch(
      /\n {2}A11CE000 {14}since \S+ \S+ {2}for \?: that is 2h 00m after this machine's time \(see Clock\)\n/,
    );
    expect(result.stdout).toMatch(
      /\nClock: not checked \(timeSync is off\); and this machine's time is 2h 05m behind the newest tap \(\S+ \S+\): it was set back, or was ahead when the tap was taken\n/,
    );
    expect(result.stdout).not.toContain('0h 00m');
  });

  it('says timedatectl did not answer, not that there is none, where it is installed but systemd is not running', async () => {
    seed([[Date.now() - HOUR, 'A11CE000']]);
    // A timedatectl as in a container: there, but no systemd to ask.
    const bin = join(dir.path, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'timedatectl'),
      "#!/bin/sh\necho 'System has not been booted with systemd as init system (PID 1).' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    const result = await runCli(['status', '--data-dir', data], {
      env: { BADGECLOCK_TIME_SYNC: 'timedatectl', PATH: `${bin}:/usr/bin:/bin` },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '\nClock: cannot tell (timedatectl did not answer: not installed, or systemd is not running here)\n',
    );
  });
});
