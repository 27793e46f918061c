/**
 * One clock per data directory. Two clocks on one store would each keep their
 * own idea of who is clocked in: overlapping sessions, people listed twice,
 * duplicate rows in the sheet.
 *
 * Node has no flock(2), so the lock is a file created with O_CREAT|O_EXCL
 * (`'wx'`): of two processes creating it, exactly one succeeds. It holds who
 * created it: pid, start time, host, the kernel's boot id and the process's
 * start in clock ticks since boot (Linux). A clock killed with `kill -9` or a
 * power cut leaves it behind, so a lock is stale, and taken over, when
 * - it was written in another boot (pids start again after a reboot), or
 * - its pid is not alive, or is alive but started at another tick (the pid was
 *   reused by another process);
 * a lock from another host (a data directory on a network share) is never
 * taken as stale: this machine cannot see that host's processes. An empty one
 * (created, then a crash before it was written) is stale once older than a
 * grace, measured on the monotonic clock when it is dated ahead of this one.
 * A stale lock is moved aside before it is checked and removed (src/lockFile.ts):
 * another clock starting at the same moment never loses its fresh lock to it.
 * Read-only commands (status, report, backup, doctor) take no lock.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openLock, removeStale, textOf, type SeenLock } from './lockFile';

export const LOCK_FILE_NAME = 'badgeclock.lock';

/** A lock file younger than this with no content yet is taken as being written, not stale. */
const WRITING_GRACE_MS = 10_000;
/** A lock file dated more than this ahead of this clock was written on another clock's time. */
const DATED_AHEAD_MS = 1_000;

/** Who holds a data directory, as its lock file says. */
export interface LockHolder {
  readonly pid: number;
  /** ISO-8601 instant the holder started. */
  readonly startedAt: string;
  readonly host: string;
  /** The kernel's boot id when the holder started; null where the system has none. */
  readonly bootId: string | null;
  /** The holder's start in clock ticks since boot (/proc/PID/stat), where there is /proc. */
  readonly procStart: number | null;
}

/** A second clock on a data directory: names the one that holds it. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | null,
    message: string,
  ) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

/** A held lock: release it when the clock stops (also done at process exit). */
export interface DataDirLock {
  readonly file: string;
  /** The holder whose stale lock was taken over, and why it was stale, if one was. */
  readonly tookOver: { readonly holder: LockHolder; readonly why: string } | null;
  release(): void;
}

export interface LockOptions {
  /** Shows the holder's start time in the message, e.g. in the configured zone. */
  readonly formatTime?: (at: number) => string;
  /** Waits `ms` of real (monotonic) time; tests pass their own. */
  readonly sleep?: (ms: number) => void;
}

/** Blocks for `ms` of monotonic time (a start waiting out an empty lock it cannot date). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The kernel's id of this boot (Linux), or null where there is none. */
export function readBootIdOrNull(file = '/proc/sys/kernel/random/boot_id'): string | null {
  try {
    const id = readFileSync(file, 'utf8').trim();
    return id === '' ? null : id;
  } catch {
    return null;
  }
}

/** When process `pid` started, in clock ticks since boot (/proc/PID/stat field 22), or null without /proc. */
export function processStartTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 is the command in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** Whether a process `pid` exists (EPERM: it does, as another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const pid = 'pid' in value ? value.pid : undefined;
    const startedAt = 'startedAt' in value ? value.startedAt : undefined;
    const host = 'host' in value ? value.host : undefined;
    const bootId = 'bootId' in value ? value.bootId : undefined;
    const procStart = 'procStart' in value ? value.procStart : undefined;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return null;
    if (typeof startedAt !== 'string' || typeof host !== 'string') return null;
    return {
      pid,
      startedAt,
      host,
      bootId: typeof bootId === 'string' ? bootId : null,
      procStart: typeof procStart === 'number' ? procStart : null,
    };
  } catch {
    return null;
  }
}

/** Why `holder` no longer holds the directory, or null while it may. */
function staleness(holder: LockHolder): string | null {
  if (holder.host !== hostname()) return null;
  if (holder.pid === process.pid) return 'it names this very process';
  const boot = readBootIdOrNull();
  if (boot !== null && holder.bootId !== null && holder.bootId !== boot) {
    return 'it was written before the last reboot';
  }
  if (!alive(holder.pid)) return 'that process is gone';
  const ticks = processStartTicks(holder.pid);
  if (ticks !== null && holder.procStart !== null && ticks !== holder.procStart) {
    return 'that pid now belongs to another process';
  }
  return null;
}

