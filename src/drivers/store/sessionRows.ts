/**
 * Sessions as the reports read them: the row type the store hands out, how a
 * database row becomes one, and the two queries reports and checks use.
 */
import { CORRECTION_REACH_MS } from '../../../streams/corrections';
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
  /** A manager voided it (rule 13): kept in the record, out of every total. */
  readonly voided?: true;
  /** Its clock-in was taken on an unsynchronised clock, not corrected yet: no cut-off applies. */
  readonly unsynced?: true;
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
  fixed_in: number | null;
  fixed_out: number | null;
  voided: number;
}

/**
 * A session's status, corrections applied: an `auto` session whose Out a manager corrected is
 * `out` (they decided when it ended); the row keeps the clock's own beside it.
 */
export const shownStatus = (row: Pick<RawSession, 'status' | 'fixed_out'>): RawSession['status'] =>
  row.status === 'auto' && row.fixed_out !== null ? 'out' : row.status;

/**
 * A database row as the store hands it out (without the clock's own
 * bookkeeping): with a manager's corrections applied, as every total,
 * report and export must count it (rule 13); the clock's own times stay in
 * the row and in the taps.
 */
export const toSession = (row: RawSession): SessionRow => ({
  id: row.id,
  card: row.card,
  name: row.name,
  inAt: row.fixed_in ?? row.in_at,
  outAt: row.fixed_out ?? row.out_at,
  status: shownStatus(row),
  reason: row.reason,
  reader: row.reader,
  ...(row.voided === 1 ? { voided: true } : {}),
  ...(row.clock === 'unsynced' && row.fixed_in === null ? { unsynced: true } : {}),
});

/**
 * Sessions that overlap [from, to), corrections applied, oldest first. Found
 * by the clock's times (indexed), within the reach a correction may move them.
 */
export function sessionsBetween(sql: Statements, from: number, to: number): SessionRow[] {
  return sql
    .stmt<[number, number], RawSession>(
      'SELECT * FROM sessions WHERE in_at < ? AND (out_at IS NULL OR out_at > ?) ORDER BY in_at, card',
    )
    .all(to + CORRECTION_REACH_MS, from - CORRECTION_REACH_MS)
    .map(toSession)
    .filter((s) => s.inAt < to && (s.outAt === null || s.outAt > from))
    .sort((a, b) => a.inAt - b.inAt || a.card.localeCompare(b.card));
}

/** Every session of the store, oldest first. */
export function allSessions(sql: Statements): SessionRow[] {
  return sql
    .stmt<[], RawSession>('SELECT * FROM sessions ORDER BY in_at, card')
    .all()
    .map(toSession);
}

/** The open sessions, oldest first (by the partial index of open sessions). */
export function openSessions(sql: Statements): SessionRow[] {
  return sql
    .stmt<[], RawSession>("SELECT * FROM sessions WHERE status = 'in' ORDER BY in_at")
    .all()
    .map(toSession);
}
