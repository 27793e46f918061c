/**
 * The store's side of a refold (streams/refold.ts): a person's history from
 * before another door's late tap, read when the core asks; and what the refold
 * changed, written in the step's transaction.
 */
import type { CardMemory } from '../../../streams/sessionState';
import type { HistoryTap, RefoldHistory, Refolded, RefoldedSession } from '../../../streams/events';
import { CLOSED_BY_FIX, CLOSES_OPEN } from './corrections';
import { acceptedAfterRefold } from './accepted';
import { refoldCommitted } from './sharedCorrections';
import { markFolded } from './mqttQueries';
import type { RawSession } from './sessionRows';
import type { Statements } from './statements';

/** How far back the guard and the day's and week's totals look before the refold's start. */
const RECENT_MS = 8 * 24 * 3_600_000;

/**
 * A manager voided the session (an applied correction to `void`): its `voided` is theirs, not a
 * refold's that superseded it, and no refold undoes it.
 */
const VOIDED_BY_MANAGER = `EXISTS (SELECT 1 FROM corrections c WHERE c.session = sessions.id
  AND c.field = 'status' AND c.new = 'void' AND c.applied = 1)`;

/** A person's sessions and taps by any of their raw ids: binds a JSON list of them. */
const PERSON = 'card IN (SELECT value FROM json_each(?))';

/** A session row as the refold reads it. */
type SessionRow = Pick<
  RawSession,
  'id' | 'card' | 'name' | 'in_at' | 'out_at' | 'status' | 'reader'
> & {
  reason: 'limit' | 'cutoff' | null;
  out_reader: string | null;
};

const sessionOf = (r: SessionRow): RefoldedSession => ({
  id: r.id,
  card: r.card,
  name: r.name,
  inAt: r.in_at,
  outAt: r.out_at,
  status: r.status,
  reason: r.reason,
  reader: r.reader,
  outReader: r.out_reader,
});

/**
 * `card`'s history for a refold after a late tap at `lateAt` (their sessions and taps under any
 * of `ids`, their raw ids: card and aliases): from the clock-in of the first
 * session still open or closed after it (or the tap itself), their taps and sessions since,
 * what came before (the guard's last tap, recent spans), and their late taps waiting in the inbox.
 */
export function readRefoldHistory(
  sql: Statements,
  card: string,
  lateAt: number,
  door: string,
  now: number,
  ids?: readonly string[],
): RefoldHistory {
  // Their sessions and taps are kept under any of their raw ids (PERSON binds them); without
  // People's (a refold a restart interrupted, run before People is loaded), those their
  // sessions since the late tap were clocked with.
  const person = JSON.stringify([...new Set([card, ...(ids ?? rawIdsOf(sql, card, lateAt))])]);
  // A session a manager closed while open is open, for the merged log, until they did.
  const first = sql
    .stmt<[string, number, number], { at: number | null }>(
      `SELECT min(in_at) AS at FROM sessions WHERE ${PERSON} AND superseded_at IS NULL
         AND (out_at IS NULL OR out_at >= ? OR ${CLOSED_BY_FIX} >= ?)`,
    )
    .get(person, lateAt, lateAt)?.at;
  const from = Math.min(lateAt, first ?? lateAt);
  const { stored, supersededIds, fixed, fixClosed } = personSessions(sql, person, from);
  const own = ownTaps(sql, person, from, door);
  const late = sql
    .stmt<[string], { id: string; at: number; card: string; reader: string }>(
      'SELECT id, at, card, reader FROM mqtt_inbox WHERE person = ? AND late_at IS NOT NULL AND folded_at IS NULL ORDER BY at, id',
    )
    .all(card)
    .map((t): HistoryTap => ({ ...t, late: true }));
  const openId =
    sql
      .stmt<[string], { id: string }>(
        "SELECT id FROM sessions WHERE card = ? AND status = 'in' AND superseded_at IS NULL",
      )
      .get(card)?.id ?? null;
  return {
    type: 'refoldHistory',
    at: now,
    card,
    ids: JSON.parse(person) as string[],
    from,
    before: memoryBefore(sql, person, from),
    taps: [...own, ...late],
    stored,
    supersededIds,
    openId,
    fixed,
    ...(fixClosed.length === 0 ? {} : { fixClosed }),
    corrections: lastCorrection(sql),
  };
}

/** The id of the last correction stored (0 for none): what a history read now has seen. */
function lastCorrection(sql: Statements): number {
  return (
    sql.stmt<[], { id: number }>('SELECT coalesce(max(id), 0) AS id FROM corrections').get()?.id ??
    0
  );
}

