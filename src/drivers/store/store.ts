/**
 * The durable local store on SQLite (better-sqlite3, synchronous). It is the
 * clock's memory and the authority the sheet and the reports are fed from.
 *
 * Durability: WAL with `synchronous = FULL`, so every commit is fsynced to the
 * WAL before `commit()` returns: a power cut after it loses nothing. (WAL's
 * NORMAL would stay consistent but could lose the last commits on power loss.)
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  realpathSync,
  rmSync,
  statSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Commit, OutboxEntry } from '../../../streams/commit';
import type { Command, DomainEvent } from '../../../streams/events';
import type { OpenSession, Snapshot, Unsynced } from '../../../streams/sessions';
import { MIGRATIONS, SCHEMA_VERSION } from './schema';
import { missingDatabase, OpenedFiles, rescuePathOf, writeMarker } from './dbFiles';

export const DB_FILE_NAME = 'badgeclock.db';

/**
 * How long an outbox entry the sheet confirmed is kept after it was done. Within
 * it, the same key is never stored or sent again (the outbox's INSERT OR IGNORE)
 * and a person can still see what went to the sheet lately; after it, the row is
 * pruned (`Store.prune`). Entries set aside, and those that list a card, are kept
 * for good.
 */
export const OUTBOX_RETENTION_MS = 7 * 86_400_000;

/** The commands the store writes (the others are for the sheet). */
const STORED_COMMANDS: ReadonlySet<Command['type']> = new Set<Command['type']>([
  'markDone',
  'correctTimes',
  'followCard',
  'keepSighting',
  'nameCard',
]);

/**
 * The events the store writes. The others (a tap's outcome, sync reports) are
 * kept only through the tap they belong to, or not at all.
 */
const STORED_EVENTS: ReadonlySet<DomainEvent['type']> = new Set<DomainEvent['type']>([
  'tap',
  'clock-in',
  'clock-out',
  'auto-out',
]);

/** Whether a commit has anything for the store: a stored event or command, or an outbox entry. */
const writesSomething = (commit: Commit): boolean =>
  commit.events.some((event) => STORED_EVENTS.has(event.type)) ||
  commit.outbox.length > 0 ||
  commit.commands.some((command) => STORED_COMMANDS.has(command.type));

/** A store problem a person can act on: names the file, says what to do. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface SessionRow {
  readonly id: string;
  readonly card: string;
  readonly name: string | null;
  readonly inAt: number;
  readonly outAt: number | null;
  readonly status: 'in' | 'out' | 'auto';
  readonly reason: string | null;
  readonly reader: string;
}

export interface PendingEntry {
  readonly seq: number;
  readonly createdAt: number;
  readonly entry: OutboxEntry;
}

export interface StoreStatus {
  readonly open: readonly SessionRow[];
  readonly outboxDepth: number;
  readonly oldestPendingAt: number | null;
  readonly lastTap: { readonly at: number; readonly card: string; readonly outcome: string } | null;
  /** When the sheet last confirmed an outbox entry. */
  readonly lastSyncAt: number | null;
  /** Entries the sheet refused for good, set aside so the rest flows: the 20 most recent. */
  readonly setAside: readonly SetAsideEntry[];
  readonly setAsideCount: number;
  readonly bytes: number;
}

export interface SetAsideEntry {
  readonly key: string;
  readonly kind: OutboxEntry['kind'];
  readonly failure: string;
  readonly createdAt: number;
}

interface RawSession {
  id: string;
  card: string;
  name: string | null;
  in_at: number;
  out_at: number | null;
  status: 'in' | 'out' | 'auto';
  reason: string | null;
  reader: string;
  clock: 'unsynced' | 'corrected' | null;
  in_mono: number | null;
  out_mono: number | null;
  boot: string | null;
}

const toSession = (row: RawSession): SessionRow => ({
  id: row.id,
  card: row.card,
  name: row.name,
  inAt: row.in_at,
  outAt: row.out_at,
  status: row.status,
  reason: row.reason,
  reader: row.reader,
});

