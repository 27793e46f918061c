/**
 * The sheet driver: carries out the core's sheet commands and reports what
 * happened as events the reducer scans (the acknowledgements).
 *
 * - `writeBatch` → `concatMap`: ordered event writes must neither be dropped
 *   nor reordered. Retryable failures retry the whole (idempotent) batch with
 *   truncated exponential backoff and jitter, inside the inner observable, and
 *   report each failed attempt; a final failure ends the batch. A batch refused
 *   with a 400 (or meeting an error of ours again and again) is written in
 *   halves until the entry at fault is alone, and that entry is set aside.
 * - `liveUpdate` → `exhaustMap`: a tick that arrives while an update is in
 *   flight is dropped, never queued behind it; the next minute tries again.
 * - The two never overlap: a batch waits for the live update in flight, and a
 *   tick while a batch is queued or in flight is dropped, so a live update's
 *   Hours never lands after the close that ends that session.
 * - At subscription the People tab is read once (the directory), after the
 *   cached copy from the last run has been emitted, so names are known at once
 *   even offline.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import {
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  exhaustMap,
  expand,
  filter,
  finalize,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  share,
  tap,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { backoffDelay } from '../../../streams/backoff';
import type { OutboxEntry } from '../../../streams/commit';
import type { Person } from '../../../streams/directory';
import type {
  Command,
  DirectoryLoaded,
  LiveFailed,
  LiveUpdate,
  SyncEvent,
  WriteBatch,
} from '../../../streams/events';
import type { ObservableInput } from 'rxjs';
import type { SheetsClient } from './sheetsClient';

/**
 * What the driver needs of a client. The real client returns Promises; the
 * marble tests give cold observables, so retries and timing run in virtual time.
 */
export interface SheetsPort {
  writeBatch(
    entries: Parameters<SheetsClient['writeBatch']>[0],
    now: number,
  ): ObservableInput<number>;
  liveUpdate(
    open: LiveUpdate['open'],
    at: number,
    health: LiveUpdate['health'],
  ): ObservableInput<{ people: Person[] }>;
  readPeople(): ObservableInput<Person[]>;
}
import { SheetError } from './sheetError';

export interface SheetsDriverOptions {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  /** Where the last People tab read is kept, for a start without network. */
  readonly peopleCache?: string;
  readonly warn: (message: string) => void;
}

/** The driver: commands in, acknowledgements and the People tab out; `busy()` while a request is in flight. */
export type SheetsDriver = ((
  commands$: Observable<Command>,
) => Observable<SyncEvent | DirectoryLoaded>) & {
  readonly busy: () => boolean;
};

const isWrite = (c: Command): c is WriteBatch => c.type === 'writeBatch';
const isLive = (c: Command): c is LiveUpdate => c.type === 'liveUpdate';