function describeHolder(holder: LockHolder, formatTime: (at: number) => string): string {
  const at = Date.parse(holder.startedAt);
  const when = Number.isFinite(at) ? formatTime(at) : holder.startedAt;
  return `pid ${holder.pid}, started ${when}${holder.host === hostname() ? '' : ` on host ${holder.host}`}`;
}

function createLock(file: string, self: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(self)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the data directory `dir` for this process, or throws a
 * DataDirLockedError naming the process that holds it. A stale lock (see
 * above) is taken over, and said so in `tookOver`.
 */
export function lockDataDir(dir: string, options: LockOptions = {}): DataDirLock {
  const file = join(dir, LOCK_FILE_NAME);
  const formatTime = options.formatTime ?? ((at: number) => new Date(at).toISOString());
  const self: LockHolder = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    host: hostname(),
    bootId: readBootIdOrNull(),
    procStart: processStartTicks(process.pid),
  };
  let tookOver: DataDirLock['tookOver'] = null;
  mkdirSync(dir, { recursive: true });
  // Two rounds: a stale lock is removed once, then created; losing that race to another
  // clock starting at the same moment is reported like any held lock.
  for (let round = 0; round < 2; round++) {
    if (createLock(file, self)) return held(file, self, tookOver);
    const seen = openLock(file);
    if (seen === null) continue; // released meanwhile
    try {
      const verdict = judge(seen, file, dir, formatTime, options);
      if (verdict === 'written meanwhile') continue;
      if (verdict !== null) tookOver = verdict;
      // Stale: remove it, then create ours. Another clock starting at the same moment may have
      // removed it first, or even replaced it with its own: then the next round tells.
      removeStale(file, seen.stats);
    } finally {
      closeSync(seen.fd);
    }
  }
  throw new DataDirLockedError(
    dir,
    null,
    `another badgeclock took the data directory ${dir} at the same moment (lock file ${file})`,
  );
}

/**
 * Throws a DataDirLockedError while the lock `seen` holds the directory. Else it is stale: what
 * taking it over means (null for an empty lock); or 'written meanwhile', an empty lock a clock
 * starting now wrote while this one waited, judged again in the next round.
 */
function judge(
  seen: SeenLock,
  file: string,
  dir: string,
  formatTime: (at: number) => string,
  options: LockOptions,
): DataDirLock['tookOver'] | 'written meanwhile' {
  const holder = parseHolder(seen.text);
  if (holder === null) {
    // Created but not written yet by a clock starting now, or left empty by a crash right then.
    const age = Date.now() - seen.stats.mtimeMs;
    // Not by a hair: a lock created this millisecond has an mtime with a fraction past now.
    if (age < -DATED_AHEAD_MS) {
      // Dated ahead of this clock: a power cut left it empty and the Pi booted on a stale
      // clock, which may stay behind for days offline. Its age cannot be told, so it is
      // waited out on the monotonic clock: a clock starting now has written it by then.
      (options.sleep ?? sleepSync)(WRITING_GRACE_MS);
      if (textOf(seen.fd) !== seen.text) return 'written meanwhile';
    } else if (age < WRITING_GRACE_MS) {
      throw new DataDirLockedError(
        dir,
        null,
        `another badgeclock is starting on the data directory ${dir} (lock file ${file}); wait a few seconds and look again`,
      );
    }
    return null;
  }
  const why = staleness(holder);
  if (why === null) {
    throw new DataDirLockedError(
      dir,
      holder,
      `another badgeclock (${describeHolder(holder, formatTime)}) is running on the data directory ${dir}. ` +
        `One clock per data directory: stop that one first (sudo systemctl stop badgeclock, or kill ${holder.pid}), ` +
        `or give this one another --data-dir. (lock file ${file})`,
    );
  }
  return { holder, why };
}

/**
 * The live clock that holds `dir`, as its lock file says, or null: no lock file, one being
 * written, or a stale one. Reads only: for a command that must not run beside the clock
 * (`reader test` on the clock's RC522) but need not take the directory.
 */
export function liveHolder(dir: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(join(dir, LOCK_FILE_NAME), 'utf8');
  } catch {
    return null;
  }
  const holder = parseHolder(text);
  return holder !== null && staleness(holder) === null ? holder : null;
}

function held(file: string, self: LockHolder, tookOver: DataDirLock['tookOver']): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      // Only our own lock: never one a later clock took over after ours was judged stale.
      if (parseHolder(readFileSync(file, 'utf8'))?.pid === self.pid) unlinkSync(file);
    } catch {
      // Already gone (the directory was removed): nothing to release.
    }
  };
  process.on('exit', release);
  return { file, tookOver, release };
}
