/**
 * Free space on the disk that holds the data directory. A full disk stops the clock: a tap it
 * cannot store is not shown as taken, and the clock stops with a message. On a Pi the store
 * shares its SD card with the system's logs, updates and caches, which fill it over months,
 * so `doctor`, `status` and the running clock say so while there is still room to act.
 */
import { accessSync, constants, statfsSync } from 'node:fs';

const MIB = 1024 * 1024;

/**
 * Below this the space is low: a warning. The store itself grows slowly (a year of a
 * 155-person site is about 18 MiB: README, "Benchmark"), but one system update or a chatty
 * log takes hundreds.
 */
export const LOW_DISK_BYTES = 512 * MIB;
/** Below this the disk is nearly full: a fault, since the next update or log burst may fill it. */
export const NEARLY_FULL_BYTES = 64 * MIB;

/** Free and total bytes of a file system, as this (unprivileged) user may use them. */
export interface DiskSpace {
  readonly free: number;
  readonly total: number;
}

export type DiskLevel = 'ok' | 'low' | 'nearly full';

/**
 * The space on the file system holding `dir`, or null when it cannot be read (no such
 * directory yet). Blocks kept for root are not counted free: the clock runs as its own user.
 */
export function diskSpaceOf(dir: string): DiskSpace | null {
  try {
    const stats = statfsSync(dir);
    return { free: stats.bavail * stats.bsize, total: stats.blocks * stats.bsize };
  } catch {
    return null;
  }
}

/** How worrying `space` is. */
export function diskLevel(space: DiskSpace): DiskLevel {
  if (space.free < NEARLY_FULL_BYTES) return 'nearly full';
  if (space.free < LOW_DISK_BYTES) return 'low';
  return 'ok';
}

/** "1.2 GiB free of 29.1 GiB": sizes as a person reads them. */
export function describeSpace(space: DiskSpace): string {
  return `${formatBytes(space.free)} free of ${formatBytes(space.total)}`;
}

/** What to do about a low or nearly full disk under the data directory `dir`. */
export function diskAdvice(dir: string): string {
  return (
    `free some space on the disk holding ${dir}: old logs (sudo journalctl --vacuum-size=100M), ` +
    `old backups, apt's cache (sudo apt-get clean); or move the data directory to a larger disk. ` +
    `On a full disk the clock stops rather than take a tap it cannot store`
  );
}

/** A disk the kernel made read-only, said the same way by every command that finds one. */
export function readOnlyDisk(dir: string): string {
  return `the disk holding ${dir} is mounted read-only (the kernel does that to an SD card after errors: see sudo dmesg)`;
}

/** The error code of writing into `dir` (EROFS, EACCES …), or null when this user may. */
export function writeError(dir: string): string | null {
  try {
    accessSync(dir, constants.W_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

/** Bytes in MiB below a GiB, else in GiB, with one decimal where it helps. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024 * MIB) return `${Math.floor(bytes / MIB)} MiB`;
  const gib = bytes / (1024 * MIB);
  return `${gib < 100 ? gib.toFixed(1) : gib.toFixed(0)} GiB`;
}

/** Better than before only this share above the threshold: a disk hovering at one is one warning. */
const RECOVERY_MARGIN = 0.1;

const RANK: Record<DiskLevel, number> = { ok: 0, low: 1, 'nearly full': 2 };

/** The level of `space` after `last`: it gets better only with room to spare above the threshold. */
function levelAfter(last: DiskLevel, space: DiskSpace): DiskLevel {
  const level = diskLevel(space);
  if (RANK[level] >= RANK[last]) return level;
  const threshold = last === 'nearly full' ? NEARLY_FULL_BYTES : LOW_DISK_BYTES;
  if (space.free >= threshold * (1 + RECOVERY_MARGIN)) return level;
  return last;
}

/** How often the running clock looks at the disk: the space goes over days, not seconds. */
export const DISK_CHECK_MS = 60 * 60 * 1000;

/** Where a disk watcher writes: the program's log. */
export interface DiskLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The running clock's look at its disk: `check()` logs a warning when the disk holding `dir`
 * is low or nearly full, and a line when it has room again (10% above the threshold); only
 * when that changes, so a low disk is one warning in the log, not one an hour, even when it
 * hovers at the threshold. Unreadable: nothing is said.
 */
export function diskWatcher(
  dir: string,
  log: DiskLog,
  read: (dir: string) => DiskSpace | null = diskSpaceOf,
): { check(): DiskLevel | null } {
  let last: DiskLevel = 'ok';
  return {
    check: () => {
      const space = read(dir);
      if (space === null) return null;
      const level = levelAfter(last, space);
      if (level !== last) {
        const fields = { free: space.free, total: space.total, dataDir: dir };
        if (level === 'ok') log.info(`disk space: ${describeSpace(space)} again`, fields);
        else log.warn(`disk space ${level}: ${describeSpace(space)}; ${diskAdvice(dir)}`, fields);
      }
      last = level;
      return level;
    },
  };
}
