/**
 * The snapshot a restart reads: what the clock needs to carry on from the
 * store (open sessions, each card's last accepted tap and the clock's last
 * time folded, a session a manager closed while it was open, recent spans,
 * cards listed or unnamed, held cards, and the sessions still to correct).
 */
import type { OpenSession, Snapshot, Unsynced } from '../../../streams/sessions';
import type { StoredEnrolMode } from '../../../streams/sessionState';
import { ID_MEMORY_MS, sessionId } from '../../../streams/sessionIds';
import { lastAccepted } from './accepted';
import { CLOSED_BY_FIX } from './corrections';
import type { RawSession } from './sessionRows';
import type { Statements } from './statements';

const DAY_MS = 86_400_000;
/** How far back a restart looks for recent sessions (the day's and the week's totals, the guard). */
const RECENT_MS = 8 * DAY_MS;
/** A session lasts a week at most (autoClockOutHours): one closed recently began after this. */
const LONGEST_MS = 7 * DAY_MS;

/**
 * The queries a restart runs. Each reads through an index, so a restart
 * costs the same after years as after a week (test/store.test.ts checks
 * their query plans): only the sessions of the last days, the few without a
 * name or still to correct, the cards listed.
 */
export const SNAPSHOT_SQL = {
  open: "SELECT * FROM sessions WHERE status = 'in' ORDER BY in_at",
  // The clock's own times, corrections not applied and void sessions in (a manager's void does
  // not unfold them): another door's tap before them is late (streams/remoteTaps.ts).
  foldedUntil:
    'SELECT card, max(coalesce(out_at, in_at)) AS at FROM sessions WHERE in_at >= ? AND superseded_at IS NULL GROUP BY +card',
  // A card's latest session, when a manager's correction closed it while open (`fixClosed`).
  fixClosed: `SELECT card, id, in_at FROM sessions WHERE in_at >= ? AND superseded_at IS NULL
    AND ${CLOSED_BY_FIX} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sessions l
      WHERE l.card = sessions.card AND l.in_at > sessions.in_at AND l.superseded_at IS NULL)`,
  // Corrections applied, void sessions left out: the day's and week's totals follow them.
  recent:
    'SELECT card, coalesce(fixed_in, in_at) AS in_at, coalesce(fixed_out, out_at) AS out_at FROM sessions WHERE in_at >= ? AND out_at IS NOT NULL AND out_at >= ? AND voided = 0',
  // The ids made in the last days, whatever became of their sessions since (sessionIds.ts): by
  // the id's own order, which is its instant's.
  sessionIds: 'SELECT id FROM sessions WHERE id >= ?',
  listed: "SELECT card FROM outbox WHERE kind = 'card-listed'",
  unnamed: 'SELECT DISTINCT card FROM sessions WHERE name IS NULL',
  unsynced: "SELECT * FROM sessions WHERE clock = 'unsynced' AND boot = ? ORDER BY in_at",
  sightings: 'SELECT card, at FROM sightings',
  // The wall time of this door's last tap or held card's sighting, in the order stored.
  lastActivityAt: 'SELECT at FROM last_activity',
  enrolments:
    "SELECT card, name, target FROM enrolments WHERE step IN ('listed', 'aliased') AND seen_at IS NULL ORDER BY id",
  placeholders: "SELECT count(*) AS n FROM enrolments WHERE step = 'listed'",
  // Cards listed at the reader the manager has not named yet (the latest listing of a card wins).
  placeholderNames:
    "SELECT card, name FROM enrolments WHERE step = 'listed' AND named_at IS NULL ORDER BY id",
  // Each reader whose last enrolment step left the mode open, and the admin card that opened it.
  enrolModes: `SELECT e.step, e.reader, e.card, e.at, e.mono, e.boot, (SELECT o.card FROM enrolments o
      WHERE o.reader = e.reader AND o.step = 'opened' AND o.id <= e.id ORDER BY o.id DESC LIMIT 1) AS admin
    FROM enrolments e WHERE e.id IN (SELECT max(id) FROM enrolments GROUP BY reader)
      AND e.step IN ('opened', 'chosen')`,
} as const;

/**
 * What the clock needs to carry on after a restart, as of `now`. Monotonic
 * times come back only when `boot` is the boot they were taken in.
 */
