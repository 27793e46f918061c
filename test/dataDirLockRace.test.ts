/**
 * Two clocks starting at the same moment on a stale lock. `node:fs` is wrapped to make the
 * other clock act at the moment that matters: between this one judging the lock stale and
 * removing it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME, lockDataDir } from '../src/dataDirLock';
import { GONE_PID, holderOf, writeLock } from './support/lockFiles';

/** The lock file watched, and what the other clock does at the chosen moment. */
const race: {
  file: string;
  reads: number;
  onRead2: (() => void) | null;
  onRemove: (() => void) | null;
} = {
  file: '',
  reads: 0,
  onRead2: null,
  onRemove: null,
};

jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  /** Runs the other clock's move once, just before this one first removes or moves the lock. */
  const beforeRemoval = (path: unknown): void => {
    if (path !== race.file || race.onRemove === null) return;
    const move = race.onRemove;
    race.onRemove = null;
    move();
  };
  return {
    ...real,
    readFileSync: (...args: Parameters<typeof real.readFileSync>): unknown => {
      // The second read of the lock is the one just before removing it.
      if (args[0] === race.file && ++race.reads === 2) race.onRead2?.();
      return real.readFileSync(...args);
    },
    unlinkSync: (...args: Parameters<typeof real.unlinkSync>): void => {
      beforeRemoval(args[0]);
      real.unlinkSync(...args);
    },
    renameSync: (...args: Parameters<typeof real.renameSync>): void => {
      beforeRemoval(args[0]);
      real.renameSync(...args);
    },
  };
});

describe('a stale lock and another clock starting at the same moment', () => {
  let dir = '';
  let file = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-lock-race-'));
    file = join(dir, LOCK_FILE_NAME);
    // A clock of this host and boot whose process is gone: stale.
    writeLock(file, holderOf(GONE_PID, { procStart: null }));
    Object.assign(race, { file, reads: 0, onRead2: null, onRemove: null });
  });
  afterEach(() => {
    race.file = '';
    rmSync(dir, { recursive: true, force: true });
  });

  it('that removed it first: taken over, not "cannot lock the data directory: ENOENT"', () => {
    race.onRead2 = () => {
      rmSync(file);
    };
    const lock = lockDataDir(dir);
    expect(lock.tookOver?.why).toBe('that process is gone');
    lock.release();
  });

  // Found by a review: this clock checked that the stale lock was unchanged, the other then
  // replaced it with its own, and this one removed that fresh lock and wrote its own. Both
  // clocks ran on one store, and every session was doubled.
  it('that replaced it with its own lock first: refused, naming that clock, whose lock stays', () => {
    // The other clock: a live process of this boot (the one that ran this test).
    const other = holderOf(process.ppid);
    race.onRemove = () => {
      rmSync(file);
      writeLock(file, other);
    };
    expect(() => lockDataDir(dir)).toThrow(`another badgeclock (pid ${process.ppid}, started`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(other);
    // Nothing of this clock's is left beside it.
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
  });
});
