/**
 * A real small file system for disk-full and read-only tests. Root ignores
 * file permissions, so only a mount can make a directory truly full or
 * read-only for it. Mounting needs root with CAP_SYS_ADMIN on Linux; where that
 * is missing `tmpfsAvailable` says so and those tests are skipped (reported as
 * skipped by jest, not passed).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  readonly path: string;
  /** Fills the file system with a file (tmpfs counts whole pages); returns its path. */
  readonly fill: () => string;
  readonly remountReadOnly: () => void;
  readonly unmount: () => void;
}

/** Mounts a tmpfs of `kib` KiB on the empty directory `path`, or returns null if this machine cannot. */
export function mountTmpfs(path: string, kib: number): Tmpfs | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', path], {
      stdio: 'ignore',
      timeout: 5_000,
    });
  } catch {
    return null;
  }
  return {
    path,
    fill: () => {
      const filler = join(path, 'filler');
      const fd = openSync(filler, 'w');
      try {
        const block = Buffer.alloc(1024, 0x55);
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      return filler;
    },
    remountReadOnly: () => {
      execFileSync('mount', ['-o', 'remount,ro', path], { stdio: 'ignore', timeout: 5_000 });
    },
    unmount: () => {
      try {
        execFileSync('umount', [path], { stdio: 'ignore', timeout: 5_000 });
      } catch {
        // Still busy (a test failed with a file open): detach it now, it goes when freed.
        execFileSync('umount', ['-l', path], { stdio: 'ignore', timeout: 5_000 });
      }
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Whether a tmpfs can be mounted here: tries one and takes it down again. */
export function tmpfsAvailable(): boolean {
  const path = mkdtempSync(join(tmpdir(), 'badgeclock-probe-'));
  const probe = mountTmpfs(path, 64);
  if (probe === null) {
    rmSync(path, { recursive: true, force: true });
    return false;
  }
  probe.unmount();
  return true;
}

/** Frees the space `fill` took. */
export function unfill(tmpfs: Tmpfs): void {
  rmSync(join(tmpfs.path, 'filler'), { force: true });
}

/** Whether `runuser` can run a command as another user here (root on Linux). */
export function canRunAsOtherUser(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'true'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}
