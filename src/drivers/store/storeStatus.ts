/**
 * What `status` and the checks read from the store: open sessions, the
 * outbox's depth and age, the last tap and sync, entries set aside, the
 * file's size, and plain row counts.
 */
import { existsSync, statSync } from 'node:fs';
import type { OutboxEntry } from '../../../streams/commit';
import { openSessions, type SessionRow } from './sessionRows';
import type { Statements } from './statements';

export interface StoreStatus {
  readonly open: readonly SessionRow[];
  readonly outboxDepth: number;
  readonly oldestPendingAt: number | null;
  readonly lastTap: { readonly at: number; readonly card: string; readonly outcome: string } | null;
  /** When the sheet last confirmed an outbox entry. */
  readonly lastSyncAt: number | null;
  /** Entries the sheet refused for good, set aside so the rest flows: the 20 most recent. */
  readonly setAside: readonly SetAsideEntry[];
  readonly setAsideCount: number;
  readonly bytes: number;
}

export interface SetAsideEntry {
  readonly key: string;
  readonly kind: OutboxEntry['kind'];
  readonly failure: string;
  readonly createdAt: number;
}

/** The store's status; `file` is the database, whose size (with its log) is reported. */
export function readStatus(sql: Statements, file: string): StoreStatus {
  const pending = sql
    .stmt<[], { depth: number; oldest: number | null }>(
      'SELECT count(*) AS depth, min(created_at) AS oldest FROM outbox WHERE done_at IS NULL',
    )
    .get();
  const lastTap = sql
    .stmt<[], { at: number; card: string; outcome: string }>(
      'SELECT at, card, outcome FROM taps ORDER BY id DESC LIMIT 1',
    )
    .get();
  const setAside = sql
    .stmt<[], { key: string; kind: OutboxEntry['kind']; failure: string; created_at: number }>(
      'SELECT key, kind, failure, created_at FROM outbox WHERE failure IS NOT NULL ORDER BY done_at DESC, seq DESC LIMIT 20',
    )
    .all();
  const size = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
  const one = (query: string): number => Number(sql.db.prepare(query).pluck().get());
  return {
    open: openSessions(sql),
    outboxDepth: pending?.depth ?? 0,
    oldestPendingAt: pending?.oldest ?? null,
    lastTap: lastTap ?? null,
    // An entry set aside was not taken by the sheet: it is no sync.
    lastSyncAt: one('SELECT max(done_at) FROM outbox WHERE failure IS NULL') || null,
    setAside: setAside.map((row) => ({
      key: row.key,
      kind: row.kind,
      failure: row.failure,
      createdAt: row.created_at,
    })),
    setAsideCount: one('SELECT count(*) FROM outbox WHERE failure IS NOT NULL'),
    bytes: size(file) + size(`${file}-wal`),
  };
}

/** Counts for checks and tests. */
export function storeCounts(sql: Statements): { taps: number; sessions: number; outbox: number } {
  const one = (query: string): number => Number(sql.db.prepare(query).pluck().get());
  return {
    taps: one('SELECT count(*) FROM taps'),
    sessions: one('SELECT count(*) FROM sessions'),
    outbox: one('SELECT count(*) FROM outbox'),
  };
}
