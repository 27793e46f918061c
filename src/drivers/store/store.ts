/**
 * The durable local store on SQLite (better-sqlite3, synchronous). It is the
 * clock's memory and the authority the sheet and the reports are fed from.
 *
 * Durability: WAL with `synchronous = FULL`, so every commit is fsynced to the
 * WAL before `commit()` returns: a power cut after it loses nothing. (WAL's
 * NORMAL would stay consistent but could lose the last commits on power loss.)
 *
 * `Store` is the one face the rest of the clock sees; each of its jobs lives in
 * a module beside it: opening and checking the file (`openDatabase.ts`),
 * committing a step (`commitStep.ts`), the snapshot a restart reads
 * (`readSnapshot.ts`), the outbox (`outboxQueries.ts`), sessions for reports
 * (`sessionRows.ts`), status and counts (`storeStatus.ts`), the hash chain over
 * the raw record (`chain.ts`), and the backup's guard (`ownFileAt.ts`).
 */
import type Database from 'better-sqlite3';
import type { Commit } from '../../../streams/commit';
import type { RefoldHistory } from '../../../streams/events';
import type { Snapshot } from '../../../streams/sessions';
import { verifyChain, type ChainVerdict } from './chain';
import { changesSessions, commitStep, writesSomething } from './commitStep';
import { rescuePathOf, type OpenedFiles } from './dbFiles';
import { openDatabase, type OpenOptions } from './openDatabase';
import {
  markKeysDone,
  pendingCount,
  pendingEntries,
  pruneOutbox,
  setAsideCount,
  type PendingEntry,
} from './outboxQueries';
import { readSnapshot } from './readSnapshot';
import { allSessions, openSessions, sessionsBetween, type SessionRow } from './sessionRows';
import {
  addFixRequest,
  correctionContext,
  editsBetween,
  fixOutcome,
  pendingFixes,
  type EditRow,
  type FixRequest,
} from './corrections';
import {
  addToInbox,
  advanceCursor,
  inboxWaiting,
  lateWaiting,
  notePresence,
  publishBacklog,
  publishCursor,
  sharingStatus,
  tapsToPublish,
  type SharedTap,
  type SharingStatus,
} from './mqttQueries';
import { readRefoldHistory } from './refoldHistory';
import { Statements } from './statements';
import { sharedCorrections, type SharedCorrections } from './sharedCorrections';
import { watchCount, watchedRows, type WatchCursor } from './watchedRows';
import { explain, StoreError } from './storeError';
import { readStatus, storeCounts, type StoreStatus } from './storeStatus';

export type { ChainVerdict } from './chain';
export { remoteRead, type SharedTap, type SharingStatus } from './mqttQueries';
export { OUTBOX_RETENTION_MS, type PendingEntry } from './outboxQueries';
export { ownFileAt } from './ownFileAt';
export type { OpenOptions } from './openDatabase';
export type { EditRow } from './corrections';
export type { SessionRow } from './sessionRows';
export { StoreError } from './storeError';
export type { SetAsideEntry, StoreStatus } from './storeStatus';

export const DB_FILE_NAME = 'badgeclock.db';

