/**
 * The store's side of sharing a manager's corrections (docs/multi-door.md):
 * on the hub, each correction it applied, kept in the step that applied it and
 * published in order after the cursor the broker last acknowledged; on a door,
 * each one received (deduplicated by its id, durable before the broker hears it
 * arrived), handed to the core once the door has its session, and marked
 * applied in the step that applies it.
 */
import type { Corrected } from '../../../streams/events';
import { correctionPayload } from '../mqtt/correctionMessages';
import type { Statements } from './statements';

/** A correction received from the hub, as it came. */
export interface ReceivedCorrection {
  readonly id: string;
  readonly payload: string;
}

/** What the MQTT driver reads and writes of shared corrections. */
export interface SharedCorrections {
  /** Where the hub's publishing stands; set the first time (call it before anything is applied). */
  cursor(): number;
  /** The hub's corrections the broker has not acknowledged, after `after` (the cursor). */
  toPublish(limit: number, after?: number): { seq: number; payload: string }[];
  /** The broker acknowledged every correction up to `seq`. */
  published(seq: number): void;
  /** A correction received; false when it was here already. */
  receive(id: string, session: string, payload: string, now: number): boolean;
  /** Those received, not applied yet, whose session this door has: for the core, in order. */
  ready(): ReceivedCorrection[];
  /** The refolds applied ones asked and no commit did yet (a restart between): each person's. */
  refoldsWaiting(): { person: string; at: number }[];
}

/**
 * Called by the step that applied a correction (writeCorrection, with the id of its record):
 * kept to share, or marked.
 */
export function noteCorrection(sql: Statements, event: Corrected, id: number): void {
  if (event.origin !== undefined) {
    // With the refold it asked: kept until one of the person's that saw it commits
    // (refoldCommitted).
    sql
      .stmt(
        'UPDATE corrections_inbox SET applied_at = ?, refold_person = ?, refold_at = ?, correction = ? WHERE id = ?',
      )
      .run(
        event.at,
        event.refolds === true ? event.card : null,
        event.refolds === true ? event.at : null,
        id,
        event.origin,
      );
  } else if (event.applied) {
    sql.stmt('INSERT INTO shared_corrections (payload) VALUES (?)').run(correctionPayload(event));
  }
}

/**
 * A refold of `person` committed, read with the corrections up to `seen` (corrections.id): the
 * refolds those asked of them are done. One applied after its history was read is not.
 */
export function refoldCommitted(sql: Statements, person: string, seen: number): void {
  sql
    .stmt(
      `UPDATE corrections_inbox SET refold_at = NULL
       WHERE refold_at IS NOT NULL AND refold_person = ? AND coalesce(correction, 0) <= ?`,
    )
    .run(person, seen);
}

/**
 * Where the hub's publishing stands. The first time, at the newest correction: a hub that
 * starts sharing shares what it applies from then on.
 */
function cursor(sql: Statements): number {
  const row = sql.stmt<[], { published: number }>('SELECT published FROM corrections_cursor').get();
  if (row !== undefined) return row.published;
  const newest =
    sql.stmt<[], { seq: number | null }>('SELECT max(seq) AS seq FROM shared_corrections').get()
      ?.seq ?? 0;
  sql.stmt('INSERT INTO corrections_cursor (one, published) VALUES (1, ?)').run(newest);
  return newest;
}

export function sharedCorrections(sql: Statements): SharedCorrections {
  return {
    cursor: () => cursor(sql),
    toPublish: (limit, after = cursor(sql)) =>
      sql
        .stmt<[number, number], { seq: number; payload: string }>(
          'SELECT seq, payload FROM shared_corrections WHERE seq > ? ORDER BY seq LIMIT ?',
        )
        .all(after, limit),
    published: (seq) => {
      cursor(sql);
      sql.stmt('UPDATE corrections_cursor SET published = max(published, ?)').run(seq);
    },
    receive: (id, session, payload, now) =>
      sql
        .stmt(
          'INSERT OR IGNORE INTO corrections_inbox (id, session, payload, received_at) VALUES (?, ?, ?, ?)',
        )
        .run(id, session, payload, now).changes === 1,
    // In the order they came (the rowid), which is the hub's: not by the door's wall clock. By
    // the partial index of those waiting (a scan by rowid would read every one ever received).
    ready: () =>
      sql
        .stmt<[], ReceivedCorrection>(
          `SELECT i.id, i.payload FROM corrections_inbox i INDEXED BY corrections_inbox_waiting
           WHERE i.applied_at IS NULL
             AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = i.session)
           ORDER BY i.rowid`,
        )
        .all(),
    refoldsWaiting: () =>
      sql
        .stmt<[], { person: string; at: number }>(
          `SELECT refold_person AS person, min(refold_at) AS at FROM corrections_inbox
           WHERE refold_at IS NOT NULL GROUP BY refold_person ORDER BY refold_person`,
        )
        .all(),
  };
}