/** What each way SQLite can fail at start means for the person running the clock. */
function explain(error: unknown, file: string): StoreError {
  // better-sqlite3 reports extended codes (SQLITE_READONLY_DIRECTORY, SQLITE_CANTOPEN_ISDIR…): match the primary code.
  const full = (error as { code?: string }).code ?? '';
  const code = /^SQLITE_[A-Z]+/.exec(full)?.[0] ?? full;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError(
      `database ${file} is not a valid badgeclock database or is corrupt (${message}). It was not changed. ` +
        `Restore it from a backup, or move it aside to start with an empty store (see README, "Data").`,
      file,
    );
  }
  if (
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return new StoreError(
      `cannot open database ${file} for writing (${message}). Check that the data directory ${dirname(file)} ` +
        `exists and is writable by this user, or set BADGECLOCK_DATA_DIR.`,
      file,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new StoreError(
      `the disk holding ${file} is full (${message}). Free some space; no accepted tap was lost.`,
      file,
    );
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreError(
      `database ${file} is locked by another process (${message}). Is another badgeclock running?`,
      file,
    );
  }
  return new StoreError(`database ${file}: ${message}`, file);
}

export interface OpenOptions {
  /** Reports and status open the store read-only and never create it. */
  readonly readonly?: boolean;
  /** Create the database even where its marker says one existed (a deliberate fresh start). */
  readonly newInstall?: boolean;
}

