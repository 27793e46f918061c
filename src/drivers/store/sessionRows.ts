/**
 * Sessions as the reports read them: the row type the store hands out, how a
 * database row becomes one, and the two queries reports and checks use.
 */
import type { Statements } from './statements';

export interface SessionRow {
  readonly id: string;
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto';
  readonly reason: string | null;
  readonly reader: string;
}

/** A row of the sessions table, as SQLite returns it. */
export interface RawSession {
  id: string;
  card: string;
  name: string | null;
  in_at: number;
  out_at: number | null;
  status: 'in' | 'out' | 'auto';
  reason: string | null;
  reader: string;
  clock: 'unsynced' | 'corrected' | null;
  in_mono: number | null;
  out_mono: number | null;
  boot: string | null;
}

/** A database row as the store hands it out (without the clock's own bookkeeping). */
export const toSession = (row: RawSession): SessionRow => ({
  id: row.id,
  card: row.card,
  name: row.name,
  inAt: row.in_at,
  outAt: row.out_at,
  status: row.status,
  reason: row.reason,
  reader: row.reader,
});

/** Sessions that overlap [from, to), oldest first. */
export function sessionsBetween(sql: Statements, from: number, to: number): SessionRow[] {
  return sql
    .stmt<[number, number], RawSession>(
      'SELECT * FROM sessions WHERE in_at < ? AND (out_at IS NULL OR out_at > ?) ORDER BY in_at, card',
    )
    .all(to, from)
    .map(toSession);
}

/** Every session of the store, oldest first. */
export function allSessions(sql: Statements): SessionRow[] {
  return sql
    .stmt<[], RawSession>('SELECT * FROM sessions ORDER BY in_at, card')
    .all()
    .map(toSession);
}