export function readSnapshot(sql: Statements, now: number, boot?: string): Snapshot {
  const since = now - RECENT_MS;
  const open = sql.stmt<[], RawSession>(SNAPSHOT_SQL.open).all();
  // Only the guard reads a card's last accepted tap, and the guard is an hour at most.
  const accepted = lastAccepted(sql, since - LONGEST_MS, boot);
  const foldedUntil = sql
    .stmt<[number], { card: string; at: number }>(SNAPSHOT_SQL.foldedUntil)
    .all(since - LONGEST_MS);
  const fixClosed = sql
    .stmt<[number], { card: string; id: string; in_at: number }>(SNAPSHOT_SQL.fixClosed)
    .all(since - LONGEST_MS);
  const recent = sql
    .stmt<[number, number], { card: string; in_at: number; out_at: number }>(SNAPSHOT_SQL.recent)
    .all(since - LONGEST_MS, since);
  const sessionIds = sql
    .stmt<[string], { id: string }>(SNAPSHOT_SQL.sessionIds)
    .all(sessionId('', now - ID_MEMORY_MS));
  const listed = sql.stmt<[], { card: string }>(SNAPSHOT_SQL.listed).all();
  const unnamed = sql.stmt<[], { card: string }>(SNAPSHOT_SQL.unnamed).all();
  const unsynced =
    boot === undefined ? [] : sql.stmt<[string], RawSession>(SNAPSHOT_SQL.unsynced).all(boot);
  const sightings = sql.stmt<[], { card: string; at: number }>(SNAPSHOT_SQL.sightings).all();
  const lastActivityAt = sql.stmt<[], { at: number }>(SNAPSHOT_SQL.lastActivityAt).get();
  return {
    open: open.map((row) => openSession(row, boot)),
    lastAccepted: accepted,
    foldedUntil,
    fixClosed: fixClosed.map((row) => ({ card: row.card, session: row.id, inAt: row.in_at })),
    recent: recent.map((row) => ({ card: row.card, inAt: row.in_at, outAt: row.out_at })),
    sessionIds: sessionIds.map((row) => row.id),
    listed: listed.map((row) => row.card),
    unnamed: unnamed.map((row) => row.card),
    sightings,
    lastActivityAt: lastActivityAt?.at ?? null,
    unsynced: unsynced.map(unsyncedSession),
    ...enrolmentsOf(sql),
    enrolModes: enrolModesOf(sql, boot),
  };
}

interface EnrolModeRow {
  step: 'opened' | 'chosen';
  reader: string;
  card: string;
  at: number;
  mono: number | null;
  boot: string | null;
  admin: string | null;
}

/**
 * Enrolment open at a reader when the clock stopped, with the monotonic time of its last step
 * when that was taken in `boot` (the restarting clock's): else it cannot be timed honestly.
 */
function enrolModesOf(sql: Statements, boot: string | undefined): StoredEnrolMode[] {
  return sql
    .stmt<[], EnrolModeRow>(SNAPSHOT_SQL.enrolModes)
    .all()
    .flatMap(({ step, reader, card, at, mono, boot: takenIn, admin }) => {
      const opener = step === 'opened' ? card : admin;
      if (opener === null) return [];
      const timed = mono !== null && boot !== undefined && takenIn === boot;
      return [
        {
          reader,
          admin: opener,
          at,
          ...(timed ? { mono } : {}),
          ...(step === 'chosen' ? { target: card } : {}),
        },
      ];
    });
}

/**
 * Enrolments at the reader People had not shown yet, how many cards were listed there, and the
 * placeholders of those the manager has not named yet.
 */
function enrolmentsOf(
  sql: Statements,
): Pick<Snapshot, 'enrolments' | 'placeholders' | 'placeholderNames'> {
  const rows = sql
    .stmt<[], { card: string; name: string | null; target: string | null }>(SNAPSHOT_SQL.enrolments)
    .all();
  const placeholders = sql.stmt<[], { n: number }>(SNAPSHOT_SQL.placeholders).get()?.n ?? 0;
  const placeholderNames = sql
    .stmt<[], { card: string; name: string | null }>(SNAPSHOT_SQL.placeholderNames)
    .all()
    .flatMap(({ card, name }) => (name === null ? [] : [{ card, name }]));
  return {
    placeholderNames,
    enrolments: rows.map(({ card, name, target }) => ({
      card,
      ...(name === null ? {} : { name }),
      ...(target === null ? {} : { target }),
    })),
    ...(placeholders === 0 ? {} : { placeholders }),
  };
}

/** An open session, with its clock-in's monotonic time when it was taken in `boot`. */
function openSession(row: RawSession, boot: string | undefined): OpenSession {
  const thisBoot = boot !== undefined && row.boot === boot;
  return {
    id: row.id,
    card: row.card,
    name: row.name,
    // A manager's corrected In stands; the monotonic time of the clock's no longer does.
    inAt: row.fixed_in ?? row.in_at,
    reader: row.reader,
    ...(thisBoot && row.in_mono !== null && row.fixed_in === null ? { inMono: row.in_mono } : {}),
    ...(row.clock === 'unsynced' && row.fixed_in === null ? { inUnsynced: true as const } : {}),
  };
}

/** A session taken on an unsynchronised clock in this boot, with the monotonic times it has. */
function unsyncedSession(row: RawSession): Unsynced {
  return {
    session: row.id,
    card: row.card,
    inAt: row.in_at,
    outAt: row.out_at,
    // Clocked in before this boot (no monotonic time of it here), closed on this stale clock.
    ...(row.in_mono === null ? { inKnown: true as const } : { inMono: row.in_mono }),
    ...(row.out_mono === null ? {} : { outMono: row.out_mono }),
  };
}
