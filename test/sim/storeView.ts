/**
 * The world's own read-only look into the clock's SQLite file, for the
 * checks: sessions, and the outbox with what is pending and what was set
 * aside. A separate connection, so it outlives every kill of the clock.
 */
import Database from 'better-sqlite3';
import type { SessionRow } from '../../src/drivers/store/store';

/**
 * A session as the checks compare it: the store's own row type, without reason and reader, with
 * the clock's own times (the raw record) and a manager's corrections beside them.
 */
export type StoredSession = Pick<
  SessionRow,
  'id' | 'card' | 'name' | 'inAt' | 'outAt' | 'status'
> & {
  /** Corrected times (rule 13), when a correction applied; null otherwise. */
  readonly fixedIn?: number | null;
  readonly fixedOut?: number | null;
  /** 1 when a manager voided it. */
  readonly voided?: number;
  /** `unsynced` while its times wait for the clock to synchronise. */
  readonly clock?: string | null;
  /** When a refold (another door's late tap) superseded it; null otherwise. */
  readonly supersededAt?: number | null;
  /** The monotonic time of its clock-in, and the boot that time is of (null: not known). */
  readonly inMono?: number | null;
  readonly boot?: string | null;
};

export interface OutboxRow {
  readonly seq: number;
  readonly key: string;
  readonly kind: string;
  readonly card: string | null;
  /** The session an entry is about, when it is about one. */
  readonly session: string | null;
  readonly createdAt: number;
  readonly done: boolean;
  /** Set aside: the sheet refused it for good. */
  readonly setAside: boolean;
}

export class StoreView {
  private db: Database.Database | null = null;
  private hasFailure: boolean | null = null;

  constructor(private readonly file: string) {}

  private open(): Database.Database {
    this.db ??= new Database(this.file, { readonly: true, fileMustExist: true });
    return this.db;
  }

  sessions(since = -Infinity): StoredSession[] {
    return this.open()
      .prepare(
        `SELECT id, card, name, in_at AS inAt, out_at AS outAt, status, fixed_in AS fixedIn,
           fixed_out AS fixedOut, voided, clock, superseded_at AS supersededAt, in_mono AS inMono, boot
         FROM sessions WHERE in_at >= ? ORDER BY in_at, card`,
      )
      .all(Number.isFinite(since) ? since : -8.64e15) as StoredSession[];
  }

  /** Outbox entries that are pending or set aside (the rest are done and uninteresting). */
  unfinished(): OutboxRow[] {
    const db = this.open();
    this.hasFailure ??= (
      db.prepare("SELECT name FROM pragma_table_info('outbox')").all() as {
        name: string;
      }[]
    ).some((c) => c.name === 'failure');
    const failure = this.hasFailure ? 'failure' : 'NULL';
    const rows = db
      .prepare(
        `SELECT seq, key, kind, card, payload, created_at, done_at, ${failure} AS failure FROM outbox WHERE done_at IS NULL OR ${failure} IS NOT NULL ORDER BY seq`,
      )
      .all() as {
      seq: number;
      key: string;
      kind: string;
      card: string | null;
      payload: string;
      created_at: number;
      done_at: number | null;
      failure: string | null;
    }[];
    return rows.map((r) => {
      const payload = JSON.parse(r.payload) as { session?: string };
      return {
        seq: r.seq,
        key: r.key,
        kind: r.kind,
        card: r.card,
        session: payload.session ?? null,
        createdAt: r.created_at,
        done: r.done_at !== null,
        setAside: r.failure !== null,
      };
    });
  }

  /**
   * Entries marked done although an older entry they build on is still pending (one of the same
   * session; for a card's own entries, a name, an alias, a listing, one of the same card): the
   * outbox did not drain in order. An entry the sheet refused may be kept back while entries it
   * has nothing to do with go on (streams/heldBack.ts); those the sheet-equals-store check
   * finds, if they never drain.
   */
  outOfOrder(): { firstPending: number; doneAfter: number } | null {
    const db = this.open();
    const first = db.prepare('SELECT min(seq) FROM outbox WHERE done_at IS NULL').pluck().get() as
      number | null;
    if (first === null) return null;
    type Row = { seq: number; session: unknown; card: unknown; done: number };
    const rows = db
      .prepare(
        `SELECT seq, json_extract(payload, '$.session') AS session, json_extract(payload, '$.card') AS card,
         done_at IS NOT NULL AS done FROM outbox WHERE seq >= ? ORDER BY seq`,
      )
      .all(first) as Row[];
    // What each pending entry holds back: later entries of its session, or of its card.
    const pending = new Map<string, number>();
    const doneAfter = new Map<number, number>();
    for (const row of rows) {
      const about =
        typeof row.session === 'string' ? `session:${row.session}` : `card:${String(row.card)}`;
      const blocker = pending.get(about);
      if (row.done === 1 && blocker !== undefined)
        doneAfter.set(blocker, (doneAfter.get(blocker) ?? 0) + 1);
      if (row.done === 0) {
        if (!pending.has(about)) pending.set(about, row.seq);
        if (typeof row.session === 'string' && !pending.has(`card:${String(row.card)}`))
          pending.set(`card:${String(row.card)}`, row.seq);
      }
    }
    const [firstOut] = [...doneAfter.keys()].sort((a, b) => a - b);
    return firstOut === undefined
      ? null
      : { firstPending: firstOut, doneAfter: doneAfter.get(firstOut) ?? 0 };
  }

  /**
   * Corrections applied that closed a session the clock had open (a manager gave it an Out, or
   * voided it): when the clock judged each, the session, and where it closed it (the Out given;
   * for a void, the moment it was judged).
   */
  closedByManager(): {
    readonly seenAt: number;
    readonly session: string;
    readonly outAt: number;
  }[] {
    const rows = this.open()
      .prepare(
        `SELECT seen_at AS seenAt, session, field, new FROM corrections
         WHERE applied = 1 AND ((field = 'out' AND old IS NULL)
           OR (field = 'status' AND old = 'in' AND new = 'void')) ORDER BY id`,
      )
      .all() as { seenAt: number; session: string; field: string; new: string }[];
    return rows.map((row) => ({
      seenAt: row.seenAt,
      session: row.session,
      outAt: row.field === 'out' ? Date.parse(row.new) : row.seenAt,
    }));
  }

  /** Sessions a refold superseded that a later refold made again (multi-door). */
  madeAgain(): number {
    return this.open()
      .prepare(
        `SELECT count(DISTINCT a.session) FROM merge_changes a JOIN merge_changes b
           ON b.session = a.session AND b.id > a.id
         WHERE a.change = 'superseded' AND b.change IN ('changed', 'added')`,
      )
      .pluck()
      .get() as number;
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
