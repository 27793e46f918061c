/**
 * The sheet driver: carries out the core's sheet commands and reports what
 * happened as events the reducer scans (the acknowledgements).
 *
 * - `writeBatch` → `concatMap`: ordered event writes must neither be dropped
 *   nor reordered. Retryable failures retry the whole (idempotent) batch with
 *   truncated exponential backoff and jitter, inside the inner observable, and
 *   report each failed attempt; a final failure ends the batch. A batch refused
 *   with a 400 (or meeting an error of ours again and again) is written in
 *   halves until the entry at fault is alone, and that entry is set aside when
 *   the sheet takes other writes of its kind, else kept for later.
 * - `liveUpdate` → `exhaustMap`: a tick that arrives while an update is in
 *   flight is dropped, never queued behind it; the next minute tries again.
 * - The two never overlap: a batch waits for the live update in flight, and a
 *   tick while a batch is queued or in flight is dropped, so a live update's
 *   Hours never lands after the close that ends that session.
 * - One "not before" instant for the client (notBefore.ts): a Retry-After answered
 *   to a batch or a live update holds every later call of both paths until then.
 * - A live update carries the Totals table when the driver is given its
 *   provider (`totalsOf`, made where the store is at hand): computed at the
 *   minute's instant with the People list last read (a row is a person, whose
 *   aliases count on it), written in the same request when it changed.
 * - At subscription the People tab is read once (the directory), after the
 *   cached copy from the last run has been emitted, so names are known at once
 *   even offline.
 *
 * The parts: the turns of the two paths (sheetTurns.ts), one batch's retries
 * (writeBatchWithRetry.ts, with batchProgress.ts and batchRefusal.ts), what the
 * sheet took and refused (sheetTrack.ts), the one "not before" instant
 * (notBefore.ts), the People cache (peopleCache.ts).
 */
import {
  catchError,
  concat,
  defer,
  EMPTY,
  finalize,
  from,
  map,
  merge,
  mergeMap,
  of,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import type { Person } from '../../../streams/directory';
import type {
  Command,
  DirectoryLoaded,
  LiveFailed,
  PeopleReadFailed,
  LiveUpdate,
  SyncEvent,
  WriteBatch,
} from '../../../streams/events';
import type { LogRowRead, WatchedRow } from '../../../streams/sheetEdits';
import type { TotalsTable } from '../../../streams/totals';
import { makeNotBefore, type NotBefore } from './notBefore';
import { makePeopleCache, type PeopleCache } from './peopleCache';
import type { SheetsClient } from './sheetsClient';
import { makeSheetTrack } from './sheetTrack';
import { takeTurns } from './sheetTurns';
import { writeBatchWithRetry } from './writeBatchWithRetry';

export { makeSheetTrack, type SheetTrack } from './sheetTrack';
export { writeBatchWithRetry } from './writeBatchWithRetry';

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
    totals?: TotalsTable,
    watched?: readonly WatchedRow[],
  ): ObservableInput<{ people: Person[]; rows?: readonly LogRowRead[] }>;
  readPeople(): ObservableInput<Person[]>;
}

export interface SheetsDriverOptions {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  /** Where the last People tab read is kept, for a start without network. */
  readonly peopleCache?: string;
  readonly warn: (message: string) => void;
}

/**
 * The Totals table at an instant (from the store: src/drivers/sheets/totalsSource.ts), its
 * people told apart by the People list last read (null before any).
 */
export type TotalsProvider = (at: number, people: readonly Person[] | null) => TotalsTable;

/** The Log rows to read back at an instant (from the store: src/drivers/sheets/editWatch.ts). */
export type WatchProvider = (at: number) => readonly WatchedRow[];

/** What the store lends the live update: the Totals table, and the rows to read back. */
export interface LiveSources {
  readonly totalsOf?: TotalsProvider;
  readonly watchOf?: WatchProvider;
}

/**
 * The watched Log rows a live update read: the app judges them against the store as
 * corrections typed into the sheet (src/drivers/store/sheetEditJudge.ts); not a core event.
 */
export interface LogRowsRead {
  readonly type: 'logRowsRead';
  readonly at: number;
  /** Whether the clock was synchronised when it asked (its health): `at` is then the time. */
  readonly clockSynced: boolean;
  readonly rows: readonly LogRowRead[];
}

/** What the driver reports: acknowledgements, the People tab, and the Log rows read back. */
export type SheetOutput = SyncEvent | DirectoryLoaded | LogRowsRead;

/**
 * The driver: commands in, acknowledgements and the People tab out; `busy()` while a request is
 * in flight. With `totalsOf`, each live update also carries the Totals table; with `watchOf`,
 * it reads those Log rows back.
 */
export type SheetsDriver = ((
  commands$: Observable<Command>,
  sources?: LiveSources,
) => Observable<SheetOutput>) & {
  readonly busy: () => boolean;
};

