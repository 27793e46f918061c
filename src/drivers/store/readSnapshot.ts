/**
 * The snapshot a restart reads: what the clock needs to carry on from the
 * store (open sessions, each card's last accepted tap, recent spans, cards
 * listed or unnamed, held cards, and the sessions still to correct).
 */
import type { OpenSession, Snapshot, Unsynced } from '../../../streams/sessions';
import type { RawSession } from './sessionRows';
import type { Statements } from './statements';

/**
 * What the clock needs to carry on after a restart, as of `now`. Monotonic
 * times come back only when `boot` is the boot they were taken in.
 */
export function readSnapshot(sql: Statements, now: number, boot?: string): Snapshot {
  const open = sql
    .stmt<[], RawSession>("SELECT * FROM sessions WHERE status = 'in' ORDER BY in_at")
    .all();
  const lastAccepted = sql
    .stmt<[], { card: string; at: number }>(
      "SELECT card, max(CASE WHEN status = 'out' THEN out_at ELSE in_at END) AS at FROM sessions GROUP BY card",
    )
    .all();
  const recent = sql
    .stmt<[number], { card: string; in_at: number; out_at: number }>(
      'SELECT card, in_at, out_at FROM sessions WHERE out_at IS NOT NULL AND out_at >= ?',
    )
    .all(now - 3 * 86_400_000);
  const listed = sql
    .stmt<[], { card: string }>("SELECT card FROM outbox WHERE kind = 'card-listed'")
    .all();
  const unnamed = sql
    .stmt<[], { card: string }>('SELECT DISTINCT card FROM sessions WHERE name IS NULL')
    .all();
  const unsynced =
    boot === undefined
      ? []
      : sql
          .stmt<[string], RawSession>(
            "SELECT * FROM sessions WHERE clock = 'unsynced' AND boot = ? ORDER BY in_at",
          )
          .all(boot);
  const sightings = sql
    .stmt<[], { card: string; at: number }>('SELECT card, at FROM sightings')
    .all();
  const lastTapAt = sql.stmt<[], { at: number | null }>('SELECT max(at) AS at FROM taps').get();
  return {
    open: open.map((row) => openSession(row, boot)),
    lastAccepted,
    recent: recent.map((row) => ({ card: row.card, inAt: row.in_at, outAt: row.out_at })),
    listed: listed.map((row) => row.card),
    unnamed: unnamed.map((row) => row.card),
    sightings,
    lastTapAt: lastTapAt?.at ?? null,
    unsynced: unsynced.map(unsyncedSession),
  };
}

/** An open session, with its clock-in's monotonic time when it was taken in `boot`. */
function openSession(row: RawSession, boot: string | undefined): OpenSession {
  const thisBoot = boot !== undefined && row.boot === boot;
  return {
    id: row.id,
    card: row.card,
    name: row.name,
    inAt: row.in_at,
    reader: row.reader,
    ...(thisBoot && row.in_mono !== null ? { inMono: row.in_mono } : {}),
  };
}

/** A session taken on an unsynchronised clock in this boot, with the monotonic times it has. */
function unsyncedSession(row: RawSession): Unsynced {
  return {
    session: row.id,
    card: row.card,
    inAt: row.in_at,
    outAt: row.out_at,
    ...(row.in_mono === null ? {} : { inMono: row.in_mono }),
    ...(row.out_mono === null ? {} : { outMono: row.out_mono }),
  };
}
