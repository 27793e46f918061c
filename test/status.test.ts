/**
 * `badgeclock status` through the built CLI, on a real store: what it says of
 * the system clock, of a clock behind the newest tap, and of a time in the
 * repeated hour of a fall-back night.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRules } from '../streams/rules';
import { Store } from '../src/drivers/store/store';
import { requireBuiltCli, runCli } from './support/runCli';
import { HOUR, player, read, tempDir } from './support/store-fixtures';

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
});