/**
 * The person's sessions clocked in at or after `from`: those standing, as the store has them;
 * the ids of those an earlier refold superseded; what a manager corrected of any of them
 * (`fixed`); and those a manager's correction closed while open (`fixClosed`).
 */
function personSessions(
  sql: Statements,
  person: string,
  from: number,
): Pick<RefoldHistory, 'stored' | 'supersededIds' | 'fixed'> & {
  fixClosed: { id: string; at: number; outAt: number }[];
} {
  const rows = sql
    .stmt<
      [string, number],
      SessionRow & {
        superseded: number;
        fixed_in: number | null;
        fixed_out: number | null;
        manager_voided: number;
      }
    >(
      `SELECT id, card, name, in_at, out_at, status, reason, reader, out_reader,
         superseded_at IS NOT NULL AS superseded, fixed_in, fixed_out,
         ${VOIDED_BY_MANAGER} AS manager_voided
       FROM sessions WHERE ${PERSON} AND in_at >= ? ORDER BY in_at`,
    )
    .all(person, from);
  return {
    stored: rows.filter((r) => r.superseded === 0).map(sessionOf),
    supersededIds: rows.filter((r) => r.superseded === 1).map((r) => r.id),
    fixed: rows
      .filter((r) => r.fixed_in !== null || r.fixed_out !== null || r.manager_voided === 1)
      .map((r) => ({
        id: r.id,
        ...(r.fixed_in === null ? {} : { inAt: r.fixed_in }),
        ...(r.fixed_out === null ? {} : { outAt: r.fixed_out }),
        ...(r.manager_voided === 1 ? { voided: true as const } : {}),
      })),
    fixClosed: closedWhileOpen(sql, person, from),
  };
}

/**
 * The person's sessions clocked in at or after `from`, stored or superseded, a manager's
 * correction closed while open: each with that correction's time (the latest, as
 * CLOSED_BY_FIX) and the Out the store gave it then (applyToSession: the Out typed; a void's,
 * its time, never before the In). Whatever refolds did since: the close is the merged log's.
 */
function closedWhileOpen(
  sql: Statements,
  person: string,
  from: number,
): { id: string; at: number; outAt: number }[] {
  const rows = sql
    .stmt<
      [string, number],
      { id: string; at: number; field: string; new: string | null; void_out: number }
    >(
      `SELECT sessions.id, c.seen_at AS at, c.field, c.new,
         max(c.seen_at, coalesce(sessions.fixed_in, sessions.in_at)) AS void_out
       FROM sessions JOIN corrections c ON c.session = sessions.id
       WHERE sessions.${PERSON} AND sessions.in_at >= ? AND ${CLOSES_OPEN}
       ORDER BY c.seen_at, c.id`,
    )
    .all(person, from);
  const latest = new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, at: r.at, outAt: r.field === 'out' ? Date.parse(r.new ?? '') : r.void_out },
    ]),
  );
  return [...latest.values()];
}

/**
 * The person's taps since `from`, under any of their raw ids (a badge made their alias while
 * its session was open: the session followed them, its taps keep the badge's id). By the
 * `taps_card` index: each id's taps since the instant.
 */
function ownTaps(sql: Statements, person: string, from: number, door: string): HistoryTap[] {
  return sql
    .stmt<
      [string, number],
      {
        id: number;
        at: number;
        card: string;
        reader: string;
        origin: string | null;
        outcome: string;
      }
    >(
      `SELECT id, at, card, reader, origin, outcome FROM taps WHERE ${PERSON} AND at >= ?
       ORDER BY at, id`,
    )
    .all(person, from)
    .map((t): HistoryTap => ({
      id: t.origin ?? `${door}:${t.id}`,
      at: t.at,
      card: t.card,
      reader: t.reader,
      outcome: t.outcome,
    }));
}

/**
 * The raw ids `card`'s sessions open or closed after `lateAt` were clocked with (a badge made
 * their alias while its session was open keeps its id on its taps): by the time index, from the
 * first such session's clock-in.
 */
function rawIdsOf(sql: Statements, card: string, lateAt: number): string[] {
  const first = sql
    .stmt<[string, number], { at: number | null }>(
      `SELECT min(in_at) AS at FROM sessions WHERE card = ? AND superseded_at IS NULL
         AND (out_at IS NULL OR out_at >= ?)`,
    )
    .get(card, lateAt)?.at;
  if (first === null || first === undefined) return [];
  return sql
    .stmt<[number, string, number], { card: string }>(
      `SELECT DISTINCT card FROM taps INDEXED BY taps_at WHERE at >= ?
         AND session IN (SELECT id FROM sessions WHERE card = ? AND in_at >= ?)`,
    )
    .all(first, card, first)
    .map((r) => r.card);
}

