/**
 * Opening the store's file: refusing one that vanished, checking that the
 * data directory is writable, checking an existing file without changing it
 * (a newer schema, a failed quick check), then connecting for good with WAL
 * and `synchronous = FULL`, migrating the schema and linking taps from before
 * the hash chain into it.
 */
import { accessSync, constants, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CHAIN_SCHEMA, linkTapsFromBeforeChain, markTapsToLink } from './chain';
import { missingDatabase, notADirectory, OpenedFiles, writeMarker } from './dbFiles';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';
import { Statements } from './statements';
import { explain, StoreError } from './storeError';

export interface OpenOptions {
  /** Reports and status open the store read-only and never create it. */
  readonly readonly?: boolean;
  /** Create the database even where its marker says one existed (a deliberate fresh start). */
  readonly newInstall?: boolean;
  /**
   * Run SQLite's quick check of the whole file first (default true). `status` and `report`
   * leave it out: it reads every page, so it grows with the years, and they change nothing.
   */
  readonly integrityCheck?: boolean;
  /** Open only a database that is there (`fix` changes one, and must never start an empty one). */
  readonly existing?: boolean;
}

/** A connection ready for the store, with the files it opened (null in memory, or read-only). */
export interface OpenedDatabase {
  readonly db: Database.Database;
  readonly path: string;
  readonly opened: OpenedFiles | null;
}

/** Opens (creating and migrating when writable) the database at `file`, or throws a StoreError. */
export function openDatabase(file: string, options: OpenOptions = {}): OpenedDatabase {
  const memory = file === ':memory:';
  const path = memory ? file : resolve(file);
  const readonly = options.readonly === true;
  refuseAbsent(path, memory, readonly || options.existing === true, options.newInstall === true);
  if (!readonly && !memory) ensureWritable(dirname(path), path);
  // An existing file is checked on a read-only connection first: refusing it must not change it
  // (a read-write connection would fold a leftover WAL into a damaged or newer file on close).
  if (!memory && existsSync(path)) checkExisting(path, options.integrityCheck !== false);
  return connect(path, memory, readonly, options.newInstall === true);
}

/**
 * Refuses a start without the database where there is nothing to create, or nothing may be.
 * `existing`: the database must be there (read-only, or a command that only changes one).
 */
function refuseAbsent(path: string, memory: boolean, existing: boolean, newInstall: boolean): void {
  // A database that disappeared is a fault to report, never a reason to start empty.
  const missing = memory || existsSync(path) ? null : missingDatabase(path);
  if (missing !== null && (existing || !newInstall)) {
    throw new StoreError(missing, path);
  }
  if (existing && !existsSync(path)) {
    throw new StoreError(
      `no database at ${path} yet: run the clock once (npm start), or check BADGECLOCK_DATA_DIR.`,
      path,
    );
  }
}

/** Makes the data directory `dir` if needed, and refuses it (or the database) when not writable. */
function ensureWritable(dir: string, path: string): void {
  const file = notADirectory(dir);
  if (file !== null) {
    throw new StoreError(
      `${file}. Set BADGECLOCK_DATA_DIR (or --data-dir) to a directory, or move the file aside.`,
      path,
    );
  }
  try {
    mkdirSync(dir, { recursive: true });

    accessSync(dir, constants.W_OK);
    if (existsSync(path)) accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new StoreError(
      `data directory ${dir} is not writable (${(error as Error).message}). ` +
        `Make it writable by this user (chown/chmod), or set BADGECLOCK_DATA_DIR to a writable directory.`,
      path,
    );
  }
}

/** Checks an existing database on a read-only connection, leaving no file behind that was not there. */
function checkExisting(path: string, integrity: boolean): void {
  let check: Database.Database | undefined;
  // A read-only connection to a WAL database creates -wal/-shm; remove what it created.
  const sideFiles = [`${path}-wal`, `${path}-shm`].filter((side) => !existsSync(side));
  try {
    check = new Database(path, { readonly: true, fileMustExist: true });
    refuseUnusable(check, path, integrity);
  } catch (error) {
    throw error instanceof StoreError ? error : explain(error, path);
  } finally {
    check?.close();
    for (const side of sideFiles) rmSync(side, { force: true });
  }
}

/** The connection the store keeps: durable and migrated when writable, current when read-only. */
function connect(
  path: string,
  memory: boolean,
  readonly: boolean,
  newInstall: boolean,
): OpenedDatabase {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly });
    // An existing file was checked above; a new one is empty.
    const version = Number(db.pragma('user_version', { simple: true }));
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      migrate(db, version);
      // Before the clock starts: taps from before the chain get their links (once; resumed if cut short).
      linkTapsFromBeforeChain(new Statements(db));
      if (!memory) {
        writeMarker(path, newInstall);
        return { db, path, opened: new OpenedFiles(path) };
      }
    } else {
      db.pragma('busy_timeout = 5000');
      if (version < SCHEMA_VERSION) {
        throw new StoreError(
          `database ${path} is from an older badgeclock (schema ${version}); start the clock once to upgrade it.`,
          path,
        );
      }
    }
    return { db, path, opened: null };
  } catch (error) {
    db?.close();
    throw error instanceof StoreError ? error : explain(error, path);
  }
}

/** Refuses a database written by a newer badgeclock, or one that fails SQLite's quick check. */
function refuseUnusable(db: Database.Database, path: string, integrity: boolean): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      `database ${path} has schema version ${version}, newer than this badgeclock knows (${SCHEMA_VERSION}). ` +
        `It was written by a newer version: upgrade badgeclock, or restore a backup made by this one. The file was not changed.`,
      path,
    );
  }
  if (!integrity) return;
  const result = String(db.pragma('quick_check', { simple: true }));
  if (result !== 'ok') {
    throw new StoreError(
      `database ${path} failed its integrity check (${result.split('\n').slice(0, 3).join('; ')}). It was not changed. ` +
        `Restore it from a backup, or move it aside to start with an empty store (see README, "Data").`,
      path,
    );
  }
}

function migrate(db: Database.Database, from: number): void {
  for (let version = from; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version] ?? '';
    db.transaction(() => {
      db.exec(sql);
      if (version + 1 === CHAIN_SCHEMA) markTapsToLink(db);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
