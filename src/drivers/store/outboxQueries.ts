/**
 * The outbox as the sheet's side of the clock reads and tidies it: pending
 * entries and their count, entries set aside, marking entries done, and
 * pruning what the sheet confirmed long ago.
 */
import type { OutboxEntry } from '../../../streams/commit';
import type { Statements } from './statements';
import { explain } from './storeError';

/**
 * How long an outbox entry the sheet confirmed is kept after it was done. Within
 * it, the same key is never stored or sent again (the outbox's INSERT OR IGNORE)
 * and a person can still see what went to the sheet lately; after it, the row is
 * pruned (`Store.prune`). Entries set aside, and those that list a card, are kept
 * for good.
 */
export const OUTBOX_RETENTION_MS = 7 * 86_400_000;

export interface PendingEntry {
  readonly seq: number;
  readonly createdAt: number;
  readonly entry: OutboxEntry;
}

/** Pending outbox entries, oldest first. */
export function pendingEntries(sql: Statements, limit: number): PendingEntry[] {
  return sql
    .stmt<[number], { seq: number; created_at: number; payload: string }>(
      'SELECT seq, created_at, payload FROM outbox WHERE done_at IS NULL ORDER BY seq LIMIT ?',
    )
    .all(limit)
    .map((row) => ({
      seq: row.seq,
      createdAt: row.created_at,
      entry: JSON.parse(row.payload) as OutboxEntry,
    }));
}

/** How many outbox entries are pending. */
export function pendingCount(sql: Statements): number {
  return Number(sql.db.prepare('SELECT count(*) FROM outbox WHERE done_at IS NULL').pluck().get());
}

/** How many outbox entries the sheet refused for good and were set aside. */
export function setAsideCount(sql: Statements): number {
  return Number(
    sql.db.prepare('SELECT count(*) FROM outbox WHERE failure IS NOT NULL').pluck().get(),
  );
}

/**
 * Marks the pending entries among `keys` done at `at` (set aside when a
 * `failure` is given), in the caller's transaction; returns how many were pending.
 */
export function markKeysDone(
  sql: Statements,
  keys: readonly string[],
  at: number,
  failure: string | undefined,
): number {
  const update = sql.stmt(
    'UPDATE outbox SET done_at = ?, failure = ? WHERE key = ? AND done_at IS NULL',
  );
  let changed = 0;
  for (const key of keys) changed += update.run(at, failure ?? null, key).changes;
  return changed;
}

/**
 * Deletes at most `limit` entries the sheet confirmed more than
 * OUTBOX_RETENTION_MS before both `now` and the last confirmation, oldest
 * first; returns how many (see `Store.prune`, which says what is never deleted).
 * A failed delete is a StoreError naming `file`.
 */
export function pruneOutbox(sql: Statements, file: string, now: number, limit: number): number {
  // The outbox drains in order: the last confirmed entry is the last done one by seq,
  // found from the end of the table past the pending ones, not by a scan of all of it.
  const last = sql
    .stmt<[], { at: number }>(
      'SELECT done_at AS at FROM outbox WHERE done_at IS NOT NULL AND failure IS NULL ORDER BY seq DESC LIMIT 1',
    )
    .get();
  if (last === undefined) return 0;
  try {
    return sql
      .stmt<[number, number]>(
        `DELETE FROM outbox WHERE seq IN (
           SELECT seq FROM outbox
           WHERE done_at < ? AND failure IS NULL AND kind <> 'card-listed'
           ORDER BY seq LIMIT ?)`,
      )
      .run(Math.min(now, last.at) - OUTBOX_RETENTION_MS, limit).changes;
  } catch (error) {
    throw explain(error, file);
  }
}
