/**
 * What the disk says about a store that would not open, where SQLite's own
 * words mislead. SQLite needs room and write access beside the database even
 * to read it (a reader creates `badgeclock.db-shm` when no clock holds it), so
 * a full disk says "disk I/O error" and a read-only one "cannot open … for
 * writing", even for `status`, `report` and `verify`, which change nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE_NAME } from '../drivers/store/store';
import {
  describeSpace,
  diskAdvice,
  diskLevel,
  diskSpaceOf,
  readOnlyDisk,
  writeError,
} from '../diskSpace';
import { userName } from '../userName';

/** Why the store in `dir` may not have opened, by the disk and the folder; null when they look fine. */
export function openFailureHint(dir: string): string | null {
  const space = diskSpaceOf(dir);
  if (space !== null && diskLevel(space) === 'nearly full')
    return `the disk holding ${dir} is nearly full (${describeSpace(space)}): SQLite needs room beside the store even to read it; ${diskAdvice(dir)}`;
  // A store that is there, in a folder this user cannot write: it is read by another's rights.
  const db = join(dir, DB_FILE_NAME);
  if (!existsSync(db)) return null;
  const unwritable = writeError(dir);
  if (unwritable === null) return null;
  const shm = `${db}-shm`;
  if (unwritable === 'EROFS')
    return (
      `${readOnlyDisk(dir)}; SQLite cannot create ${shm} to read the store there: copy the data ` +
      `directory to another disk and give that copy with --data-dir, and replace the card soon`
    );
  return (
    `${dir} is not writable by ${userName()}, and SQLite must create ${shm} even to read the store: ` +
    `run this as the clock's user (sudo -u badgeclock …), or copy the data directory and give the copy with --data-dir`
  );
}
