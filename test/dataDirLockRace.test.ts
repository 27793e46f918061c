/**
 * Two clocks starting at the same moment on a stale lock: the other one removes it between this
 * one judging it stale and removing it. `node:fs` is wrapped to make that moment happen.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME, lockDataDir, readBootIdOrNull } from '../src/dataDirLock';

const race = { file: '', reads: 0 };

jest.mock('node:fs', () => {
  const real = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...real,
    readFileSync: (...args: Parameters<typeof real.readFileSync>): unknown => {
      // The second read of the lock is the one just before removing it: the other clock was first.
      if (args[0] === race.file && ++race.reads === 2) real.unlinkSync(race.file);
      return real.readFileSync(...args);
    },
  };
});

describe('a stale lock removed by another clock at the same moment', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'badgeclock-lock-race-'));
  });
  afterEach(() => {
    race.file = '';
    rmSync(dir, { recursive: true, force: true });
  });

  it('is taken over, not "cannot lock the data directory: ENOENT"', () => {
    const file = join(dir, LOCK_FILE_NAME);
    // A clock of this host and boot whose process is gone: stale.
    const gone = { pid: 2 ** 22 + 1, startedAt: '2026-03-02T08:00:00.000Z', host: hostname() };
    writeFileSync(file, JSON.stringify({ ...gone, bootId: readBootIdOrNull() }));
    Object.assign(race, { file, reads: 0 });
    const lock = lockDataDir(dir);
    expect(lock.tookOver?.why).toBe('that process is gone');
    lock.release();
  });
});