/** Makes the sheet driver around a client. */
export function makeSheetsDriver(
  client: SheetsPort,

  options: SheetsDriverOptions,
): SheetsDriver {
  const { scheduler } = options;
  // Requests in flight, so a graceful shutdown can let them finish.
  let busy = 0;
  const tracked = <T>(work$: Observable<T>): Observable<T> =>
    defer(() => {
      busy += 1;
      return work$.pipe(
        finalize(() => {
          busy -= 1;
        }),
      );
    });
  const now = (): number => scheduler.now();

  // What the People cache holds, as this life last wrote or found it: an unchanged People
  // list (the usual minute) costs neither a read nor a write of the file.
  const cached: { people: Person[] | null; text: string | null } = { people: null, text: null };
  const directory = (people: Person[]): DirectoryLoaded => {
    if (options.peopleCache !== undefined)
      saveCache(options.peopleCache, people, cached, options.warn);
    return { type: 'directoryLoaded', at: now(), people };
  };

  // What the sheet took and refused, across batches and live updates.
  const track = makeSheetTrack();
  const writeBatch = (command: WriteBatch): Observable<SyncEvent> =>
    tracked(writeBatchWithRetry(client, command, options, track));

  const liveUpdate = (command: LiveUpdate): Observable<SyncEvent | DirectoryLoaded> =>
    tracked(defer(() => from(client.liveUpdate(command.open, command.at, command.health)))).pipe(
      mergeMap(({ people }): (SyncEvent | DirectoryLoaded)[] => {
        track.took();
        return [directory(people), { type: 'liveSynced', at: now(), open: command.open.length }];
      }),
      catchError((error: unknown) =>
        of<LiveFailed>({
          type: 'liveFailed',
          at: now(),
          reason: error instanceof Error ? error.message : String(error),
        }),
      ),
    );

  const run = (commands$: Observable<Command>): Observable<SyncEvent | DirectoryLoaded> => {
    const cached$ = defer(() => {
      const people =
        options.peopleCache === undefined ? null : loadCache(options.peopleCache, options.warn);
      return people === null
        ? EMPTY
        : of<DirectoryLoaded>({ type: 'directoryLoaded', at: now(), people });
    });
    const initial$ = defer(() => from(client.readPeople())).pipe(
      map(directory),
      catchError((error: unknown) =>
        of<LiveFailed>({
          type: 'liveFailed',
          at: now(),
          reason: error instanceof Error ? error.message : String(error),
        }),
      ),
    );
    // The live update and the batches never overlap, or a live update's Hours could land after
    // a close and leave Hours ≠ Out − In: a batch waits for the update in flight, and an update
    // is skipped while a batch is queued or in flight.
    let batches = 0;
    let liveInFlight$: Observable<unknown> | null = null;
    // concatMap: ordered writes, never dropped or reordered.
    const writes$ = commands$.pipe(
      filter(isWrite),
      tap(() => {
        batches += 1;
      }),
      concatMap((command) =>
        defer(() =>
          concat(liveInFlight$?.pipe(ignoreElements()) ?? EMPTY, writeBatch(command)),
        ).pipe(
          finalize(() => {
            batches -= 1;
          }),
        ),
      ),
    );
    const startLive = (command: LiveUpdate): Observable<SyncEvent | DirectoryLoaded> =>
      defer(() => {
        const update$ = liveUpdate(command).pipe(
          finalize(() => {
            liveInFlight$ = null;
          }),
          // Shared with a batch that waits for it; never re-run for a subscriber that comes late.
          share({ resetOnComplete: false }),
        );
        liveInFlight$ = update$;
        return update$;
      });
    // exhaustMap: a tick during an update is dropped, not queued; so is one during a batch.
    const live$ = commands$.pipe(
      filter(isLive),
      exhaustMap((command) => (batches > 0 ? EMPTY : startLive(command))),
    );
    return merge(concat(cached$, initial$), writes$, live$);
  };
  return Object.assign(run, { busy: () => busy > 0 });
}

/** Errors of our own a piece of a batch may meet before its entries are taken for the cause. */
const BUGS_BEFORE_REFUSAL = 3;

/**
 * What the sheet has been seen to do, to tell one bad entry from a sheet that
 * refuses everything (a 400 about a range or a token, a bug hitting every write).
 */
export interface SheetTrack {
  /** The sheet took a write: a batch, part of one, or a live update. */
  took(): void;
  /** The sheet refused a write for good. */
  refused(): void;
  /** True when the sheet took some other write after its refusals began. */
  takesOthers(): boolean;
  /** A batch is settled: the refusals it met are over. */
  settled(): void;
}

/** A fresh track: no refusal yet, nothing taken. */
export function makeSheetTrack(): SheetTrack {
  let seen = 0;
  let tookAt = 0;
  let refusingSince: number | null = null;
  return {
    took: () => {
      tookAt = ++seen;
    },
    refused: () => {
      refusingSince ??= ++seen;
    },
    takesOthers: () => refusingSince !== null && tookAt > refusingSince,
    settled: () => {
      refusingSince = null;
    },
  };
}

