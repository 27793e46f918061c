/**
 * The store's side of sharing taps between doors (docs/multi-door.md): the
 * inbox of other doors' taps (deduplicated by their site-wide id, durable
 * before the broker hears they arrived), and this door's own taps still to
 * publish, in id order after the cursor the broker last acknowledged.
 */
import type { CardRead } from '../../../streams/events';
import type { Statements } from './statements';

/** A tap as it travels between doors: the message's JSON (`v` 1). */
export interface SharedTap {
  readonly id: string;
  readonly door: string;
  readonly seq: number;
  readonly card: string;
  readonly reader: string;
  readonly at: number;
}

/** The read the core folds for another door's tap. */
export const remoteRead = (tap: SharedTap): CardRead & { readonly origin: string } => ({
  type: 'cardRead',
  at: tap.at,
  card: tap.card,
  reader: tap.reader,
  origin: tap.id,
});

/**
 * Keeps another door's tap; false when it was here already (QoS 1 delivers at least once, a
 * door re-publishes after a restart): every copy after the first is dropped by its id.
 */
export function addToInbox(sql: Statements, tap: SharedTap, now: number): boolean {
  return (
    sql
      .stmt(
        'INSERT OR IGNORE INTO mqtt_inbox (id, door, seq, card, reader, at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(tap.id, tap.door, tap.seq, tap.card, tap.reader, tap.at, now).changes === 1
  );
}

/**
 * Other doors' taps received and not folded yet (nor late), in the order they came: the rowid,
 * not this door's wall clock when they came (it may have stepped back between).
 */
export function inboxWaiting(sql: Statements): SharedTap[] {
  return sql
    .stmt<[], SharedTap>(
      // By its partial index (a scan by rowid would read every tap ever received).
      `SELECT id, door, seq, card, reader, at FROM mqtt_inbox INDEXED BY mqtt_inbox_waiting
       WHERE folded_at IS NULL AND late_at IS NULL ORDER BY rowid`,
    )
    .all();
}

/**
 * The people with late taps not folded yet, and each one's earliest: what a refold asked for
 * before a restart and never got (the command dies with the process; the late row stays).
 */
export function lateWaiting(sql: Statements): { person: string; at: number }[] {
  return sql
    .stmt<[], { person: string; at: number }>(
      'SELECT person, min(at) AS at FROM mqtt_inbox WHERE late_at IS NOT NULL AND folded_at IS NULL GROUP BY person ORDER BY person',
    )
    .all();
}

/** Another door's last word on its state topic. */
export function notePresence(
  sql: Statements,
  p: { door: string; state: string; at: number | null; backlog: number | null },
  now: number,
): void {
  sql
    .stmt(
      `INSERT INTO mqtt_doors (door, state, at, backlog, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (door) DO UPDATE SET state = excluded.state, at = excluded.at,
         backlog = excluded.backlog, received_at = excluded.received_at`,
    )
    .run(p.door, p.state, p.at, p.backlog, now);
}

/** The commit of a step that folded another door's tap marks it so. */
export function markFolded(sql: Statements, id: string, at: number): void {
  sql.stmt('UPDATE mqtt_inbox SET folded_at = ? WHERE id = ?').run(at, id);
}

/** A tap late for `person` (their card) waits for the refold of their taps. */
export function markLate(sql: Statements, id: string, person: string, at: number): void {
  sql.stmt('UPDATE mqtt_inbox SET late_at = ?, person = ? WHERE id = ?').run(at, person, id);
}

/**
 * The cursor of this door's publishing. The first time sharing is on, it starts at the
 * newest tap: a door that joins a site shares what it takes from then on, not its history.
 */
export function publishCursor(sql: Statements): number {
  const row = sql.stmt<[], { published: number }>('SELECT published FROM mqtt_cursor').get();
  if (row !== undefined) return row.published;
  const newest =
    sql.stmt<[], { id: number | null }>('SELECT max(id) AS id FROM taps').get()?.id ?? 0;
  sql.stmt('INSERT INTO mqtt_cursor (one, published) VALUES (1, ?)').run(newest);
  return newest;
}

/** This door's own taps after `after` (taps ids), oldest first, at most `limit`. */
export function tapsToPublish(
  sql: Statements,
  after: number,
  limit: number,
): { seq: number; card: string; reader: string; at: number }[] {
  return sql
    .stmt<[number, number], { seq: number; card: string; reader: string; at: number }>(
      'SELECT id AS seq, card, reader, at FROM taps WHERE id > ? AND origin IS NULL ORDER BY id LIMIT ?',
    )
    .all(after, limit);
}

/** The broker acknowledged every own tap up to `seq`. */
export function advanceCursor(sql: Statements, seq: number): void {
  sql.stmt('UPDATE mqtt_cursor SET published = max(published, ?)').run(seq);
}

/** What `status` says about sharing: this door's backlog, late taps, each door's last tap. */
export interface SharingStatus {
  readonly backlog: number;
  readonly late: number;
  /** What refolds changed, by kind: the answers the merged log contradicted. */
  readonly merged: {
    readonly added: number;
    readonly changed: number;
    readonly superseded: number;
  };
  /**
   * A manager's corrections shared (sharedCorrections.ts): the sheet's writer's not yet
   * acknowledged by the broker; the hub's received here, and those waiting for their session.
   */
  readonly corrections: {
    readonly toShare: number;
    readonly received: number;
    readonly waiting: number;
  };
  readonly doors: readonly {
    door: string;
    lastTapAt: number | null;
    lastReceivedAt: number | null;
    taps: number;
    /** Its last word on its state topic, when one came. */
    presence: { state: string; backlog: number | null; receivedAt: number } | null;
  }[];
}

/** This door's taps the broker has not acknowledged (none before sharing started). */
export function publishBacklog(sql: Statements): number {
  const cursor = sql.stmt<[], { published: number }>('SELECT published FROM mqtt_cursor').get();
  if (cursor === undefined) return 0;
  return (
    sql
      .stmt<[number], { n: number }>(
        'SELECT count(*) AS n FROM taps WHERE id > ? AND origin IS NULL',
      )
      .get(cursor.published)?.n ?? 0
  );
}

export function sharingStatus(sql: Statements): SharingStatus {
  const backlog = publishBacklog(sql);
  const late =
    sql
      .stmt<[], { n: number }>(
        'SELECT count(*) AS n FROM mqtt_inbox WHERE late_at IS NOT NULL AND folded_at IS NULL',
      )
      .get()?.n ?? 0;
  const heard = sql
    .stmt<[], { door: string; lastTapAt: number; lastReceivedAt: number; taps: number }>(
      'SELECT door, max(at) AS lastTapAt, max(received_at) AS lastReceivedAt, count(*) AS taps FROM mqtt_inbox GROUP BY door',
    )
    .all();
  const said = sql
    .stmt<[], { door: string; state: string; backlog: number | null; received_at: number }>(
      'SELECT door, state, backlog, received_at FROM mqtt_doors',
    )
    .all();
  const names = [...new Set([...heard.map((d) => d.door), ...said.map((d) => d.door)])].sort();
  const doors = names.map((door) => {
    const h = heard.find((d) => d.door === door);
    const p = said.find((d) => d.door === door);
    return {
      door,
      lastTapAt: h?.lastTapAt ?? null,
      lastReceivedAt: h?.lastReceivedAt ?? null,
      taps: h?.taps ?? 0,
      presence:
        p === undefined ? null : { state: p.state, backlog: p.backlog, receivedAt: p.received_at },
    };
  });
  const merged = { added: 0, changed: 0, superseded: 0 };
  for (const row of sql
    .stmt<[], { change: keyof typeof merged; n: number }>(
      'SELECT change, count(*) AS n FROM merge_changes GROUP BY change',
    )
    .all()) {
    merged[row.change] = row.n;
  }
  return { backlog, late, merged, corrections: correctionsStatus(sql), doors };
}

function correctionsStatus(sql: Statements): SharingStatus['corrections'] {
  const count = (query: string): number => sql.stmt<[], { n: number }>(query).get()?.n ?? 0;
  return {
    toShare: count(
      'SELECT count(*) AS n FROM shared_corrections WHERE seq > (SELECT published FROM corrections_cursor)',
    ),
    received: count('SELECT count(*) AS n FROM corrections_inbox'),
    waiting: count('SELECT count(*) AS n FROM corrections_inbox WHERE applied_at IS NULL'),
  };
}
