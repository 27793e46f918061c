/**
 * The hash chain over the raw record (rule 13): every tap the clock accepted
 * and every correction gets a link, numbered 1, 2, 3, … in `chain`, whose hash
 * is the SHA-256 of the previous link's hash and the record as it was written.
 * Changing, deleting or slipping in a row without the clock then shows in
 * `verifyChain`; rewriting the whole chain to match takes knowing this file,
 * so it shows a careless edit, not a careful forger.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Statements } from './statements';

export type ChainKind = 'tap' | 'correction';

/** The schema that added the chain: taps from before it are linked once, after the upgrade. */
export const CHAIN_SCHEMA = 6;

/** What the first link follows. */
const GENESIS = 'badgeclock chain genesis';

/**
 * The serialisation's version, hashed with every record. A new serialisation gets a new
 * name here and in the links it writes; old links keep theirs.
 */
const FORMAT = 'badgeclock-chain/1';

/** The columns a link covers, in this order: a tap as taken, a correction whole. */
export const CHAINED_COLUMNS: Readonly<Record<ChainKind, readonly string[]>> = {
  tap: ['id', 'at', 'card', 'reader', 'outcome', 'session'],
  correction: [
    'id',
    'seen_at',
    'session',
    'card',
    'field',
    'old',
    'new',
    'applied',
    'reason',
    'source',
    'why',
    'request',
  ],
};

const TABLE: Readonly<Record<ChainKind, string>> = { tap: 'taps', correction: 'corrections' };

/** Taps left to link after the upgrade to CHAIN_SCHEMA: the table exists only until they are. */
const BACKFILL_TABLE = 'chain_backfill';

/** Taps linked per transaction when linking those from before the chain. */
export const BACKFILL_BATCH = 5_000;

/** A link's hash: of the previous link's hash and the record's columns, as JSON. */
export function linkHash(previous: string, kind: ChainKind, row: readonly unknown[]): string {
  return createHash('sha256')
    .update(previous)
    .update('\n')
    .update(JSON.stringify([FORMAT, kind, ...row]))
    .digest('hex');
}

interface Link {
  readonly seq: number;
  readonly hash: string;
}

/** The chain's last link, or the genesis before the first. */
function lastLink(sql: Statements): Link {
  const last = sql.stmt<[], Link>('SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1').get();
  return last ?? { seq: 0, hash: GENESIS };
}

/** The record's chained columns, in order. */
function recordOf(sql: Statements, kind: ChainKind, ref: number | bigint): unknown[] | undefined {
  return sql
    .stmt<[number | bigint], unknown[]>(
      `SELECT ${CHAINED_COLUMNS[kind].join(', ')} FROM ${TABLE[kind]} WHERE id = ?`,
    )
    .raw()
    .get(ref);
}

function append(sql: Statements, after: Link, kind: ChainKind, row: readonly unknown[]): Link {
  const link = { seq: after.seq + 1, hash: linkHash(after.hash, kind, row) };
  sql
    .stmt('INSERT INTO chain (seq, kind, ref, hash) VALUES (?, ?, ?, ?)')
    .run(link.seq, kind, row[0], link.hash);
  return link;
}

/**
 * Appends the link of tap or correction `ref`, as its row stands now. Call it inside the
 * transaction that wrote the row, once the row is final: a rolled-back row takes its link with it.
 * The last hash is read each time rather than kept: a point read at the end of the chain's index,
 * a few microseconds, and never wrong after a rollback (see the bench's chaining cost).
 */
export function chainRecord(sql: Statements, kind: ChainKind, ref: number | bigint): void {
  const row = recordOf(sql, kind, ref);
  if (row === undefined) throw new Error(`no ${kind} ${String(ref)} to chain`);
  append(sql, lastLink(sql), kind, row);
}

/**
 * Run in the migration's transaction to CHAIN_SCHEMA: notes which taps were taken before the
 * chain, so that they, and only they, are linked later. A tap slipped in afterwards is never
 * linked by a restart: `verify` reports it.
 */
