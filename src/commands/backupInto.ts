/**
 * `badgeclock backup --into DIR --keep N`: a dated copy of the store in a folder of backups,
 * and the oldest beyond N removed, for a timer to run every night (deploy/badgeclock-backup.*).
 * A copy is written under a hidden name, synced, then renamed into place, so a copy cut short
 * (a power cut mid-backup) never looks like a whole backup, and never replaces one.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';

/** A backup's name: the UTC instant it was taken, so names sort as their times. */
const BACKUP_NAME = /^badgeclock-\d{8}T\d{6}Z\.db$/;
/** A copy being written, or one a crash cut short. */
const PARTIAL_NAME = /^\.badgeclock-\d{8}T\d{6}Z\.db\.partial$/;
/** A partial copy older than this was cut short: no backup takes an hour. */
const PARTIAL_STALE_MS = 60 * 60 * 1000;

/** The backups `--keep` keeps when it is not given: two weeks of nightly copies. */
export const DEFAULT_KEEP = 14;

/** The name of a backup taken at `at`: badgeclock-20261202T031700Z.db. */
export function backupName(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-12-02T03:17:00.000Z
  return `badgeclock-${iso.slice(0, 19).replace(/[-:]/g, '')}Z.db`;
}

/** Why `dir` cannot hold the backups of the store in `dataDir`, or null when it can. */
export function intoRefusal(dir: string, dataDir: string): string | null {
  let stats;
  try {
    stats = statSync(dir);
  } catch {
    return `${dir} does not exist: create it (writable by the clock's user), or give another folder`;
  }
  if (!stats.isDirectory()) return `${dir} is not a folder`;
  let data: string;
  try {
    data = realpathSync(dataDir);
  } catch {
    return null; // No data directory: the store's own message says so.
  }
  return realpathSync(dir) === data
    ? `${dir} is the data directory itself: backups there are lost with it. Give a folder outside it, best on another disk`
    : null;
}

/**
 * Writes a backup of the store into `dir` with `copy` (the store's online backup to a file),
 * then removes the oldest backups there beyond `keep`. The copy just written is never one
 * of them, even when its name sorts first (a Pi booted on a stale clock). Returns its path
 * and the backups removed.
 */
export async function backupInto(
  dir: string,
  keep: number,
  at: number,
  copy: (file: string) => Promise<void>,
): Promise<{ readonly file: string; readonly removed: readonly string[] }> {
  removeStalePartials(dir, at);
  const name = backupName(at);
  const partial = join(dir, `.${name}.partial`);
  const file = join(dir, name);
  try {
    await copy(partial);
    syncFile(partial);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  syncFolder(dir);
  const older = readdirSync(dir)
    .filter((entry) => BACKUP_NAME.test(entry) && entry !== name)
    .sort()
    .reverse();
  const removed = older.slice(Math.max(0, keep - 1));
  for (const entry of removed) rmSync(join(dir, entry), { force: true });
  return { file, removed: removed.map((entry) => join(dir, entry)) };
}

/** Removes partial copies a crash left, old enough that no backup is still writing them. */
function removeStalePartials(dir: string, now: number): void {
  for (const entry of readdirSync(dir)) {
    if (!PARTIAL_NAME.test(entry)) continue;
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
