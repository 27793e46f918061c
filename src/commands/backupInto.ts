/**
 * `badgeclock backup --into DIR --keep N`: a dated copy of the store in a folder of backups,
 * and this door's oldest beyond N removed, for a timer to run every night
 * (deploy/badgeclock-backup.*). A copy is written under a hidden name, synced, then renamed
 * into place, so a copy cut short (a power cut mid-backup) never looks like a whole backup,
 * and never replaces one.
 */
import {
  accessSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { describeSpace, diskSpaceOf, formatBytes, NEARLY_FULL_BYTES } from '../diskSpace';

/** A stamp in a backup's name: the UTC instant it was taken, so names sort as their times. */
const STAMP = /\d{8}T\d{6}Z/;
/** A partial copy older than this was cut short: no backup takes an hour (the unit's limit). */
const PARTIAL_STALE_MS = 60 * 60 * 1000;
/**
 * A copy named more than this after now was named by a clock that was ahead (or this one is
 * behind): it is kept aside, neither counted nor removed, so that such copies never crowd out
 * the copies named right.
 */
const AHEAD_MS = 60 * 60 * 1000;

/** The backups `--keep` keeps when it is not given: two weeks of nightly copies. */
export const DEFAULT_KEEP = 14;

/** A door's name as it goes into a file name: letters, digits, `.`, `_` and `-` only. */
function fileSafe(door: string): string {
  return door.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** The UTC stamp of `at`: 20261202T031709Z. */
function stampOf(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/**
 * The name of `door`'s backup taken at `at`: badgeclock-front-20261202T031709Z.db. The door
 * is in it so that the doors of a site can share one folder without pruning each other's.
 */
export function backupName(door: string, at: number): string {
  return `badgeclock-${fileSafe(door)}-${stampOf(at)}.db`;
}

/** `door`'s backups, and its copies being written or cut short (with SQLite's files beside them). */
function namesOf(door: string): { backup: RegExp; partial: RegExp } {
  const prefix = `badgeclock-${fileSafe(door).replace(/[.]/g, '\\.')}-`;
  return {
    backup: new RegExp(`^${prefix}(${STAMP.source})\\.db$`),
    partial: new RegExp(`^\\.${prefix}${STAMP.source}\\.db\\.partial(-journal|-wal|-shm)?$`),
  };
}

/** Why `dir` cannot hold the backups of the store in `dataDir`, or null when it can. */
export function intoRefusal(dir: string, dataDir: string): string | null {
  let stats;
  try {
    stats = statSync(dir);
  } catch {
    return "it does not exist: create it (writable by the clock's user), or give another folder";
  }
  if (!stats.isDirectory()) return 'it is not a folder';
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return (
      `it is not writable by this user: sudo chown badgeclock: ${dir} ` +
      '(a USB stick formatted FAT: mount it with uid=badgeclock)'
    );
  }
  let data: string;
  try {
    data = realpathSync(dataDir);
  } catch {
    return null; // No data directory: the store's own message says so.
  }
  return realpathSync(dir) === data
    ? 'it is the data directory itself: backups there are lost with it. Give a folder outside it, best on another disk'
    : null;
}

/**
 * `door`'s backups in `dir` named up to now, newest first (copies named after now are a
 * clock's mistake, see AHEAD_MS): what a new backup is compared with.
 */
export function backupsNewestFirst(dir: string, door: string, at: number): string[] {
  return byStamp(dir, namesOf(door).backup, at).named.map((entry) => join(dir, entry));
}

/**
 * The backups in `dir` (names matching `backup`) by their stamps: `named` up to AHEAD_MS after
 * `at`, newest first; `ahead`, named after that, oldest first.
 */
function byStamp(
  dir: string,
  backup: RegExp,
  at: number,
): { named: readonly string[]; ahead: readonly string[] } {
  const horizon = stampOf(at + AHEAD_MS);
  const stamped = readdirSync(dir).flatMap((entry) => {
    const stamp = backup.exec(entry)?.[1];
    return stamp === undefined ? [] : [{ entry, stamp }];
  });
  const names = (keep: (stamp: string) => boolean): string[] =>
    stamped
      .filter((o) => keep(o.stamp))
      .map((o) => o.entry)
      .sort();
  return {
    named: names((stamp) => stamp <= horizon).reverse(),
    ahead: names((stamp) => stamp > horizon),
  };
}

/**
 * The name a backup is kept under, out of `--keep`'s count and reach, when it holds what the
 * record lost: badgeclock-front-20261201T031709Z.before-change.db.
 */
export function keptName(file: string): string {
  return file.replace(/\.db$/, '.before-change.db');
}

/** What one backup did. */
export interface BackupDone {
  readonly file: string;
  /** This door's older backups removed beyond `keep` (with the -wal and -shm of any opened). */
  readonly removed: readonly string[];
  /** This door's backups named after now: kept aside, neither counted nor removed. */
  readonly ahead: readonly string[];
}

/** A backup that was not written: why, and what to do. Nothing was written or removed. */
export class BackupRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupRefused';
  }
}