export class Store {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    private readonly opened: OpenedFiles | null = null,
  ) {}

  /** Opens (creating and migrating when writable) the store at `file`, or throws a StoreError. */
  static open(file: string, options: OpenOptions = {}): Store {
    const memory = file === ':memory:';
    const path = memory ? file : resolve(file);
    const dir = dirname(path);
    const readonly = options.readonly === true;
    // A database that disappeared is a fault to report, never a reason to start empty.
    const missing = memory || existsSync(path) ? null : missingDatabase(path);
    if (missing !== null && (readonly || options.newInstall !== true)) {
      throw new StoreError(missing, path);
    }
    if (readonly && !existsSync(path)) {
      throw new StoreError(
        `no database at ${path} yet: run the clock once (npm start), or check BADGECLOCK_DATA_DIR.`,
        path,
      );
    }
    if (!readonly && !memory) {
      try {
        mkdirSync(dir, { recursive: true });

        accessSync(dir, constants.W_OK);
        if (existsSync(path)) accessSync(path, constants.R_OK | constants.W_OK);
      } catch (error) {
        throw new StoreError(
          `data directory ${dir} is not writable (${(error as Error).message}). ` +
            `Make it writable by this user (chown/chmod), or set BADGECLOCK_DATA_DIR to a writable directory.`,
          path,
        );
      }
    }
    // An existing file is checked on a read-only connection first: refusing it must not change it
    // (a read-write connection would fold a leftover WAL into a damaged or newer file on close).
    if (!memory && existsSync(path)) {
      let check: Database.Database | undefined;
      // A read-only connection to a WAL database creates -wal/-shm; remove what it created.
      const sideFiles = [`${path}-wal`, `${path}-shm`].filter((side) => !existsSync(side));
      try {
        check = new Database(path, { readonly: true, fileMustExist: true });
        refuseUnusable(check, path);
      } catch (error) {
        throw error instanceof StoreError ? error : explain(error, path);
      } finally {
        check?.close();
        for (const side of sideFiles) rmSync(side, { force: true });
      }
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly, fileMustExist: readonly });
      // An existing file was checked above; a new one is empty.
      const version = Number(db.pragma('user_version', { simple: true }));
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('busy_timeout = 5000');
        migrate(db, version);
        if (!memory) {
          writeMarker(path, options.newInstall === true);
          return new Store(db, path, new OpenedFiles(path));
        }
      } else {
        db.pragma('busy_timeout = 5000');
        if (version < SCHEMA_VERSION) {
          throw new StoreError(
            `database ${path} is from an older badgeclock (schema ${version}); start the clock once to upgrade it.`,
            path,
          );
        }
      }
      return new Store(db, path);
    } catch (error) {
      db?.close();
      throw error instanceof StoreError ? error : explain(error, path);
    }
  }

  /**
   * Commits one reducer step in one transaction: all of it, or none of it.
   * `boot` names the boot the step's monotonic times belong to (see snapshot).
   */
  commit(commit: Commit, now: number, boot?: string): void {
    this.refuseIfReplaced(now);
    // Most steps (a tick, a live update's answer) change nothing durable: no transaction then.
    if (!writesSomething(commit)) return;
    try {
      this.commitTransaction(commit, now, boot ?? null);
    } catch (error) {
      throw explain(error, this.file);
    }
  }

  private readonly commitTransaction = (commit: Commit, now: number, boot: string | null): void => {
    this.transaction(() => {
      let tapId: number | bigint | null = null;
      // An event type that writes here must be in STORED_EVENTS, a command in STORED_COMMANDS.
      for (const event of commit.events) {
        switch (event.type) {
          case 'tap':
            tapId = this.stmt(
              'INSERT INTO taps (at, card, reader, outcome) VALUES (?, ?, ?, ?)',
            ).run(event.at, event.card, event.reader, 'tap').lastInsertRowid;
            break;
          case 'clock-in':
            this.stmt(
              "INSERT INTO sessions (id, card, name, in_at, status, reader, clock, in_mono, boot) VALUES (?, ?, ?, ?, 'in', ?, ?, ?, ?)",
            ).run(
              event.session,
              event.card,
              event.name,
              event.at,
              event.reader,
              event.unsynced === true ? 'unsynced' : null,
              event.mono ?? null,
              event.mono === undefined ? null : boot,
            );
            this.outcome(tapId, 'clock-in', event.session);
            break;
          case 'clock-out':
            this.stmt(
              "UPDATE sessions SET out_at = ?, status = 'out', name = coalesce(name, ?), clock = coalesce(?, clock) WHERE id = ?",
            ).run(event.at, event.name, event.unsynced === true ? 'unsynced' : null, event.session);
            this.closedAtMono(event.session, event.mono, boot);
            this.outcome(tapId, 'clock-out', event.session);
            break;
          case 'auto-out':
            this.stmt(
              "UPDATE sessions SET out_at = ?, status = 'auto', reason = ? WHERE id = ?",
            ).run(event.at, event.reason, event.session);
            this.closedAtMono(event.session, event.mono, boot);
            break;
          case 'ignored':
          case 'unknown':
            this.outcome(tapId, event.type, null);
            break;
          case 'reader-fault':
            break;
        }
      }
      for (const command of commit.commands) {
        if (command.type === 'markDone') {
          const done = this.stmt(
            'UPDATE outbox SET done_at = ?, failure = ? WHERE key = ? AND done_at IS NULL',
          );
          for (const key of command.keys) done.run(command.at, command.failure ?? null, key);
        } else if (command.type === 'correctTimes') {
          // A closed session's correction carries both ends. Should one ever come with the
          // clock-in alone, its clock-out is clamped to it rather than break the CHECK
          // (out_at >= in_at) and stop the clock: defensive, the reducer never sends that.
          const fix = this.stmt(
            `UPDATE sessions SET in_at = ?,
               out_at = CASE WHEN coalesce(?, out_at) IS NULL THEN NULL ELSE max(?, coalesce(?, out_at)) END,
               clock = 'corrected'
             WHERE id = ?`,
          );
          for (const session of command.sessions)
            fix.run(session.inAt, session.outAt, session.inAt, session.outAt, session.session);
        } else if (command.type === 'followCard') {
          this.stmt('UPDATE sessions SET card = ? WHERE id = ?').run(command.card, command.session);
        } else if (command.type === 'keepSighting') {
          this.stmt(
            'INSERT INTO sightings (card, at, reader) VALUES (?, ?, ?) ON CONFLICT (card) DO UPDATE SET at = excluded.at, reader = excluded.reader',
          ).run(command.card, command.at, command.reader);
        } else if (command.type === 'nameCard') {
          this.stmt('UPDATE sessions SET name = ? WHERE card = ? AND name IS NULL').run(
            command.name,
            command.card,
          );
        }
      }
      const insert = this.stmt(
        'INSERT OR IGNORE INTO outbox (key, kind, card, payload, created_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const entry of commit.outbox) {
        insert.run(entry.key, entry.kind, entry.card, JSON.stringify(entry), now);
      }
    });
  };

  /**
   * The monotonic time of an unsynced close, in `boot`. A clock-in's monotonic
   * time from another boot means nothing beside it, so it is dropped.
   */
  private closedAtMono(session: string, mono: number | undefined, boot: string | null): void {
    if (mono === undefined) return;
    this.stmt(
      'UPDATE sessions SET out_mono = ?, in_mono = CASE WHEN boot IS ? THEN in_mono END, boot = ? WHERE id = ?',
    ).run(mono, boot, boot, session);
  }

  private outcome(tapId: number | bigint | null, outcome: string, session: string | null): void {
    if (tapId === null) return;
    this.stmt('UPDATE taps SET outcome = ?, session = coalesce(?, session) WHERE id = ?').run(
      outcome,
      session,
      tapId,
    );
  }

  /**
   * What the clock needs to carry on after a restart, as of `now`. Monotonic
   * times (an open session's, and those of sessions taken on an unsynchronised
   * clock, to correct them) come back only when `boot` is the boot they were
   * taken in: after a reboot the monotonic clock starts again from zero.
   */
  snapshot(now: number, boot?: string): Snapshot {
    const open = this.stmt<[], RawSession>(
      "SELECT * FROM sessions WHERE status = 'in' ORDER BY in_at",
    ).all();
    const lastAccepted = this.stmt<[], { card: string; at: number }>(
      "SELECT card, max(CASE WHEN status = 'out' THEN out_at ELSE in_at END) AS at FROM sessions GROUP BY card",
    ).all();
    const recent = this.stmt<[number], { card: string; in_at: number; out_at: number }>(
      'SELECT card, in_at, out_at FROM sessions WHERE out_at IS NOT NULL AND out_at >= ?',
    ).all(now - 3 * 86_400_000);
    const listed = this.stmt<[], { card: string }>(
      "SELECT card FROM outbox WHERE kind = 'card-listed'",
    ).all();
    const unnamed = this.stmt<[], { card: string }>(
      'SELECT DISTINCT card FROM sessions WHERE name IS NULL',
    ).all();
    const thisBoot = (row: RawSession): boolean => boot !== undefined && row.boot === boot;
    const unsynced =
      boot === undefined
        ? []
        : this.stmt<[string], RawSession>(
            "SELECT * FROM sessions WHERE clock = 'unsynced' AND boot = ? ORDER BY in_at",
          ).all(boot);
    const sightings = this.stmt<[], { card: string; at: number }>(
      'SELECT card, at FROM sightings',
    ).all();
    const lastTapAt = this.stmt<[], { at: number | null }>('SELECT max(at) AS at FROM taps').get();
    return {
      open: open.map((row): OpenSession => ({
        id: row.id,
        card: row.card,
        name: row.name,
        inAt: row.in_at,
        reader: row.reader,
        ...(thisBoot(row) && row.in_mono !== null ? { inMono: row.in_mono } : {}),
      })),
      lastAccepted,
      recent: recent.map((row) => ({ card: row.card, inAt: row.in_at, outAt: row.out_at })),
      listed: listed.map((row) => row.card),
      unnamed: unnamed.map((row) => row.card),
      sightings,
      lastTapAt: lastTapAt?.at ?? null,
      unsynced: unsynced.map((row): Unsynced => ({
        session: row.id,
        card: row.card,
        inAt: row.in_at,
        outAt: row.out_at,
        ...(row.in_mono === null ? {} : { inMono: row.in_mono }),
        ...(row.out_mono === null ? {} : { outMono: row.out_mono }),
      })),
    };
  }

  /** Pending outbox entries, oldest first. */
  pending(limit = 500): PendingEntry[] {
    return this.stmt<[number], { seq: number; created_at: number; payload: string }>(
      'SELECT seq, created_at, payload FROM outbox WHERE done_at IS NULL ORDER BY seq LIMIT ?',
    )
      .all(limit)
      .map((row) => ({
        seq: row.seq,
        createdAt: row.created_at,
        entry: JSON.parse(row.payload) as OutboxEntry,
      }));
  }

  /** How many outbox entries are pending. */
  depth(): number {
    return Number(
      this.db.prepare('SELECT count(*) FROM outbox WHERE done_at IS NULL').pluck().get(),
    );
  }

  /** How many outbox entries the sheet refused for good and were set aside. */
  setAsideCount(): number {
    return Number(
      this.db.prepare('SELECT count(*) FROM outbox WHERE failure IS NOT NULL').pluck().get(),
    );
  }

  /**
   * Marks entries done once their sink confirmed them, or set aside with the
   * `failure` the sink refused them for good with; returns how many were pending.
   */
  markDone(keys: readonly string[], at: number, failure?: string): number {
    const update = this.stmt(
      'UPDATE outbox SET done_at = ?, failure = ? WHERE key = ? AND done_at IS NULL',
    );
    let changed = 0;
    this.transaction(() => {
      for (const key of keys) changed += update.run(at, failure ?? null, key).changes;
    });
    return changed;
  }

  /**
   * Deletes at most `limit` outbox entries the sheet confirmed more than
   * OUTBOX_RETENTION_MS before both `now` and the last confirmation, oldest
   * first; returns how many. Counting from the last confirmation too means an
   * outage, or a wall clock set far ahead, never takes the newest ones, so
   * `status` still knows the last sync. Never deleted: pending entries, entries
   * set aside (`status` lists them) and `card-listed` ones (the snapshot reads
   * them: a card is listed for naming once, a row per card). SQLite reuses the
   * freed pages, so the file stops growing with the outbox; no VACUUM needed.
   */
  prune(now: number, limit: number): number {
    // The outbox drains in order: the last confirmed entry is the last done one by seq,
    // found from the end of the table past the pending ones, not by a scan of all of it.
    const last = this.stmt<[], { at: number }>(
      'SELECT done_at AS at FROM outbox WHERE done_at IS NOT NULL AND failure IS NULL ORDER BY seq DESC LIMIT 1',
    ).get();
    if (last === undefined) return 0;
    try {
      return this.stmt<[number, number]>(
        `DELETE FROM outbox WHERE seq IN (
           SELECT seq FROM outbox
           WHERE done_at < ? AND failure IS NULL AND kind <> 'card-listed'
           ORDER BY seq LIMIT ?)`,
      ).run(Math.min(now, last.at) - OUTBOX_RETENTION_MS, limit).changes;
    } catch (error) {
      throw explain(error, this.file);
    }
  }

  /** Sessions that overlap [from, to), oldest first. */
  sessionsBetween(from: number, to: number): SessionRow[] {
    return this.stmt<[number, number], RawSession>(
      'SELECT * FROM sessions WHERE in_at < ? AND (out_at IS NULL OR out_at > ?) ORDER BY in_at, card',
    )
      .all(to, from)
      .map(toSession);
  }

  /** Every session of the store, oldest first. */
  allSessions(): SessionRow[] {
    return this.stmt<[], RawSession>('SELECT * FROM sessions ORDER BY in_at, card')
      .all()
      .map(toSession);
  }

  /** Counts for checks and tests. */
  counts(): { taps: number; sessions: number; outbox: number } {
    const one = (sql: string): number => Number(this.db.prepare(sql).pluck().get());
    return {
      taps: one('SELECT count(*) FROM taps'),
      sessions: one('SELECT count(*) FROM sessions'),
      outbox: one('SELECT count(*) FROM outbox'),
    };
  }

  status(): StoreStatus {
    const open = this.stmt<[], RawSession>(
      "SELECT * FROM sessions WHERE status = 'in' ORDER BY in_at",
    ).all();
    const pending = this.stmt<[], { depth: number; oldest: number | null }>(
      'SELECT count(*) AS depth, min(created_at) AS oldest FROM outbox WHERE done_at IS NULL',
    ).get();
    const lastTap = this.stmt<[], { at: number; card: string; outcome: string }>(
      'SELECT at, card, outcome FROM taps ORDER BY id DESC LIMIT 1',
    ).get();
    const setAside = this.stmt<
      [],
      { key: string; kind: OutboxEntry['kind']; failure: string; created_at: number }
    >(
      'SELECT key, kind, failure, created_at FROM outbox WHERE failure IS NOT NULL ORDER BY done_at DESC, seq DESC LIMIT 20',
    ).all();
    const size = (path: string): number => (existsSync(path) ? statSync(path).size : 0);
    const one = (sql: string): number => Number(this.db.prepare(sql).pluck().get());
    return {
      open: open.map(toSession),
      outboxDepth: pending?.depth ?? 0,
      oldestPendingAt: pending?.oldest ?? null,
      lastTap: lastTap ?? null,
      // An entry set aside was not taken by the sheet: it is no sync.
      lastSyncAt: one('SELECT max(done_at) FROM outbox WHERE failure IS NULL') || null,
      setAside: setAside.map((row) => ({
        key: row.key,
        kind: row.kind,
        failure: row.failure,
        createdAt: row.created_at,
      })),
      setAsideCount: one('SELECT count(*) FROM outbox WHERE failure IS NOT NULL'),
      bytes: size(this.file) + size(`${this.file}-wal`),
    };
  }

  /** `PRAGMA integrity_check`: 'ok' or the problems found. */
  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  /** An online, consistent copy of the database (SQLite's backup API). */
  async backup(destination: string): Promise<void> {
    await this.db.backup(destination);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Throws when the database or its log was deleted or replaced since it was
   * opened: a commit would go into a file no later start can see. What the
   * clock had is saved beside it first (VACUUM INTO reads the deleted file
   * through the open connection).
   */
  private refuseIfReplaced(now: number): void {
    const why = this.opened?.changed() ?? null;
    if (why === null) return;
    const copy = rescuePathOf(this.file, now);
    let saved: string;
    try {
      this.db.prepare('VACUUM INTO ?').run(copy);
      saved = `Every tap taken until now is saved in ${copy}: put it back as ${this.file} (README, "Data") and start again.`;
    } catch (error) {
      saved = `Saving what it had failed (${error instanceof Error ? error.message : String(error)}): restore the last backup.`;
    }
    throw new StoreError(
      `database ${this.file} was deleted or replaced while the clock was running (${why}). ${saved}`,
      this.file,
    );
  }

  private readonly statements = new Map<string, Database.Statement>();

  private stmt<P extends unknown[] = unknown[], R = unknown>(
    sql: string,
  ): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Database.Statement<P, R>;
  }

  private transaction(work: () => void): void {
    this.db.transaction(work).immediate();
  }
}