/** Makes the sheet driver around a client. */
export function makeSheetsDriver(port: SheetsPort, options: SheetsDriverOptions): SheetsDriver {
  const now = (): number => options.scheduler.now();
  const pace = makeNotBefore(options.scheduler);
  const client = pacedPort(port, pace, now);
  const requests = makeRequestCount();
  const cache = makePeopleCache(options.peopleCache, options.warn);
  const directory = (people: Person[]): DirectoryLoaded => {
    cache.save(people);
    return { type: 'directoryLoaded', at: now(), people };
  };

  // What the sheet took and refused, across batches.
  const track = makeSheetTrack();
  const writeBatch = (command: WriteBatch): Observable<SyncEvent> =>
    requests.tracked(writeBatchWithRetry(client, command, options, track));
  const liveUpdate =
    ({ totalsOf, watchOf }: LiveSources) =>
    (command: LiveUpdate): Observable<SheetOutput> =>
      liveUpdated(
        requests.tracked(
          defer(() =>
            from(
              client.liveUpdate(
                command.open,
                command.at,
                command.health,
                provided(
                  'the Totals tab is not updated',
                  totalsOf === undefined ? undefined : (at) => totalsOf(at, cache.latest()),
                  command.at,
                  options.warn,
                ),
                provided('Log is not read back', watchOf, command.at, options.warn),
              ),
            ),
          ),
        ),
        command,
        { now, directory, pace },
      );

  const run = (
    commands$: Observable<Command>,
    sources: LiveSources = {},
  ): Observable<SheetOutput> =>
    merge(
      peopleAtStart(client, cache, { now, directory }),
      takeTurns(commands$, writeBatch, liveUpdate(sources)),
    );
  return Object.assign(run, { busy: () => requests.inFlight() > 0 });
}

/**
 * What a store provider gives at `at` (the Totals table, the rows to read back), or none when
 * there is no provider or it failed (said, and the live update goes on without it: Now and
 * Hours matter more).
 */
function provided<T>(
  what: string,
  provider: ((at: number) => T) | undefined,
  at: number,
  warn: (message: string) => void,
): T | undefined {
  if (provider === undefined) return undefined;
  try {
    return provider(at);
  } catch (error) {
    warn(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** The client, each call made no sooner than the instant, a batch timed when it is really sent. */
function pacedPort(client: SheetsPort, pace: NotBefore, now: () => number): SheetsPort {
  return {
    writeBatch: (entries) => pace.paced(() => client.writeBatch(entries, now())),
    liveUpdate: (...args) => pace.paced(() => client.liveUpdate(...args)),
    readPeople: () => pace.paced(() => client.readPeople()),
  };
}

/** Requests in flight, so a graceful shutdown can let them finish. */
function makeRequestCount(): {
  readonly tracked: <T>(work$: Observable<T>) => Observable<T>;
  readonly inFlight: () => number;
} {
  let busy = 0;
  return {
    tracked: <T>(work$: Observable<T>): Observable<T> =>
      defer(() => {
        busy += 1;
        return work$.pipe(
          finalize(() => {
            busy -= 1;
          }),
        );
      }),
    inFlight: () => busy,
  };
}

/** What a live update and the first People read report on the sheet's answers. */
interface Reporting {
  readonly now: () => number;
  readonly directory: (people: Person[]) => DirectoryLoaded;
}

/**
 * A failed live update: the clock goes on, the next minute tries again, or the first after the
 * instant the server asked for (`waitMs` from now).
 */
const liveFailed = (now: () => number, error: unknown, waitMs: number): LiveFailed => ({
  type: 'liveFailed',
  at: now(),
  reason: error instanceof Error ? error.message : String(error),
  ...(waitMs > 0 ? { retryInMs: waitMs } : {}),
});

/** The People read at start failed: the cached list (if any) stands until the next minute's read. */
const peopleReadFailed = (now: () => number, error: unknown): PeopleReadFailed => ({
  type: 'peopleReadFailed',
  at: now(),
  reason: error instanceof Error ? error.message : String(error),
});

/** A live update's answer: the People tab it read, and `liveSynced`; or `liveFailed`. */
function liveUpdated(
  update$: Observable<{ people: Person[]; rows?: readonly LogRowRead[] }>,
  command: LiveUpdate,
  { now, directory, pace }: Reporting & { readonly pace: NotBefore },
): Observable<SheetOutput> {
  return update$.pipe(
    mergeMap(({ people, rows = [] }): SheetOutput[] => {
      return [
        directory(people),
        { type: 'liveSynced', at: now(), open: command.open.length },
        ...(rows.length === 0
          ? []
          : [
              {
                type: 'logRowsRead' as const,
                at: now(),
                clockSynced: command.health.clockSynced,
                rows,
              },
            ]),
      ];
    }),
    catchError((error: unknown) => of(liveFailed(now, error, pace.waitMs()))),
  );
}

/** At subscription: the cached People list, if any, then the People tab read once. */
function peopleAtStart(
  client: Pick<SheetsPort, 'readPeople'>,
  cache: PeopleCache,
  { now, directory }: Reporting,
): Observable<SyncEvent | DirectoryLoaded> {
  const cached$ = defer(() => {
    const people = cache.load();
    return people === null
      ? EMPTY
      : of<DirectoryLoaded>({ type: 'directoryLoaded', at: now(), people });
  });
  const initial$ = defer(() => from(client.readPeople())).pipe(
    map(directory),
    catchError((error: unknown) => of(peopleReadFailed(now, error))),
  );
  return concat(cached$, initial$);
}