export interface BackupJob {
  readonly dir: string;
  readonly keep: number;
  /** The door whose store this is (its name is in the copies' names). */
  readonly door: string;
  /** Now, which names the copy. */
  readonly at: number;
  /** About how many bytes the copy takes (the database and its write-ahead log). */
  readonly bytes: number;
  /** Writes the store's online backup to a file. */
  readonly copy: (file: string) => Promise<void>;
}

/**
 * Writes a backup of the store into `dir`, then removes this door's oldest backups there
 * beyond `keep`. The copy just written is never one of them, even when its name sorts first
 * (a Pi booted on a stale clock); copies named after now are kept aside. A copy that would
 * leave the disk nearly full (the clock may write to that disk too, and a commit it cannot
 * make stops it) first makes room by removing those oldest; when even that is not enough it
 * is refused, before anything is written or removed.
 */
export async function backupInto(job: BackupJob): Promise<BackupDone> {
  const { dir, keep, door, at } = job;
  const names = namesOf(door);
  removeStalePartials(dir, names.partial, at);
  const name = backupName(door, at);
  const plan = prunePlan(dir, names.backup, name, keep, at);
  const space = diskSpaceOf(dir);
  const roomFirst = space !== null && space.free - job.bytes < NEARLY_FULL_BYTES;
  if (roomFirst && space.free + sizes(plan.removed) - job.bytes < NEARLY_FULL_BYTES) {
    throw new BackupRefused(
      `the disk holding ${dir} has ${describeSpace(space)}: a copy of about ${formatBytes(job.bytes)} ` +
        `would leave it with less than ${formatBytes(NEARLY_FULL_BYTES)}, even with the ${plan.removed.length} ` +
        `oldest backup(s) beyond --keep ${keep} removed, and a full disk stops a clock that writes there. ` +
        'Free some space there, lower --keep, or back up into another disk',
    );
  }
  // Short of room: the oldest go first, so the clock's disk never dips below the margin.
  if (roomFirst) removeBackups(plan.removed);
  const partial = join(dir, `.${name}.partial`);
  const file = join(dir, name);
  try {
    await job.copy(partial);
    syncFile(partial);
    renameSync(partial, file);
  } catch (error) {
    for (const suffix of ['', '-journal', '-wal', '-shm'])
      rmSync(`${partial}${suffix}`, { force: true });
    throw error;
  }
  syncFolder(dir);
  if (!roomFirst) removeBackups(plan.removed);
  return { file, ...plan };
}

/**
 * Which of this door's backups go once the copy `written` is there: the oldest beyond `keep`
 * (the new copy counts first); and those named after now, kept aside.
 */
function prunePlan(
  dir: string,
  backup: RegExp,
  written: string,
  keep: number,
  at: number,
): Pick<BackupDone, 'removed' | 'ahead'> {
  const { named, ahead } = byStamp(dir, backup, at);
  const older = named.filter((entry) => entry !== written);
  const removed = older.slice(Math.max(0, keep - 1)).map((entry) => join(dir, entry));
  return {
    removed,
    ahead: ahead.filter((entry) => entry !== written).map((entry) => join(dir, entry)),
  };
}

/** Removes backups, with SQLite's files beside any a person opened where it lies. */
function removeBackups(paths: readonly string[]): void {
  for (const path of paths) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
  }
}

/** The bytes the files take (a file gone meanwhile takes none). */
function sizes(paths: readonly string[]): number {
  return paths.reduce((sum, path) => {
    try {
      return sum + statSync(path).size;
    } catch {
      return sum;
    }
  }, 0);
}

/** Removes partial copies a crash left, old enough that no backup is still writing them. */
function removeStalePartials(dir: string, partial: RegExp, now: number): void {
  for (const entry of readdirSync(dir)) {
    if (!partial.test(entry)) continue;
    const path = join(dir, entry);
    try {
      if (Math.abs(now - statSync(path).mtimeMs) > PARTIAL_STALE_MS) rmSync(path, { force: true });
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Puts the file's bytes on the disk: a backup that is only in the page cache is no backup. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the rename durable; a folder that cannot be synced still holds the synced copy. */
function syncFolder(path: string): void {
  try {
    syncFile(path);
  } catch {
    // Some file systems cannot sync a folder.
  }
}
