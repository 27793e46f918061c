/**
 * The store's one kind of error, and what each way SQLite can fail means for
 * the person running the clock: every message names the file and says what
 * to do.
 */
import { dirname } from 'node:path';

/** A store problem a person can act on: names the file, says what to do. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** What each way SQLite can fail at start means for the person running the clock. */
export function explain(error: unknown, file: string): StoreError {
  // better-sqlite3 reports extended codes (SQLITE_READONLY_DIRECTORY, SQLITE_CANTOPEN_ISDIR…): match the primary code.
  const full = (error as { code?: string }).code ?? '';
  const code = /^SQLITE_[A-Z]+/.exec(full)?.[0] ?? full;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError(
      `database ${file} is not a valid badgeclock database or is corrupt (${message}). It was not changed. ` +
        `Restore it from a backup, or move it aside to start with an empty store (see README, "Data").`,
      file,
    );
  }
  if (
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return new StoreError(
      `cannot open database ${file} for writing (${message}). Check that the data directory ${dirname(file)} ` +
        `exists and is writable by this user, or set BADGECLOCK_DATA_DIR.`,
      file,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError(
      `the disk holding ${file} is full (${message}). Free some space; no accepted tap was lost.`,
      file,
    );
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreError(
      `database ${file} is locked by another process (${message}). Is another badgeclock running?`,
      file,
    );
  }
  return new StoreError(`database ${file}: ${message}`, file);
}
