/**
 * The lock file's own operations for src/dataDirLock.ts: reading a lock while it is judged, and
 * removing a stale one so that another clock starting at the same moment never loses its fresh
 * lock to it.
 */
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { hostname } from 'node:os';

/** The lock file as one clock saw it: kept open while judged, so its inode is not reused. */
export interface SeenLock {
  readonly fd: number;
  readonly stats: Stats;
  readonly text: string;
}

/** Opens and reads the lock file, or null when there is none. */
export function openLock(file: string): SeenLock | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    return { fd, stats, text: textOf(fd) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The whole text of the open file `fd`, from its start. */
export function textOf(fd: number): string {
  const bytes = Buffer.alloc(fstatSync(fd).size);
  let read = 0;
  while (read < bytes.length) {
    const n = readSync(fd, bytes, read, bytes.length - read, read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read).toString('utf8');
}

/**
 * Removes the lock file if it is still the one judged stale (`judged`: its inode, kept from
 * reuse by the open descriptor). Checking, then unlinking would leave a moment between the two
 * in which another clock starting now replaces it with its own live lock: this one would remove
 * that, and both would run on one store. So the file is moved aside (one atomic rename:
 * whatever is there then is what this clock holds), and only then told by its inode, not its
 * text (an empty stale lock and a fresh one not yet written read alike): another clock's fresh
 * lock is linked back in place, never lost; where there are no hard links (a vfat stick, some
 * shares) it is renamed back. The lock path is empty for that moment, so a third clock starting
 * then could create its own beside the second's (the link then fails with EEXIST): three starts
 * within a millisecond. The aside name holds the host: two Pis sharing a directory may run the
 * clock under the same pid.
 */
export function removeStale(file: string, judged: Stats): void {
  const aside = `${file}.${hostname()}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // removed by another clock
    throw error;
  }
  const moved = statSync(aside);
  if (moved.ino === judged.ino && moved.dev === judged.dev) {
    unlinkIfThere(aside);
    return;
  }
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      renameSync(aside, file);
      return;
    }
  }
  unlinkIfThere(aside);
}

/** Removes the file; one already gone is no error. */
function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
