/**
 * The built CLI at a terminal that stops taking output (Ctrl-S, Scroll Lock on the console, a
 * stalled ssh session): the door goes on, losing console lines rather than taps.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Clock, killLeftoverClocks, logText, requireBuiltCli } from './support/runCli';
import { stuckTerminal } from './support/stuckTerminal';
import { useTempDir } from './support/useTempDir';

const ENV = {
  BADGECLOCK_READER_NAME: 'front',
  BADGECLOCK_TIME_SYNC: 'off',
  BADGECLOCK_DEBOUNCE_SECONDS: '0',
  BADGECLOCK_GUARD_SECONDS: '0',
};

/** Distinct cards, so that none is debounced: about 350 bytes of --json each, 100 KiB in all. */
const TAPS = 300;
const cards = Array.from({ length: TAPS }, (_, i) => `C${String(i).padStart(7, '0')}\n`).join('');

/** The taps in the clock's store, read beside it; 0 until it has made its database. */
function storedTaps(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return Number(db.prepare('SELECT count(*) FROM taps').pluck().get());
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

beforeAll(requireBuiltCli);
afterEach(killLeftoverClocks);

// The terminal is a Linux pseudo-terminal made by python3 (which the evdev reader needs too).
(process.platform === 'linux' ? describe : describe.skip)(
  'a running clock whose terminal takes no output',
  () => {
    const dir = useTempDir('terminal');

    /** Starts a clock on the stuck terminal, types every card, and waits until all are stored. */
    async function tapEveryCard(streams: 'stdout' | 'both'): Promise<Clock> {
      const data = join(dir(), 'data');
      const clock = new Clock(['run', '--json', '--data-dir', data, '--tz', 'UTC'], {
        env: ENV,
        timeoutMs: 60_000,
        wrapper: stuckTerminal(streams),
      });
      // With its log on the terminal too nothing says the clock has started: the cards typed wait
      // in its standard input until it reads them.
      if (streams === 'stdout') await clock.started();
      clock.write(cards);
      // The store is the record: a clock blocked on its terminal stops storing the taps typed.
      await clock.waitFor(() => storedTaps(join(data, 'badgeclock.db')) === TAPS, 30_000);
      return clock;
    }

    it('keeps storing every tap typed while its console lines cannot be written', async () => {
      const clock = await tapEveryCard('stdout');
      expect(await clock.stop('SIGTERM')).toBe(0);
      // The log, on stderr (a pipe here), still has its lines, to the last.
      expect(logText(clock.stderr)).toContain('badgeclock stopped');
    }, 90_000);

    it('keeps storing every tap, and stops on SIGTERM, when its log is on the stuck terminal too', async () => {
      const clock = await tapEveryCard('both');
      expect(await clock.stop('SIGTERM')).toBe(0);
    }, 90_000);
  },
);
