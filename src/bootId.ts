/**
 * Which boot of the machine this process runs in. Monotonic times (the clock
 * uses CLOCK_MONOTONIC, counted from boot) can be compared across restarts of
 * the clock only within one boot, so the store keeps them with this id.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

const LINUX_BOOT_ID = '/proc/sys/kernel/random/boot_id';

/**
 * The kernel's id of the current boot (Linux), or a fresh random id where
 * there is none: then no monotonic time of an earlier process is trusted,
 * which is right when it cannot be told.
 */
export function readBootId(file = LINUX_BOOT_ID): string {
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (id !== '') return id;
  } catch {
    // Not Linux, or no /proc: fall through.
  }
  return `process-${randomUUID()}`;
}
