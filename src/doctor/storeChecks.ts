/**
 * The doctor's checks of the data directory and the store in it: writable,
 * the database intact, and the changes the sheet refused for good. Read-only:
 * a missing data directory is reported, not made (a mistyped --data-dir made
 * one and passed, leaving the clock's real directory unchecked).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { missingDatabase, notADirectory } from '../drivers/store/dbFiles';
import { DB_FILE_NAME, Store } from '../drivers/store/store';
import {
  describeSpace,
  diskAdvice,
  diskLevel,
  diskSpaceOf,
  readOnlyDisk,
  writeError,
} from '../diskSpace';
import { userName } from '../userName';
import type { Check } from './check';

/**
 * The data directory and whether the clock can write it (`writable`: it could make it, when it
 * is missing).
 */
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
  if (!existsSync(dir)) return missingDataDirCheck(dir);
  try {
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
 * A data directory that is not there: passed when this user could make it, saying it is not
 * there yet (a clock not started yet, or a path that is not the clock's: doctor cannot tell
 * which, so it names both), a failure when it could not.
 */
function missingDataDirCheck(dir: string): { readonly check: Check; readonly writable: boolean } {
  const parent = existingAncestor(dir);
  const name = 'data directory';
  if (!statSync(parent).isDirectory()) {
    return {
      check: {
        name,
        ok: false,
        detail: `${dir} does not exist and cannot be made: ${parent} is a file`,
        fix: 'set BADGECLOCK_DATA_DIR (or --data-dir) to a directory, or move the file aside',
      },
      writable: false,
    };
  }
  const cause = writeError(parent);
  if (cause === null) {
    return {
      check: {
        name,
        ok: true,
        detail:
          `${dir} does not exist yet; the clock makes it on its first start ` +
          '(if the clock has run before, its data is elsewhere: check --data-dir and BADGECLOCK_DATA_DIR)',
      },
      writable: true,
    };
  }
  return {
    check: {
      name,
      ok: false,
      detail: `${dir} does not exist, and ${userName()} cannot make it in ${parent} (${cause})`,
      fix:
        cause === 'EROFS'
          ? `${readOnlyDisk(parent)}: set BADGECLOCK_DATA_DIR to a directory on a writable disk`
          : `make it for the clock's user (sudo install -d -o ${userName()} ${dir}); the service (deploy/badgeclock.service) has systemd make /var/lib/badgeclock at its first start. Or check --data-dir and BADGECLOCK_DATA_DIR for a typing mistake`,
    },
    writable: false,
  };
}

/** The nearest of `dir` and its parents that exists (the root, at worst). */
function existingAncestor(dir: string): string {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
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
  // A data directory not made yet will be on its nearest existing parent's disk.
  const space = diskSpaceOf(existingAncestor(dir));
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