/** Where one batch's writing stands between two attempts. */
interface Progress {
  /** The batch's parts still to write, in order; the first is written next. */
  readonly pieces: readonly (readonly OutboxEntry[])[];
  /** Failed attempts of the first piece (for the backoff). */
  readonly failed: number;
  /** Errors of our own the first piece met. */
  readonly bugs: number;
  /** Wait before the next attempt, or null for none. */
  readonly waitMs: number | null;
  readonly written: readonly string[];
  readonly setAside: readonly { readonly key: string; readonly reason: string }[];
  readonly requests: number;
  /** What this step reports. */
  readonly report: readonly SyncEvent[];
  /** True once the batch is written (some entries perhaps set aside) or failed for good. */
  readonly done: boolean;
}

/**
 * One batch, retried until it is written or fails for good, reporting every
 * failed attempt. Retries live inside this inner observable, so the outer
 * stream never dies, and each attempt starts from the last one's outcome
 * (`expand`), so the subscription chain is as deep after 5,000 failures as
 * after one. A 401 retries at once (the client dropped its credentials and
 * signs afresh), once; everything else retryable backs off.
 *
 * A batch the sheet refuses for good with a 400, or that meets an error of our
 * own more than three times, is written in halves until the entry at fault is
 * alone: the rest is written, that entry set aside (`batchSynced.setAside`).
 * Only when the sheet took some other write since its refusals began: else
 * the fault is likely not in the entry, and the batch fails whole, to be sent
 * again after the block. Other final failures (403, 404, headers moved) fail
 * the batch whole at once: those are a person's fix, not a bad entry.
 */
export function writeBatchWithRetry(
  client: Pick<SheetsPort, 'writeBatch'>,
  command: WriteBatch,
  options: Pick<SheetsDriverOptions, 'scheduler' | 'random'>,
  track: SheetTrack = makeSheetTrack(),
): Observable<SyncEvent> {
  const { scheduler } = options;
  const now = (): number => scheduler.now();
  const keysOf = (entries: readonly OutboxEntry[]): string[] => entries.map((entry) => entry.key);
  const keys = keysOf(command.entries);

  /** Goes on with the next piece, or reports the batch written when none is left. */
  const onward = (progress: Progress, report: SyncEvent[]): Progress => {
    const next: Progress = { ...progress, failed: 0, bugs: 0, waitMs: null, report };
    if (next.pieces.length > 0) return next;
    track.settled();
    const { written, requests, setAside } = next;
    const synced: SyncEvent = {
      type: 'batchSynced',
      at: now(),
      keys: written,
      requests,
      ...(setAside.length > 0 ? { setAside } : {}),
    };
    return { ...next, report: [...report, synced], done: true };
  };

  const succeeded = (progress: Progress, requests: number): Progress => {
    track.took();
    const [piece = [], ...rest] = progress.pieces;
    return onward(
      {
        ...progress,
        pieces: rest,
        written: [...progress.written, ...keysOf(piece)],
        requests: progress.requests + requests,
      },
      [],
    );
  };

  const failed = (progress: Progress, error: unknown): Progress => {
    const failure = error instanceof SheetError ? error : new SheetError(String(error), 'bug');
    const [piece = [], ...rest] = progress.pieces;
    const attempted = (retryInMs: number | null): SyncEvent => ({
      type: 'batchFailed',
      at: now(),
      keys: keysOf(piece),
      reason: failure.message,
      final: false,
      retryInMs,
    });
    const failsWhole = (reason: string): Progress => ({
      ...progress,
      report: [{ type: 'batchFailed', at: now(), keys, reason, final: true, retryInMs: null }],
      done: true,
    });
    const refused =
      (failure.kind === 'final' && failure.status === 400) ||
      (failure.kind === 'bug' && progress.bugs >= BUGS_BEFORE_REFUSAL);
    if (failure.kind === 'final' && !refused) return failsWhole(failure.message);
    if (refused) {
      track.refused();
      const [entry, ...others] = piece;
      if (others.length > 0) {
        const half = Math.ceil(piece.length / 2);
        const halves = [piece.slice(0, half), piece.slice(half)];
        return onward({ ...progress, pieces: [...halves, ...rest] }, [attempted(0)]);
      }
      if (entry === undefined) return onward({ ...progress, pieces: rest }, []);
      if (!track.takesOthers()) {
        return failsWhole(
          `${failure.message} (the sheet has taken no other write since it began refusing, ` +
            'so the fault may not be in one entry: the batch is kept whole and sent again later)',
        );
      }
      const setAside = [...progress.setAside, { key: entry.key, reason: failure.message }];
      return onward({ ...progress, pieces: rest, setAside }, [attempted(null)]);
    }
    const attempt = progress.failed + 1;
    const waitMs =
      failure.kind === 'auth' && attempt === 1
        ? 0
        : backoffDelay(attempt, options.random, failure.retryAfterMs);
    return {
      ...progress,
      failed: attempt,
      bugs: progress.bugs + (failure.kind === 'bug' ? 1 : 0),
      waitMs,
      report: [attempted(waitMs)],
    };
  };

  const attempt = (progress: Progress): Observable<Progress> => {
    const [piece = []] = progress.pieces;
    const write$ = defer(() => from(client.writeBatch(piece, now())));
    const waited$ =
      progress.waitMs === null
        ? write$
        : timer(progress.waitMs, scheduler).pipe(concatMap(() => write$));
    return waited$.pipe(
      map((requests) => succeeded(progress, requests)),
      catchError((error: unknown) => of(failed(progress, error))),
    );
  };

  const start: Progress = {
    pieces: [command.entries],
    failed: 0,
    bugs: 0,
    waitMs: null,
    written: [],
    setAside: [],
    requests: 0,
    report: [],
    done: false,
  };
  return of(start).pipe(
    // expand: the next attempt is subscribed by this one operator, not inside the last attempt,
    // so the depth stays constant however many attempts a long outage takes.
    expand((progress) => (progress.done ? EMPTY : attempt(progress))),
    // mergeMap: each inner is a step's synchronous list of reports, so order is kept.
    mergeMap((progress) => progress.report),
  );
}

