/**
 * Each card's last accepted tap (rule 3's guard), kept in the order the
 * clock accepted them: its wall time, and its monotonic time with the boot
 * it belongs to. A restart in the same boot measures the guard on the
 * monotonic clock, as the running clock does; in another boot, on the wall
 * clock. Neither the latest wall time nor the session stored last can stand
 * for it: the wall clock steps back (a clock-in is then earlier than the
 * clock-out before it), and a refold stores older sessions after newer ones.
 */
import type { Refolded } from '../../../streams/events';
import type { Statements } from './statements';

/**
 * The step's tap (`taps.id`) was accepted (a clock-in or a clock-out): its card's last accepted
 * tap is its wall time (the reader's, as the guard measures it, not a close's honest time), and
 * `mono` in `boot` when the step has one.
 */
export function noteAccepted(
  sql: Statements,
  tap: number | bigint,
  mono: number | undefined,
  boot: string | null,
): void {
  sql
    .stmt(
      `INSERT INTO accepted (card, at, mono, boot) SELECT card, at, ?, ? FROM taps WHERE id = ?
       ON CONFLICT (card) DO UPDATE SET at = excluded.at, mono = excluded.mono, boot = excluded.boot`,
    )
    .run(mono ?? null, mono === undefined ? null : boot, tap);
}

/**
 * A refold folded the person's taps again, in time order: their last accepted tap is the latest
 * of their sessions from where it began (the fold's memory). Its monotonic time stays only when
 * it is the tap the clock had already (a refold's taps have none).
 */
export function acceptedAfterRefold(sql: Statements, event: Refolded): void {
  const cards = new Set([
    event.card,
    ...[...event.added, ...event.changed, ...event.superseded].map((s) => s.card),
  ]);
  const latest = sql
    .stmt<[string, number], { at: number | null }>(
      `SELECT max(CASE WHEN status = 'out' THEN out_at ELSE in_at END) AS at FROM sessions
       WHERE card IN (SELECT value FROM json_each(?)) AND in_at >= ? AND superseded_at IS NULL`,
    )
    .get(JSON.stringify([...cards]), event.from)?.at;
  if (latest === null || latest === undefined) return;
  sql
    .stmt(
      `INSERT INTO accepted (card, at) VALUES (?, ?) ON CONFLICT (card) DO UPDATE SET at = excluded.at,
         mono = CASE WHEN accepted.at = excluded.at THEN accepted.mono END,
         boot = CASE WHEN accepted.at = excluded.at THEN accepted.boot END`,
    )
    .run(event.card, latest);
}

/**
 * Each card's last accepted tap at or after `since`, with its monotonic time when it was taken
 * in `boot` (the restarting clock's).
 */
export function lastAccepted(
  sql: Statements,
  since: number,
  boot: string | undefined,
): { card: string; at: number; mono?: number }[] {
  return sql
    .stmt<[number], { card: string; at: number; mono: number | null; boot: string | null }>(
      'SELECT card, at, mono, boot FROM accepted WHERE at >= ?',
    )
    .all(since)
    .map(({ card, at, mono, boot: takenIn }) =>
      mono !== null && boot !== undefined && takenIn === boot ? { card, at, mono } : { card, at },
    );
}