export class Store {
  private readonly sql: Statements;
  /** Steps committed by this Store (each a transaction); what is read from it may have changed. */
  private committed = 0;

  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
    private readonly opened: OpenedFiles | null = null,
  ) {
    this.sql = new Statements(db);
  }

  /** Opens (creating and migrating when writable) the store at `file`, or throws a StoreError. */
  static open(file: string, options: OpenOptions = {}): Store {
    const { db, path, opened } = openDatabase(file, options);
    return new Store(db, path, opened);
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
      commitStep(this.sql, commit, now, boot ?? null);
      if (changesSessions(commit)) this.committed += 1;
    } catch (error) {
      throw explain(error, this.file);
    }
  }

  /**
   * What the clock needs to carry on after a restart, as of `now`. Monotonic
   * times (an open session's, and those of sessions taken on an unsynchronised
   * clock, to correct them) come back only when `boot` is the boot they were
   * taken in: after a reboot the monotonic clock starts again from zero.
   */
  snapshot(now: number, boot?: string): Snapshot {
    return readSnapshot(this.sql, now, boot);
  }

  /**
   * How many steps this Store has committed that could change the sessions' totals (not an
   * outbox entry done, nor a held card's sighting): a reader that remembers what it read (the
   * Totals tab's closed sessions) reads again when it moved.
   */
  changes(): number {
    return this.committed;
  }

  /** Pending outbox entries, oldest first. */
  pending(limit = 500): PendingEntry[] {
    return pendingEntries(this.sql, limit);
  }

  /** How many outbox entries are pending. */
  depth(): number {
    return pendingCount(this.sql);
  }

  /** How many outbox entries the sheet refused for good and were set aside. */
  setAsideCount(): number {
    return setAsideCount(this.sql);
  }

  /**
   * Marks entries done once their sink confirmed them, or set aside with the
   * `failure` the sink refused them for good with; returns how many were pending.
   */
  markDone(keys: readonly string[], at: number, failure?: string): number {
    let changed = 0;
    this.sql.transaction(() => {
      changed = markKeysDone(this.sql, keys, at, failure);
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
    return pruneOutbox(this.sql, this.file, now, limit);
  }

  /** Sessions that overlap [from, to), oldest first. */
  sessionsBetween(from: number, to: number): SessionRow[] {
    return sessionsBetween(this.sql, from, to);
  }

  /** How many sessions clocked in at or after `from` (the rows the sheet's read-back watches). */
  watchCount(from: number): number {
    return watchCount(this.sql, from);
  }

  /** A slice of those sessions, as their `Log` rows should show them (watchedRows.ts). */
  watchedRows(
    from: number,
    after: WatchCursor | null,
    limit: number,
  ): ReturnType<typeof watchedRows> {
    return watchedRows(this.sql, from, after, limit);
  }

  /** Every session of the store, oldest first. */
  allSessions(): SessionRow[] {
    return allSessions(this.sql);
  }

  /** Counts for checks and tests. */
  counts(): { taps: number; sessions: number; outbox: number } {
    return storeCounts(this.sql);
  }

  status(): StoreStatus {
    return readStatus(this.sql, this.file);
  }

  /** Another door's tap received; false when it was here already (docs/multi-door.md). */
  addToInbox(tap: SharedTap, now: number): boolean {
    return addToInbox(this.sql, tap, now);
  }

  /** Other doors' taps waiting for the core, in the order they came. */
  inboxWaiting(): SharedTap[] {
    return inboxWaiting(this.sql);
  }

  /** The last own tap the broker acknowledged (at first, the newest: history stays local). */
  publishCursor(): number {
    return publishCursor(this.sql);
  }

  /** This door's own taps the broker has not acknowledged, oldest first, and where they start. */
  tapsToPublish(limit: number, after = publishCursor(this.sql)): ReturnType<typeof tapsToPublish> {
    return tapsToPublish(this.sql, after, limit);
  }

  /** The broker acknowledged every own tap up to `seq`. */
  published(seq: number): void {
    advanceCursor(this.sql, seq);
  }

  /** A manager's corrections shared from the hub to the doors (sharedCorrections.ts). */
  get sharedCorrections(): SharedCorrections {
    return sharedCorrections(this.sql);
  }

  /** Another door's last word on its state topic (online with its backlog, or offline). */
  notePresence(
    presence: { door: string; state: string; at: number | null; backlog: number | null },
    now: number,
  ): void {
    notePresence(this.sql, presence, now);
  }

  /** People with late taps whose refold never came (a restart in between), and the earliest. */
  lateWaiting(): { person: string; at: number }[] {
    return lateWaiting(this.sql);
  }

  /** A person's history for a refold after another door's late tap (streams/refold.ts). */
  refoldHistory(
    card: string,
    lateAt: number,
    door: string,
    now: number,
    ids?: readonly string[],
  ): RefoldHistory {
    return readRefoldHistory(this.sql, card, lateAt, door, now, ids);
  }

  /** This door's taps the broker has not acknowledged. */
  publishBacklog(): number {
    return publishBacklog(this.sql);
  }

  /** The open sessions, oldest first. */
  openSessions(): SessionRow[] {
    return openSessions(this.sql);
  }

  /** This door's publishing backlog, taps kept late, and what each other door last sent. */
  sharingStatus(): SharingStatus {
    return sharingStatus(this.sql);
  }

  /** Queues a `badgeclock fix` request (rule 13); returns its id. */
  addFixRequest(request: Omit<FixRequest, 'id'>): number {
    return addFixRequest(this.sql, request);
  }

  /**
   * SQLite's `data_version`: it moves when another connection (a `badgeclock
   * fix`) commits, not when this one does, so a poll can skip its query while
   * nobody else wrote.
   */
  othersWrote(): number {
    return (
      this.sql.stmt<[], { data_version: number }>('PRAGMA data_version').get()?.data_version ?? 0
    );
  }

  /** The `fix` requests not judged yet, oldest first. */
  pendingFixes(): FixRequest[] {
    return pendingFixes(this.sql);
  }

  /** The corrections seen in [from, to), for `report --edits`. */
  editsBetween(from: number, to: number): EditRow[] {
    return editsBetween(this.sql, from, to);
  }

  /** How `fix` request `id` was judged, or null while it waits. */
  fixOutcome(id: number): ReturnType<typeof fixOutcome> {
    return fixOutcome(this.sql, id);
  }

  /** A session as a correction sees it, and the same person's sessions around it. */
  correctionContext(session: string): ReturnType<typeof correctionContext> {
    return correctionContext(this.sql, session);
  }

  /** Whether the raw record is whole: every tap and correction as its hash chain says (rule 13). */
  verify(): ChainVerdict {
    return verifyChain(this.sql);
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
}