/** What each of the database's own files is, for a person. */
const OWN_FILES: readonly { readonly suffix: string; readonly what: string }[] = [
  { suffix: '', what: 'the live database' },
  { suffix: '-wal', what: "the live database's write-ahead log" },
  { suffix: '-shm', what: "the live database's shared-memory index" },
];

/**
 * Which of the database `file`'s own files (itself, its -wal, its -shm) `path`
 * names, by any name: `..`, a symbolic link on the way, a hard link. Null when
 * none. A backup written there would overwrite the store it copies.
 */
export function ownFileAt(path: string, file: string): { file: string; what: string } | null {
  const target = statOrNull(path);
  const named = canonical(path);
  for (const { suffix, what } of OWN_FILES) {
    const own = `${file}${suffix}`;
    const stats = statOrNull(own);
    const sameFile =
      target !== null && stats !== null && target.dev === stats.dev && target.ino === stats.ino;
    // A -wal that does not exist now is still the name SQLite will open as the log.
    if (sameFile || named === canonical(own)) return { file: own, what };
  }
  return null;
}

/** The path with its directory's symbolic links and `..` resolved (the file itself may not exist). */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return absolute;
  }
}

/** The file `path` names after following symbolic links, or null when there is none. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Refuses a database written by a newer badgeclock, or one that fails SQLite's quick check. */
function refuseUnusable(db: Database.Database, path: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      `database ${path} has schema version ${version}, newer than this badgeclock knows (${SCHEMA_VERSION}). ` +
        `It was written by a newer version: upgrade badgeclock, or restore a backup made by this one. The file was not changed.`,
      path,
    );
  }
  const result = String(db.pragma('quick_check', { simple: true }));
  if (result !== 'ok') {
    throw new StoreError(
      `database ${path} failed its integrity check (${result.split('\n').slice(0, 3).join('; ')}). It was not changed. ` +
        `Restore it from a backup, or move it aside to start with an empty store (see README, "Data").`,
      path,
    );
  }
}

function migrate(db: Database.Database, from: number): void {
  for (let version = from; version < MIGRATIONS.length; version++) {
    const sql = MIGRATIONS[version] ?? '';
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
