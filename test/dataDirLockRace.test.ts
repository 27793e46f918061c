/**
 * Two clocks starting at the same moment on a stale lock. `node:fs` is wrapped to make the
 * other clock act at the moment that matters: between this one judging the lock stale and
 * moving it aside to remove it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME, lockDataDir } from '../src/dataDirLock';
import { GONE_PID, holderOf, writeLock } from './support/lockFiles';

/** The lock file watched; what the other clock does at that moment; a file system without links. */
const race: { file: string; onRemove: (() => void) | null; noLinks: boolean } = {
  file: '',
  onRemove: null,
  noLinks: false,
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
    unlinkSync: (...args: Parameters<typeof real.unlinkSync>): void => {
      beforeRemoval(args[0]);
      real.unlinkSync(...args);
    },
    renameSync: (...args: Parameters<typeof real.renameSync>): void => {
      beforeRemoval(args[0]);
      real.renameSync(...args);
    },
    linkSync: (...args: Parameters<typeof real.linkSync>): void => {
      if (race.noLinks) {
        throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
      }
      real.linkSync(...args);
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
    Object.assign(race, { file, onRemove: null, noLinks: false });
  });
  afterEach(() => {
    race.file = '';
    rmSync(dir, { recursive: true, force: true });
  });

  /** The other clock: a live process of this boot (the one that ran this test). */
  const other = holderOf(process.ppid);

  /**
   * The other clock replaces the stale lock with its own just before this one moves it aside:
   * this one is refused, naming that clock, whose lock stays, with nothing of this one's beside it.
   */
  function expectRefusedBesideOther(): void {
    race.onRemove = () => {
      rmSync(file);
      writeLock(file, other);
    };
    expect(() => lockDataDir(dir)).toThrow(`another badgeclock (pid ${process.ppid}, started`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(other);
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
  }

  it('that removed it first: taken over, not "cannot lock the data directory: ENOENT"', () => {
    race.onRemove = () => {
      rmSync(file);
    };
    const lock = lockDataDir(dir);
    expect(lock.tookOver?.why).toBe('that process is gone');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  // Found by a review: this clock checked that the stale lock was unchanged, the other then
  // replaced it with its own, and this one removed that fresh lock and wrote its own. Both
  // clocks ran on one store, and every session was doubled.
  it('that replaced it with its own lock first: refused, naming that clock, whose lock stays', () => {
    expectRefusedBesideOther();
  });

  // Found by a review: an empty stale lock and the other clock's fresh one, created but not
  // written yet, have the same text, so telling them apart by their text took the fresh one.
  it('empty and stale, replaced by its own not yet written: that clock is starting, its lock stays', () => {
    writeFileSync(file, '');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(file, old, old);
    race.onRemove = () => {
      rmSync(file);
      writeFileSync(file, '');
    };
    expect(() => lockDataDir(dir)).toThrow(/another badgeclock is starting on the data directory/);
    expect(readdirSync(dir)).toEqual([LOCK_FILE_NAME]);
  });

  // Found by a review: on a file system without hard links (a vfat stick, some shares) the
  // other clock's lock was left aside, and the next start, by systemd, ran beside it.
  it('on a file system without hard links: the lock of that clock is put back all the same', () => {
    race.noLinks = true;
    expectRefusedBesideOther();
  });
});
