/**
 * The store's side of reading corrections back from the sheet (rule 13):
 * the sessions whose `Log` rows the clock watches, a slice at a time, each as
 * its row should show it, with the values of the sheet edits already judged
 * (streams/sheetEdits.ts). Sessions with outbox entries the sheet has not
 * taken (pending, or set aside) are left out: their row shows an older state,
 * which is no edit. Each query goes by an index, so a minute's slice costs
 * the slice, not the store.
 */
import type { EditField, WatchedRow } from '../../../streams/sheetEdits';
import { shownStatus, type RawSession } from './sessionRows';
import type { Statements } from './statements';

/** How many sessions clocked in at or after `from`: the watch's round. */
export function watchCount(sql: Statements, from: number): number {
  return (
    sql
      .stmt<[number], { n: number }>('SELECT count(*) AS n FROM sessions WHERE in_at >= ?')
      .get(from)?.n ?? 0
  );
}

/** Where a round of the watch is: after this session (its clock-in, and its row id). */
export interface WatchCursor {
  readonly inAt: number;
  readonly rowid: number;
}

/**
 * The sessions clocked in at or after `from`, oldest first, `limit` of them after `after` (from
 * the first when null), as their rows should show them, those the sheet is behind on left out;
 * and where the next slice starts (null: the round is over). By the clock-in index, so a slice
 * costs the slice.
 */
export function watchedRows(
  sql: Statements,
  from: number,
  after: WatchCursor | null,
  limit: number,
): { readonly rows: WatchedRow[]; readonly next: WatchCursor | null } {
  // Only the columns a watched row needs, as arrays: building whole rows, then objects of the
  // columns, was most of the cost (a quarter of the simulation's CPU, where this runs every minute).
  const rows = sql
    .stmt<[number, number, number, number], unknown[]>(
      `SELECT rowid AS rid, id, in_at, out_at, fixed_in, fixed_out, status, voided FROM sessions
       WHERE in_at >= ? AND (in_at, rowid) > (?, ?) ORDER BY in_at, rowid LIMIT ?`,
    )
    .raw()
    // The index's range starts at the cursor (the row value alone would not narrow it).
    .all(Math.max(from, after?.inAt ?? from), after?.inAt ?? -Infinity, after?.rowid ?? 0, limit)
    .map(watchedColumns);
  const last = rows.at(-1);
  const next =
    last === undefined || rows.length < limit ? null : { inAt: last.in_at, rowid: last.rid };
  return { rows: judgedOf(sql, rows), next };
}

/** What a watched row is made of. */
type WatchedColumns = Pick<
  RawSession,
  'id' | 'in_at' | 'out_at' | 'fixed_in' | 'fixed_out' | 'status' | 'voided'
> & { rid: number };

/** A raw row of the watch's query, by position (the query's column order). */
function watchedColumns(row: unknown): WatchedColumns {
  const [rid, id, in_at, out_at, fixed_in, fixed_out, status, voided] = row as [
    number,
    string,
    number,
    number | null,
    number | null,
    number | null,
    RawSession['status'],
    number,
  ];
  return { rid, id, in_at, out_at, fixed_in, fixed_out, status, voided };
}

/** The rows as their sessions should show them, with the sheet edits judged of each. */
function judgedOf(sql: Statements, rows: readonly WatchedColumns[]): WatchedRow[] {
  if (rows.length === 0) return [];
  const behind = behindSessions(sql);
  const watched = rows.filter((row) => !behind.has(row.id));
  // Per field, a value typed in the sheet and rejected, while it is the field's last correction
  // (one applied shows in the row; a later one, from anywhere, is judged on its own). One query,
  // by the corrections' session index.
  const seen = new Map<string, Partial<Record<EditField, string | null>>>();
  const judged = sql
    .stmt<
      [string],
      { session: string; field: EditField; new: string | null; applied: number; source: string }
    >(
      `SELECT session, field, new, applied, source FROM corrections
       WHERE session IN (SELECT value FROM json_each(?)) ORDER BY id`,
    )
    .all(JSON.stringify(watched.map((row) => row.id)));
  for (const { session, field, new: value, applied, source } of judged) {
    const rejectedHere = source === 'sheet' && applied === 0;
    seen.set(session, { ...seen.get(session), [field]: rejectedHere ? value : undefined });
  }
  // Corrections applied, as toSession (sessionRows.ts) gives every reader of the store.
  return watched.map((row) => ({
    session: row.id,
    inAt: row.fixed_in ?? row.in_at,
    outAt: row.fixed_out ?? row.out_at,
    status: shownStatus(row),
    voided: row.voided === 1,
    seen: seen.get(row.id) ?? {},
  }));
}

/** Sessions with outbox entries pending or set aside (both found by partial indexes). */
function behindSessions(sql: Statements): Set<string> {
  const sessions = sql
    .stmt<[], { session: unknown }>(
      `SELECT json_extract(payload, '$.session') AS session FROM outbox WHERE done_at IS NULL
       UNION SELECT json_extract(payload, '$.session') FROM outbox WHERE failure IS NOT NULL`,
    )
    .all();
  return new Set(sessions.flatMap(({ session }) => (typeof session === 'string' ? [session] : [])));
}
