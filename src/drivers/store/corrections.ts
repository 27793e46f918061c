/**
 * The store's side of a manager's corrections (rule 13): the queue of `fix`
 * requests, what a judgement needs to know (the session as it stands and the
 * person's sessions around it), and writing a judged correction — its
 * records beside the raw taps, and the session's corrected times beside the
 * clock's — in the step's transaction.
 */
import {
  CORRECTION_REACH_MS,
  type CorrectableSession,
  type FieldChange,
} from '../../../streams/corrections';
import type { Corrected } from '../../../streams/events';
import { toSession, type RawSession } from './sessionRows';
import { noteCorrection } from './sharedCorrections';
import type { Statements } from './statements';

/** A `fix` request as the queue keeps it. */
export interface FixRequest {
  readonly id: number;
  readonly at: number;
  readonly session: string;
  readonly inAt: number | null;
  readonly outAt: number | null;
  readonly void: boolean;
  readonly why: string;
}

/** Queues a `fix` request; returns its id. */
export function addFixRequest(sql: Statements, request: Omit<FixRequest, 'id'>): number {
  return Number(
    sql
      .stmt(
        'INSERT INTO fix_requests (at, session, in_at, out_at, void, why) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        request.at,
        request.session,
        request.inAt,
        request.outAt,
        request.void ? 1 : 0,
        request.why,
      ).lastInsertRowid,
  );
}

/** The requests not judged yet, oldest first. */
export function pendingFixes(sql: Statements): FixRequest[] {
  return sql
    .stmt<
      [],
      {
        id: number;
        at: number;
        session: string;
        in_at: number | null;
        out_at: number | null;
        void: number;
        why: string;
      }
    >('SELECT * FROM fix_requests WHERE done_at IS NULL ORDER BY id')
    .all()
    .map((row) => ({
      id: row.id,
      at: row.at,
      session: row.session,
      inAt: row.in_at,
      outAt: row.out_at,
      void: row.void === 1,
      why: row.why,
    }));
}

/** How a request was judged, once it was: the corrections rows that answer it. */
export function fixOutcome(
  sql: Statements,
  request: number,
): { readonly applied: boolean; readonly reason: string | null } | null {
  const row = sql
    .stmt<[number], { applied: number; reason: string | null }>(
      'SELECT applied, reason FROM corrections WHERE request = ? ORDER BY id LIMIT 1',
    )
    .get(request);
  return row === undefined ? null : { applied: row.applied === 1, reason: row.reason };
}

/** A session as the store hands it out, with the clock's own times beside the corrected ones. */
function correctable(row: RawSession): CorrectableSession {
  const { id, card, name, inAt, outAt, status } = toSession(row);
  return {
    ...{ id, card, name, inAt, outAt, status },
    voided: row.voided === 1,
    clockInAt: row.in_at,
    clockOutAt: row.out_at,
    ...(row.clock === 'unsynced' && row.fixed_in === null ? { inUnsynced: true } : {}),
  };
}

/**
 * What judging a correction of `session` needs: the session as it stands,
 * and the same person's other sessions that could overlap it anywhere a
 * correction may move it.
 */
export function correctionContext(
  sql: Statements,
  session: string,
): { readonly session?: CorrectableSession; readonly others: CorrectableSession[] } {
  const row = sql.stmt<[string], RawSession>('SELECT * FROM sessions WHERE id = ?').get(session);
  if (row === undefined) return { others: [] };
  const reach = 2 * CORRECTION_REACH_MS;
  const others = sql
    .stmt<[string, number, number, string], RawSession>(
      'SELECT * FROM sessions WHERE card = ? AND in_at BETWEEN ? AND ? AND id <> ?',
    )
    .all(row.card, row.in_at - reach, (row.out_at ?? row.in_at) + reach, row.id)
    .map(correctable);
  return { session: correctable(row), others };
}

const asText = (value: FieldChange['old']): string | null =>
  typeof value === 'number' ? new Date(value).toISOString() : value;

/**
 * Writes a judged correction in the step's transaction: a record per field
 * (or one, for a correction that named nothing it could change), the request
 * answered, and, when it applied, the session's corrected times or void. A
 * correction that closes an open session closes its row too (`out`, or void).
 * Returns the ids of the records written, for the hash chain.
 */