export function markTapsToLink(db: Database.Database): void {
  const upto = Number(db.prepare('SELECT coalesce(max(id), 0) FROM taps').pluck().get());
  if (upto === 0) return;
  db.exec(`CREATE TABLE ${BACKFILL_TABLE} (upto INTEGER NOT NULL)`);
  db.prepare(`INSERT INTO ${BACKFILL_TABLE} (upto) VALUES (?)`).run(upto);
}

/**
 * Links the taps from before the chain, in id order, `batch` per transaction, and drops the
 * note of them with the last batch; returns how many it linked. It starts where the chain stops,
 * so a start cut short (a power cut on a large store) carries on at the next one.
 */
export function linkTapsFromBeforeChain(sql: Statements, batch = BACKFILL_BATCH): number {
  let linked = 0;
  let more = backfillPending(sql);
  while (more) {
    sql.transaction(() => {
      if (!backfillPending(sql)) return void (more = false);
      const upto = Number(sql.db.prepare(`SELECT upto FROM ${BACKFILL_TABLE}`).pluck().get());
      const after = sql
        .stmt<[number], number>(
          "SELECT coalesce(max(ref), 0) FROM chain WHERE kind = 'tap' AND ref <= ?",
        )
        .pluck()
        .get(upto);
      const rows = sql
        .stmt<[number, number, number], unknown[]>(
          `SELECT ${CHAINED_COLUMNS.tap.join(', ')} FROM taps WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
        )
        .raw()
        .all(after ?? 0, upto, batch);
      let last = lastLink(sql);
      for (const row of rows) last = append(sql, last, 'tap', row);
      linked += rows.length;
      if (rows.length < batch) {
        sql.db.exec(`DROP TABLE ${BACKFILL_TABLE}`);
        more = false;
      }
    });
  }
  return linked;
}

/** Whether taps from before the chain are still to be linked. */
export function backfillPending(sql: Statements): boolean {
  return (
    sql
      .stmt<[string], number>(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
      )
      .pluck()
      .get(BACKFILL_TABLE) === 1
  );
}

/** What `verify` found: the record whole, or the first problems and how many more. */
export type ChainVerdict =
  | { whole: true; links: number; taps: number; corrections: number }
  | { whole: false; problems: string[]; more: number };

/** Problems listed by `verifyChain` before it only counts the rest. */
export const PROBLEMS_LISTED = 20;

/** The problems found so far: the first few in words, the rest counted. */
class Findings {
  readonly problems: string[] = [];
  more = 0;

  add(problem: string): void {
    if (this.problems.length < PROBLEMS_LISTED) this.problems.push(problem);
    else this.more += 1;
  }
}

const iso = (ms: unknown): string =>
  typeof ms === 'number' && Number.isFinite(new Date(ms).getTime())
    ? new Date(ms).toISOString()
    : `time ${JSON.stringify(ms)}`;

/** A record in words, from its chained columns: `tap 42 (2026-…Z, card 04A1B2C3)`. */
function described(kind: ChainKind, row: readonly unknown[]): string {
  return kind === 'tap'
    ? `tap ${String(row[0])} (${iso(row[1])}, card ${String(row[2])})`
    : `correction ${String(row[0])} (${iso(row[1])}, session ${String(row[2])}, card ${String(row[3])})`;
}

/** One link as read beside its record; `row` is undefined when the record is gone. */
interface ReadLink {
  readonly seq: number;
  readonly kind: ChainKind;
  readonly ref: number;
  readonly hash: string;
  readonly row: readonly unknown[] | undefined;
}

/** Every link in order, each with its record's columns, read as one stream. */
function* linksOf(sql: Statements): Generator<ReadLink> {
  const t = CHAINED_COLUMNS.tap.map((column) => `t.${column}`).join(', ');
  const k = CHAINED_COLUMNS.correction.map((column) => `k.${column}`).join(', ');
  const rows = sql
    .stmt<[], unknown[]>(
      `SELECT c.seq, c.kind, c.ref, c.hash, ${t}, ${k} FROM chain c
       LEFT JOIN taps t ON c.kind = 'tap' AND t.id = c.ref
       LEFT JOIN corrections k ON c.kind = 'correction' AND k.id = c.ref
       ORDER BY c.seq`,
    )
    .raw()
    .iterate();
  const tapEnd = 4 + CHAINED_COLUMNS.tap.length;
  for (const r of rows) {
    const kind = r[1] as ChainKind;
    const row = kind === 'tap' ? r.slice(4, tapEnd) : r.slice(tapEnd);
    yield {
      seq: Number(r[0]),
      kind,
      ref: Number(r[2]),
      hash: String(r[3]),
      row: row[0] === null ? undefined : row,
    };
  }
}

/** A link whose hash did not follow from the one before: the next link tells whether its row or its hash changed. */
interface Doubt {
  readonly link: ReadLink;
  readonly row: readonly unknown[];
  /** The hash the link would have, from its row as it is now. */
  readonly recomputed: string;
}

/** Walks the chain in order, adding what is wrong with it to `findings`; counts its links. */
function walkChain(sql: Statements, findings: Findings): { taps: number; corrections: number } {
  const counts = { taps: 0, corrections: 0 };
  let previous: string | null = GENESIS; // null: not known, right after missing links
  let expected = 1;
  let doubt: Doubt | null = null;
  // A doubt settled by its successor following from its stored hash: the row is what changed.
  const changed = (): void => {
    if (doubt !== null)
      findings.add(
        `${described(doubt.link.kind, doubt.row)}: changed since it was written (its row no longer matches link ${doubt.link.seq})`,
      );
    doubt = null;
  };
  for (const link of linksOf(sql)) {
    counts[link.kind === 'tap' ? 'taps' : 'corrections'] += 1;
    if (link.seq !== expected) {
      findings.add(
        `link${link.seq - expected > 1 ? `s ${expected}–${link.seq - 1}` : ` ${expected}`} missing (the chain goes from ${expected - 1} to ${link.seq}): deleted from the chain`,
      );
      previous = null;
    }
    expected = link.seq + 1;
    if (link.row === undefined) {
      changed();
      findings.add(
        `${link.kind} ${link.ref} deleted: link ${link.seq} holds it, but its row is gone`,
      );
    } else if (previous === null) {
      changed();
    } else {
      const hash = linkHash(previous, link.kind, link.row);
      if (hash === link.hash) {
        changed();
      } else if (doubt !== null && linkHash(doubt.recomputed, link.kind, link.row) === link.hash) {
        findings.add(
          `link ${doubt.link.seq} of ${described(doubt.link.kind, doubt.row)}: its hash was changed (the row is as written; link ${link.seq} follows from the right hash)`,
        );
        doubt = null;
      } else {
        changed();
        doubt = { link, row: link.row, recomputed: hash };
      }
    }
    previous = link.hash;
  }
  changed();
  return counts;
}

/** Adds every record of `kind` with no link to `findings`. */
function findUnlinked(sql: Statements, kind: ChainKind, findings: Findings): void {
  const rows = sql
    .stmt<[string], unknown[]>(
      `SELECT ${CHAINED_COLUMNS[kind].join(', ')} FROM ${TABLE[kind]} r
       WHERE NOT EXISTS (SELECT 1 FROM chain c WHERE c.kind = ? AND c.ref = r.id) ORDER BY r.id`,
    )
    .raw()
    .iterate(kind);
  for (const row of rows) {
    findings.add(
      `${described(kind, row)}: not in the chain: added outside the clock, or its link was deleted`,
    );
  }
}

/**
 * Checks the whole record against its chain: rows changed or deleted, links changed, missing
 * or out of place, rows without a link. Streams both (one row in memory at a time) inside one
 * read transaction, so it sees one state of a store the clock is writing to.
 */
export function verifyChain(sql: Statements): ChainVerdict {
  const findings = new Findings();
  let counts = { taps: 0, corrections: 0 };
  sql.db.transaction(() => {
    if (backfillPending(sql))
      findings.add(
        'taps from before the chain (schema 6) are not all linked yet: start the clock once to link them',
      );
    counts = walkChain(sql, findings);
    findUnlinked(sql, 'tap', findings);
    findUnlinked(sql, 'correction', findings);
  })();
  const { problems, more } = findings;
  return problems.length === 0
    ? { whole: true, links: counts.taps + counts.corrections, ...counts }
    : { whole: false, problems, more };
}