/** A cached person as the reducer needs it, or why not. */
function cachedPerson(value: unknown, index: number): Person | string {
  if (typeof value !== 'object' || value === null) return `entry ${index} is not an object`;
  const card: unknown = Reflect.get(value, 'card');
  const name: unknown = Reflect.get(value, 'name');
  const active: unknown = Reflect.get(value, 'active');
  const aliases: unknown = Reflect.get(value, 'aliases');
  if (typeof card !== 'string') return `entry ${index} has no card id`;
  if (typeof name !== 'string') return `entry ${index} (${card}) has no name string`;
  if (typeof active !== 'boolean') return `entry ${index} (${card}) has no active flag`;
  if (!Array.isArray(aliases) || !aliases.every((a): a is string => typeof a === 'string')) {
    return `entry ${index} (${card}) has no list of aliases`;
  }
  return { card, name, active, aliases };
}

/** The People list cached by the last run; a damaged cache is ignored (never handed to the reducer). */
function loadCache(file: string, warn: (message: string) => void): Person[] | null {
  if (!existsSync(file)) return null;
  const ignore = (why: string): null => {
    warn(`ignoring the People cache ${file}: ${why}; the People tab is read instead`);
    return null;
  };
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return ignore(error instanceof Error ? error.message : String(error));
  }
  if (!Array.isArray(value)) return ignore('it is not a list');
  const people: Person[] = [];
  for (const [index, entry] of value.entries()) {
    const person = cachedPerson(entry, index);
    if (typeof person === 'string') return ignore(person);
    people.push(person);
  }
  return people;
}

function saveCache(
  file: string,
  people: Person[],
  cached: { people: Person[] | null; text: string | null },
  warn: (message: string) => void,
): void {
  // The client hands back the same list while People is unchanged.
  if (cached.people === people) return;
  try {
    const text = JSON.stringify(people);
    if (cached.text !== text && (!existsSync(file) || readFileSync(file, 'utf8') !== text)) {
      writeFileSync(`${file}.tmp`, text);
      renameSync(`${file}.tmp`, file);
    }
    cached.people = people;
    cached.text = text;
  } catch (error) {
    warn(`could not write the People cache ${file}: ${(error as Error).message}`);
  }
}