export function writeCorrection(sql: Statements, event: Corrected): number[] {
  const insert = sql.stmt(
    `INSERT INTO corrections (seen_at, session, card, field, old, new, applied, reason, source, why, request)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const changes: readonly (FieldChange | null)[] =
    event.changes.length > 0 ? event.changes : [null];
  const ids = changes.map((change) =>
    Number(
      insert.run(
        event.at,
        event.session,
        event.card,
        change?.field ?? 'status',
        asText(change?.old ?? null),
        asText(change?.new ?? null),
        event.applied ? 1 : 0,
        event.reason ?? null,
        event.source,
        event.why,
        event.request ?? null,
      ).lastInsertRowid,
    ),
  );
  // Kept to share with the doors (the hub publishes it), or, received from the hub, marked.
  noteCorrection(sql, event, ids[0] ?? 0);
  if (event.request !== undefined) {
    sql.stmt('UPDATE fix_requests SET done_at = ? WHERE id = ?').run(event.at, event.request);
  }
  if (event.applied) applyToSession(sql, event);
  return ids;
}

/** `c`, a correction, closed its session while the clock had it open (an Out given, or a void). */
export const CLOSES_OPEN = `c.applied = 1
  AND ((c.field = 'out' AND c.old IS NULL) OR (c.field = 'status' AND c.old = 'in' AND c.new = 'void'))`;

/**
 * When a manager's correction closed the session (`sessions` in the query) while it was open,
 * and its close is still theirs: the time of that correction, else NULL. Still theirs when no
 * refold has written it since, or the last that did left it as they closed it (`closedByFix`;
 * not one a tap closed, nor one superseded); "since": read with the correction in its history
 * (`corrections_seen`), not by the clocks, as a door's refold runs on its own and a shared
 * correction carries the hub's. Its `out_at` and `status` are then the
 * correction's close, not the clock's (applyToSession): for the merged log it is open until
 * that time, and a refold folds it from its clock-in (refoldHistory.ts).
 */
export const CLOSED_BY_FIX = `(SELECT max(c.seen_at) FROM corrections c
  WHERE c.session = sessions.id AND ${CLOSES_OPEN}
    AND NOT EXISTS (SELECT 1 FROM (SELECT m.after FROM merge_changes m
        WHERE m.session = sessions.id AND m.corrections_seen >= c.id ORDER BY m.id DESC LIMIT 1) AS latest
      WHERE latest.after IS NULL OR json_extract(latest.after, '$.closedByFix') IS NOT 1))`;

function applyToSession(sql: Statements, event: Corrected): void {
  const fields = new Set(event.changes.map((c) => c.field));
  if (event.closes) {
    // The clock never closed it: the correction is its close (at the Out given, or, void, now).
    const outAt = event.outAt ?? Math.max(event.at, event.inAt);
    sql
      .stmt("UPDATE sessions SET out_at = ?, status = 'out' WHERE id = ? AND status = 'in'")
      .run(outAt, event.session);
  }
  sql
    .stmt(
      `UPDATE sessions SET fixed_in = coalesce(?, fixed_in), fixed_out = coalesce(?, fixed_out),
         voided = max(voided, ?) WHERE id = ?`,
    )
    .run(
      fields.has('in') ? event.inAt : null,
      fields.has('out') ? event.outAt : null,
      event.voided ? 1 : 0,
      event.session,
    );
}

/** One correction as `report --edits` lists it. */
export interface EditRow {
  readonly seenAt: number;
  readonly session: string;
  readonly card: string;
  readonly name: string | null;
  readonly field: 'in' | 'out' | 'status';
  /** ISO-8601 instants for times; a status or the text typed otherwise. */
  readonly old: string | null;
  readonly new: string | null;
  readonly applied: boolean;
  readonly reason: string | null;
  readonly source: 'sheet' | 'fix';
  readonly why: string | null;
}

/** The corrections seen in [from, to), oldest first, with the session's name. */
export function editsBetween(sql: Statements, from: number, to: number): EditRow[] {
  return sql
    .stmt<
      [number, number],
      Omit<EditRow, 'seenAt' | 'applied'> & { seen_at: number; applied: number }
    >(
      `SELECT c.seen_at, c.session, c.card, s.name, c.field, c.old, c.new, c.applied, c.reason, c.source, c.why
         FROM corrections c LEFT JOIN sessions s ON s.id = c.session
        WHERE c.seen_at >= ? AND c.seen_at < ? ORDER BY c.id`,
    )
    .all(from, to)
    .map(({ seen_at, applied, ...row }) => ({ ...row, seenAt: seen_at, applied: applied === 1 }));
}
