/**
 * Shared by the store tests: temporary data directories, a reducer that commits
 * every step as the live clock does, and ways to look at a database file from
 * the outside.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { toCommit } from '../../streams/commit';
import type { Person } from '../../streams/directory';
import type {
  CardRead,
  ClockEvent,
  CorrectionJudged,
  DirectoryLoaded,
  Output,
} from '../../streams/events';
import { defaultRules, type Rules } from '../../streams/rules';
import { initialState, makeReducer, restoreState, type ClockState } from '../../streams/sessions';
import { Store } from '../../src/drivers/store/store';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/** A fresh directory under the system's temp dir; `remove` deletes it and everything in it. */
export function tempDir(prefix: string): { readonly path: string; readonly remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `badgeclock-${prefix}-`));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export const read = (at: number, card: string, reader = 'door'): CardRead => ({
  type: 'cardRead',
  at,
  card,
  reader,
});

export const people = (at: number, list: readonly Partial<Person>[]): DirectoryLoaded => ({
  type: 'directoryLoaded',
  at,
  people: list.map((p) => ({ card: '', name: '', active: true, aliases: [], ...p })),
});

/** A manager's correction of one of `who`'s sessions, typed into the sheet and applied. */
export const correctionOf = (
  at: number,
  session: string,
  who: { readonly card: string; readonly name: string },
  fix: Pick<CorrectionJudged, 'changes' | 'inAt' | 'outAt' | 'voided' | 'status'> &
    Partial<CorrectionJudged>,
): CorrectionJudged => ({
  type: 'correctionJudged',
  at,
  session,
  card: who.card,
  name: who.name,
  source: 'sheet',
  why: null,
  applied: true,
  closes: false,
  ...fix,
});

/**
 * What a manager's move of a closed session's Out from `from` to `to` gives (for `correctionOf`):
 * the session is `out` then, whoever closed it.
 */
export const outMoved = (
  inAt: number,
  from: number,
  to: number,
): Pick<CorrectionJudged, 'changes' | 'inAt' | 'outAt' | 'voided' | 'status'> => ({
  changes: [{ field: 'out', old: from, new: to }],
  inAt,
  outAt: to,
  voided: false,
  status: 'out',
});

/** The reducer of the live clock, committing each step that decided anything to `store`. */
export function player(
  store: Store,
  rules: Rules = defaultRules('UTC'),
  start: ClockState = initialState,
): {
  /** Feeds events; returns the outputs of each step, in order. */
  readonly play: (...events: ClockEvent[]) => (readonly Output[])[];
  readonly state: () => ClockState;
} {
  const reduce = makeReducer(rules);
  let state = start;
  return {
    play: (...events) =>
      events.map((event) => {
        const step = reduce(state, event);
        state = step.state;
        if (step.out.length > 0) store.commit(toCommit(step.out), event.at);
        return step.out;
      }),
    state: () => state,
  };
}

/**
 * The clock's core (re)started in `boot` on what the store holds at `now`, as the app starts
 * it: one reducer step per event, each committed with its boot; returns every step's outputs.
 */
export function booted(
  store: Store,
  boot: string,
  now: number,
  rules: Rules = defaultRules('UTC'),
): (...events: ClockEvent[]) => Output[] {
  const reduce = makeReducer(rules);
  let state: ClockState = restoreState(store.snapshot(now, boot));
  return (...events) =>
    events.flatMap((event) => {
      const step = reduce(state, event);
      state = step.state;
      if (step.out.length > 0) store.commit(toCommit(step.out), event.at, boot);
      return step.out;
    });
}

/**
 * The store's own connection. Some pragmas (synchronous, max_page_count) are
 * per connection, so only this one can tell or change them.
 */
export function connectionOf(store: Store): Database.Database {
  const db: unknown = Reflect.get(store, 'db');
  if (!(db instanceof Database)) throw new Error('Store no longer keeps its connection in `db`');
  return db;
}

/** Runs `work` on a read-only connection of its own to `file`. */
export function peek<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Runs `work` on a writable connection of its own, as someone with the file and sqlite3 would. */
export function tamper(file: string, work: (db: Database.Database) => void): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    work(db);
  } finally {
    db.close();
  }
}

/** Every file in `dir` with its size and a digest of its bytes, to prove nothing was touched. */
export function filesIn(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => {
        const bytes = readFileSync(join(dir, name));
        return [
          name,
          `${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`,
        ];
      }),
  );
}

/**
 * Seeding history need not survive a power cut: without an fsync per commit it
 * takes a fraction of the time. The store's durability is tested elsewhere.
 */
export function withoutFsync(store: Store): Store {
  connectionOf(store).pragma('synchronous = OFF');
  return store;
}

/**
 * The first leaf page of the taps table: old taps live there and new commits do
 * not touch it. Asked of a copy, so no -shm is left beside the file.
 */
export function firstTapsLeafPage(file: string): number {
  const scratch = tempDir('probe');
  try {
    const copy = join(scratch.path, 'copy.db');
    copyFileSync(file, copy);
    return peek(copy, (db) => {
      const row = db
        .prepare<[], { pageno: number }>(
          "SELECT pageno FROM dbstat WHERE name = 'taps' AND pagetype = 'leaf' ORDER BY pageno LIMIT 1",
        )
        .get();
      if (row === undefined) throw new Error(`no taps leaf page in ${file}`);
      return row.pageno;
    });
  } finally {
    scratch.remove();
  }
}

/** Overwrites most of page `page` (1-based) of a database file image with garbage. */
export function damagePage(bytes: Buffer, page: number, pageSize = 4096): Buffer {
  const copy = Buffer.from(bytes);
  copy.fill(0xab, (page - 1) * pageSize + 8, page * pageSize);
  return copy;
}