/** What the reducer remembered of the person just before `from`. */
function memoryBefore(sql: Statements, person: string, from: number): CardMemory {
  // The guard's last tap is the clock's own; the spans count as a manager corrected them (as
  // after a restart: readSnapshot.ts), a voided session not at all.
  const spans = sql
    .stmt<
      [string, number, number],
      {
        in_at: number;
        out_at: number;
        shown_in: number;
        shown_out: number;
        status: string;
      }
    >(
      `SELECT in_at, out_at, coalesce(fixed_in, in_at) AS shown_in,
         coalesce(fixed_out, out_at) AS shown_out, status FROM sessions
       WHERE ${PERSON} AND in_at < ? AND in_at >= ? AND out_at IS NOT NULL AND superseded_at IS NULL
         AND voided = 0
       ORDER BY in_at`,
    )
    .all(person, from, from - RECENT_MS);
  const last = spans.at(-1);
  const lastAcceptedAt =
    last === undefined ? undefined : last.status === 'out' ? last.out_at : last.in_at;
  return {
    ...(lastAcceptedAt === undefined ? {} : { lastAcceptedAt }),
    recent: spans.map((s) => ({ inAt: s.shown_in, outAt: s.shown_out })),
  };
}

/**
 * Writes a refold: the late taps get their rows in taps (returned, for the hash chain), the
 * sessions added, changed or superseded, each change on record in merge_changes.
 */
export function writeRefold(sql: Statements, event: Refolded): (number | bigint)[] {
  // What it saw: a refold read before a correction neither answers nor speaks after it.
  // (One the core folded from the store's history always says; one made otherwise saw all.)
  const seen = event.corrections ?? lastCorrection(sql);
  refoldCommitted(sql, event.card, seen);
  const taps = event.late.map((tap) => {
    markFolded(sql, tap.id, event.at);
    return sql
      .stmt('INSERT INTO taps (at, card, reader, outcome, origin) VALUES (?, ?, ?, ?, ?)')
      .run(tap.at, event.card, tap.reader, 'refold', tap.id).lastInsertRowid;
  });
  const record = (s: RefoldedSession, change: string, before: unknown, after: unknown): void => {
    sql
      .stmt(
        'INSERT INTO merge_changes (at, session, card, change, before, after, corrections_seen) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        event.at,
        s.id,
        s.card,
        change,
        before === null ? null : JSON.stringify(before),
        after === null ? null : JSON.stringify(after),
        seen,
      );
  };
  for (const s of event.superseded) {
    // An open one is closed where it began (no time): every reader of open sessions (a restart,
    // status, the live view) takes status 'in' for open, and it is open no more.
    sql
      .stmt(
        "UPDATE sessions SET voided = 1, superseded_at = ?, out_at = coalesce(out_at, in_at), status = CASE status WHEN 'in' THEN 'out' ELSE status END WHERE id = ?",
      )
      .run(event.at, s.id);
    record(s, 'superseded', s, null);
  }
  for (const s of [...event.changed, ...event.added]) {
    const before = sql
      .stmt<[string], SessionRow>(
        'SELECT id, card, name, in_at, out_at, status, reason, reader, out_reader FROM sessions WHERE id = ?',
      )
      .get(s.id);
    // A session superseded by an earlier refold and made again by this one comes back; a void
    // a manager gave it stays. It is the person's (made again under a badge's id since made
    // their alias): the row follows them, as an open session does when People lists an alias.
    sql
      .stmt(
        `INSERT INTO sessions (id, card, name, in_at, out_at, status, reason, reader, out_reader)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET card = excluded.card, out_at = excluded.out_at,
           status = excluded.status,
           reason = excluded.reason, out_reader = excluded.out_reader,
           voided = CASE WHEN superseded_at IS NOT NULL AND NOT ${VOIDED_BY_MANAGER} THEN 0
             ELSE voided END,
           superseded_at = NULL`,
      )
      .run(s.id, s.card, s.name, s.inAt, s.outAt, s.status, s.reason, s.reader, s.outReader);
    record(
      s,
      before === undefined ? 'added' : 'changed',
      before === undefined ? null : sessionOf(before),
      s,
    );
  }
  acceptedAfterRefold(sql, event);
  return taps;
}
