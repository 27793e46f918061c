/**
 * The doctor's checks of the data directory and the store in it: writable,
 * the database intact, and the changes the sheet refused for good. Read-only,
 * apart from creating a missing data directory.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { missingDatabase, notADirectory } from '../drivers/store/dbFiles';
import { DB_FILE_NAME, Store } from '../drivers/store/store';
import { describeSpace, diskAdvice, diskLevel, diskSpaceOf, readOnlyDisk } from '../diskSpace';
import { userName } from '../userName';
import type { Check } from './check';

/** The data directory, created if missing, and whether it is writable. */
export function dataDirCheck(dir: string): { readonly check: Check; readonly writable: boolean } {
  const file = notADirectory(dir);
  if (file !== null) {
    return {
      check: {
        name: 'data directory',
        ok: false,
        detail: file,
        fix: 'set BADGECLOCK_DATA_DIR (or --data-dir) to a directory, or move the file aside',
      },
      writable: false,
    };
  }
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    // The clock writes the database and its WAL files too: one left by another user (a run
    // under sudo) stops it at start, however writable the directory is.
    for (const file of storeFilesIn(dir)) accessSync(file, constants.R_OK | constants.W_OK);
    return {
      check: { name: 'data directory', ok: true, detail: `${dir} is writable` },
      writable: true,
    };
  } catch (error) {
    return {
      check: {
        name: 'data directory',
        ok: false,
        detail: `${dir}: ${(error as Error).message}`,
        fix: unwritableFix(dir, (error as NodeJS.ErrnoException).code),
      },
      writable: false,
    };
  }
}

/**
 * What to do about a data directory this user cannot write, named (src/userName.ts). A
 * read-only disk is no matter of owners.
 */
function unwritableFix(dir: string, code: string | undefined): string {
  if (code === 'EROFS')
    return `${readOnlyDisk(dir)}: copy the data directory to another disk, point BADGECLOCK_DATA_DIR at it, and replace the card`;
  return `make it and its files writable by this user (sudo chown -R ${userName()} ${dir}), or set BADGECLOCK_DATA_DIR`;
}

/** The free space on the disk holding `dir`: a warning when low, a failure when nearly full. */
export function diskSpaceCheck(dir: string): Check {
  const space = diskSpaceOf(dir);
  if (space === null) {
    return {
      name: 'disk space',
      ok: 'skip',
      detail: `not checked: cannot read the disk of ${dir}`,
    };
  }
  const level = diskLevel(space);
  const detail = `${describeSpace(space)} on the disk holding ${dir}`;
  if (level === 'ok') return { name: 'disk space', ok: true, detail };
  return {
    name: 'disk space',
    ok: level === 'low' ? 'warn' : false,
    detail: `${detail}: ${level}`,
    fix: diskAdvice(dir),
  };
}

/** The database in `dir` and its WAL files, those that are there. */
function storeFilesIn(dir: string): string[] {
  const db = join(dir, DB_FILE_NAME);
  return [db, `${db}-wal`, `${db}-shm`].filter((file) => existsSync(file));
}

/** The store: lost, not made yet, or opened read-only and checked (with what it set aside). */
export function storeChecks(dir: string, writable: boolean): Check[] {
  if (notADirectory(dir) !== null) {
    return [
      { name: 'store', ok: false, detail: 'not checked: the data directory is not a directory' },
    ];
  }
  const dbFile = join(dir, DB_FILE_NAME);
  const lost = existsSync(dbFile) ? null : missingDatabase(dbFile);
  if (lost !== null) return [{ name: 'store', ok: false, detail: lost }];
  if (!existsSync(dbFile)) {
    return [
      {
        name: 'store',
        ok: writable ? 'skip' : false,
        detail: `${dbFile} does not exist yet; the clock creates it on its first start`,
      },
    ];
  }
  try {
    return existingStoreChecks(dbFile);
  } catch (error) {
    return [
      {
        name: 'store',
        ok: false,
        detail: (error as Error).message,
        fix: 'see the message; the file was not changed',
      },
    ];
  }
}

/** An existing database: PRAGMA integrity_check, then the set-aside changes when it passes. */
function existingStoreChecks(dbFile: string): Check[] {
  // Without the open's own quick_check: integrity_check reads the whole file next, a superset.
  const store = Store.open(dbFile, { readonly: true, integrityCheck: false });
  const result = store.integrityCheck();
  const { setAside, setAsideCount } =
    result === 'ok' ? store.status() : { setAside: [], setAsideCount: 0 };
  store.close();
  const checks: Check[] = [
    result === 'ok'
      ? { name: 'store', ok: true, detail: `${dbFile} opens and passes PRAGMA integrity_check` }
      : {
          name: 'store',
          ok: false,
          detail: `${dbFile}: integrity_check says ${result}`,
          fix: 'stop the clock, restore the database from a backup (README, "Data")',
        },
  ];
  if (setAsideCount > 0) {
    const listed = setAside.map((entry) => `${entry.key} (${entry.kind}): ${entry.failure}`);
    const more = setAsideCount > setAside.length ? [`${setAsideCount - setAside.length} more`] : [];
    checks.push({
      name: 'set aside',
      ok: false,
      detail: `${setAsideCount} change(s) the sheet refused for good, not retried: ${[...listed, ...more].join('; ')}`,
      fix: 'the sessions are kept in the store (badgeclock report shows them); correct or enter them in the sheet by hand',
    });
  }
  return checks;
}
