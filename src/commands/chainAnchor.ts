/**
 * The record against a backup of it (rule 13). The hash chain only grows: no tap or
 * correction is ever removed, so every link a backup holds must be in the store, the same.
 * `verify` alone cannot see the newest taps deleted together with their links (what is left
 * is a whole chain, only shorter), nor a chain rewritten to match an edit; an earlier backup
 * shows both, and names the records, since it still holds them.
 */
import { readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CHAINED_COLUMNS, type ChainKind } from '../drivers/store/chain';

/** What a backup says of the store. */
export type AnchorVerdict =
  /** Every link the backup holds is in the store, the same (`links` of them). */
  | { readonly kind: 'extends'; readonly links: number }
  /** The backup holds no chain (made before schema 6, or empty): nothing to compare. */
  | { readonly kind: 'unchained' }
  /** The store lost links the backup holds, or has others in their place. */
  | { readonly kind: 'differs'; readonly problems: readonly string[] };

/** Records named in a problem before the rest are only counted. */
const NAMED = 5;

interface Link {
  readonly seq: number;
  readonly kind: ChainKind;
  readonly ref: number;
  readonly hash: string;
}

/**
 * Compares the chain of the store in `storeFile` (opened read-only) with that of the backup in
 * `backupFile`. Only the link at the backup's head is compared, and the first that differs
 * sought by halving: that proves the backup's whole chain only where the store's own chain is
 * whole, so run it beside `verify` (Store.verify), never instead. Throws an Error naming the
 * file that is not a database.
 */
export function checkAgainst(storeFile: string, backupFile: string): AnchorVerdict {
  const backup = backupRead(backupFile);
  try {
    const store = opened(
      storeFile,
      () => new Database(storeFile, { readonly: true, fileMustExist: true }),
    );
    try {
      return compared(store, backup, backupFile);
    } finally {
      store.close();
    }
  } finally {
    backup.close();
  }
}

/** SQLite's header bytes 18 and 19: the file's journal mode, 2 for WAL. */
const WAL_MODE = 2;

/**
 * The backup, read whole into memory. Opened where it lies, a WAL-mode file (as every backup
 * of the store is) needs its `-wal` and `-shm` made beside it even to be read: it could not be
 * read from a folder this user cannot write, and would leave them there. In memory it is
 * marked as a rollback-journal file, which the copy alone then is. A backup with a write-ahead
 * log beside it that holds pages (opened and written since) is read where it lies, log and all.
 */
function backupRead(file: string): Database.Database {
  if ((sizeOrNull(`${file}-wal`) ?? 0) > 0)
    return opened(file, () => new Database(file, { readonly: true, fileMustExist: true }));
  return opened(file, () => {
    const bytes = readFileSync(file);
    if (bytes.length > 19 && bytes[18] === WAL_MODE && bytes[19] === WAL_MODE) {
      bytes[18] = 1;
      bytes[19] = 1;
    }
    return new Database(bytes, { readonly: true });
  });
}

/** The database `open` gives, its header read (garbage throws here), or an Error naming `file`. */
function opened(file: string, open: () => Database.Database): Database.Database {
  try {
    const db = open();
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

function sizeOrNull(file: string): number | null {
  try {
    return statSync(file).size;
  } catch {
    return null;
  }
}

function compared(
  store: Database.Database,
  backup: Database.Database,
  backupFile: string,
): AnchorVerdict {
  const head = hasChain(backup) ? lastLink(backup) : undefined;
  if (head === undefined) return { kind: 'unchained' };
  const storeLast = hasChain(store) ? (lastLink(store)?.seq ?? 0) : 0;
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
  return { kind: 'differs', problems };
}

function hasChain(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'chain'").get() !==
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
