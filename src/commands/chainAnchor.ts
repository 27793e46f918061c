/**
 * The record against a backup of it (rule 13). The hash chain only grows: no tap or
 * correction is ever removed, so every link a backup holds must be in the store, the same.
 * `verify` alone cannot see the newest taps deleted together with their links (what is left
 * is a whole chain, only shorter), nor a chain rewritten to match an edit; an earlier backup
 * shows both, and names the records, since it still holds them.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import {
  backfillPending,
  CHAINED_COLUMNS,
  verifyChain,
  type ChainKind,
} from '../drivers/store/chain';
import { Statements } from '../drivers/store/statements';
import type { ChainVerdict, Store } from '../drivers/store/store';
import { writeError } from '../diskSpace';

/** What a backup says of the store. */
export type AnchorVerdict =
  /** Every link the backup holds is in the store, the same (`links` of them). */
  | { readonly kind: 'extends'; readonly links: number }
  /** The backup holds no chain (made before schema 6, or empty): nothing to compare. */
  | { readonly kind: 'unchained' }
  /**
   * The store lost links the backup holds, or has others in their place; `agreed`: the links
   * both hold the same (0: not even the first, another store's copy or a chain rewritten whole).
   */
  | { readonly kind: 'differs'; readonly problems: readonly string[]; readonly agreed: number };

/** What the nightly backup learns from its newest copy: the comparison, and the copy's own chain. */
export interface BackupWitness {
  readonly anchor: AnchorVerdict;
  /** The copy's own verdict, as `verify` gives it, or null when it holds no chain. */
  readonly own: ChainVerdict | null;
}

/** Records named in a problem before the rest are only counted. */
const NAMED = 5;

interface Link {
  readonly seq: number;
  readonly kind: ChainKind;
  readonly ref: number;
  readonly hash: string;
}

/**
 * The store's verdict, as `verify` gives it. A table or column of the record dropped outside
 * the clock is a change too, named with the file: SQLite's own "no such table: chain" said
 * neither.
 */
export function recordVerdict(store: Store): ChainVerdict {
  try {
    return store.verify();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/^no such (table|column): /.test(message)) throw error;
    return {
      whole: false,
      problems: [
        `${store.file}: ${message}: the record's tables were changed outside the clock, so nothing can be checked against the chain`,
      ],
      more: 0,
    };
  }
}

/**
 * Compares the chain of the store in `storeFile` (opened read-only) with that of the backup in
 * `backupFile`. Only the link at the backup's head is compared, and the first that differs
 * sought by halving: that proves the backup's whole chain only where the store's own chain is
 * whole, so run it beside `verify` (recordVerdict), never instead. Throws an Error naming the
 * file that cannot be read, or is no badgeclock database.
 */
export function checkAgainst(storeFile: string, backupFile: string): AnchorVerdict {
  return witness(storeFile, backupFile, false).anchor;
}

/** checkAgainst, with the backup's own chain checked too (`own`). */
export function witness(storeFile: string, backupFile: string, withOwn = true): BackupWitness {
  return readBackup(backupFile, (backup) => {
    const store = openedReadOnly(storeFile);
    try {
      const anchor = compared(store, backup, backupFile);
      return { anchor, own: withOwn && anchor.kind !== 'unchained' ? ownVerdict(backup) : null };
    } finally {
      store.close();
    }
  });
}

/** The backup's own verdict, as `verify` gives it; null when its tables cannot be read. */
function ownVerdict(backup: Database.Database): ChainVerdict | null {
  try {
    return verifyChain(new Statements(backup));
  } catch {
    return null;
  }
}

/**
 * Whether the store in `file` still has taps from before the chain (schema 6) to link: the
 * clock links them at its start, and until then `verify` lists each as not in the chain.
 */
export function linkingPending(file: string): boolean {
  const db = openedReadOnly(file);
  try {
    return backfillPending(new Statements(db));
  } finally {
    db.close();
  }
}

/**
 * Runs `work` on the backup opened read-only. SQLite makes a WAL-mode file's `-wal` and `-shm`
 * beside it even to read it (every backup of the store is one), and a read-only connection
 * cannot remove them: where this user may write the backup's folder (the nightly backup's own)
 * those it made are removed after (the `-wal` only while empty, as a read-only connection
 * leaves it). Elsewhere (an admin reading /var/backups/badgeclock) the file is copied to a
 * temporary folder and read there: disk, not memory, for a backup of any size.
 */
function readBackup<T>(file: string, work: (db: Database.Database) => T): T {
  if (!existsSync(file)) throw new Error(`${file}: no such file`);
  if (writeError(dirname(file)) === null) {
    const made = ['-wal', '-shm'].map((suffix) => `${file}${suffix}`).filter((f) => !existsSync(f));
    try {
      return readIn(file, file, work);
    } finally {
      removeEmpty(made);
    }
  }
  const folder = mkdtempSync(join(tmpdir(), 'badgeclock-against-'));
  try {
    const copy = join(folder, basename(file));
    copyFileSync(file, copy);
    if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
    return readIn(file, copy, work);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** `work` on the database at `path`, read-only, named `file` in errors; not a badgeclock one throws. */
function readIn<T>(file: string, path: string, work: (db: Database.Database) => T): T {
  const db = openedReadOnly(file, path);
  try {
    if (!hasTable(db, 'taps'))
      throw new Error(`${file}: not a badgeclock database (it has no taps table)`);
    return work(db);
  } finally {
    db.close();
  }
}

/**
 * The database at `path` opened read-only, its header read (garbage throws here), or an Error
 * naming `file` (the backup a temporary copy at `path` stands for).
 */
function openedReadOnly(file: string, path = file): Database.Database {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Removes the files of `made` that are there, the `-wal` only when empty. */
function removeEmpty(made: readonly string[]): void {
  for (const file of made) {
    try {
      if (!file.endsWith('-wal') || statSync(file).size === 0) rmSync(file);
    } catch {
      // Not made after all, or gone meanwhile.
    }
  }
}

function compared(
  store: Database.Database,
  backup: Database.Database,
  backupFile: string,
): AnchorVerdict {
  const head = hasTable(backup, 'chain') ? lastLink(backup) : undefined;
  if (head === undefined) return { kind: 'unchained' };
  const storeLast = hasTable(store, 'chain') ? (lastLink(store)?.seq ?? 0) : 0;
  const same = (seq: number): boolean => linkAt(store, seq)?.hash === linkAt(backup, seq)?.hash;
  if (storeLast >= head.seq && same(head.seq)) return { kind: 'extends', links: head.seq };
  // The chains agree up to some link and not after (each hash covers all before it): the
  // first that differs is found by halving, in a few dozen point reads.
  let agreed = 0;
  let differs = Math.min(head.seq, storeLast) + 1;
  while (differs - agreed > 1) {
    const mid = Math.floor((agreed + differs) / 2);
    if (same(mid)) agreed = mid;
    else differs = mid;
  }
  const problems: string[] = [];
  if (differs <= storeLast) {
    problems.push(
      `from link ${differs} on, the record is not the one ${backupFile} holds: there, link ${differs} is ` +
        `${describedAt(backup, differs)}; here it is ${describedAt(store, differs)}`,
    );
  }
  if (storeLast < head.seq) {
    const lost = head.seq - storeLast;
    problems.push(
      `the record ends at link ${storeLast}, but ${backupFile} holds ${head.seq}: the last ${lost} ` +
        `(${namedFrom(backup, storeLast + 1, head.seq)}) were deleted, or this store was restored ` +
        'from an older backup or started anew',
    );
  }
  return { kind: 'differs', problems, agreed };
}

function hasTable(db: Database.Database, name: string): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !==
    undefined
  );
}

function lastLink(db: Database.Database): Link | undefined {
  return db
    .prepare<[], Link>('SELECT seq, kind, ref, hash FROM chain ORDER BY seq DESC LIMIT 1')
    .get();
}

function linkAt(db: Database.Database, seq: number): Link | undefined {
  return db
    .prepare<[number], Link>('SELECT seq, kind, ref, hash FROM chain WHERE seq = ?')
    .get(seq);
}

/** The records of links `from` to `to` in `db`, the first few named, the rest counted. */
function namedFrom(db: Database.Database, from: number, to: number): string {
  const named: string[] = [];
  for (let seq = from; seq <= Math.min(to, from + NAMED - 1); seq += 1)
    named.push(describedAt(db, seq));
  const rest = to - from + 1 - named.length;
  return rest > 0 ? `${named.join(', ')} and ${rest} more` : named.join(', ');
}

/** Link `seq`'s record in words, as `verify` names it: `tap 42 (2026-…Z, card 04A1B2C3)`. */
function describedAt(db: Database.Database, seq: number): string {
  const link = linkAt(db, seq);
  if (link === undefined) return `no link ${seq}`;
  const table = link.kind === 'tap' ? 'taps' : 'corrections';
  const row = db
    .prepare<[number], unknown[]>(
      `SELECT ${CHAINED_COLUMNS[link.kind].join(', ')} FROM ${table} WHERE id = ?`,
    )
    .raw()
    .get(link.ref);
  if (row === undefined) return `${link.kind} ${link.ref} (its row is gone)`;
  const at = typeof row[1] === 'number' ? new Date(row[1]).toISOString() : String(row[1]);
  return link.kind === 'tap'
    ? `tap ${String(row[0])} (${at}, card ${String(row[2])})`
    : `correction ${String(row[0])} (${at}, session ${String(row[2])}, card ${String(row[3])})`;
}
