/**
 * The sheet driver: carries out the core's sheet commands and reports what
 * happened as events the reducer scans (the acknowledgements).
 *
 * - `writeBatch` → `concatMap`: ordered event writes must neither be dropped
 *   nor reordered. Retryable failures retry the whole (idempotent) batch with
 *   truncated exponential backoff and jitter, inside the inner observable, and
 *   report each failed attempt; a final failure ends the batch.
 * - `liveUpdate` → `exhaustMap`: a tick that arrives while an update is in
 *   flight is dropped, never queued behind it; the next minute tries again.
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
  filter,
  finalize,
  from,
  map,
  merge,
  mergeMap,
  of,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { backoffDelay } from '../../../streams/backoff';
import type { Person } from '../../../streams/directory';
import type {
  BatchFailed,
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

  const directory = (people: Person[]): DirectoryLoaded => {
    if (options.peopleCache !== undefined) saveCache(options.peopleCache, people, options.warn);
    return { type: 'directoryLoaded', at: now(), people };
  };

  const writeBatch = (command: WriteBatch): Observable<SyncEvent> =>
    tracked(writeBatchWithRetry(client, command, options));

  const liveUpdate = (command: LiveUpdate): Observable<SyncEvent | DirectoryLoaded> =>
    tracked(defer(() => from(client.liveUpdate(command.open, command.at, command.health)))).pipe(
      mergeMap(({ people }): (SyncEvent | DirectoryLoaded)[] => [
        directory(people),
        { type: 'liveSynced', at: now(), open: command.open.length },
      ]),
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
    // concatMap: ordered writes, never dropped or reordered.
    const writes$ = commands$.pipe(
      filter(isWrite),
      concatMap((command) => writeBatch(command)),
    );
    // exhaustMap: a tick during an upload is dropped, not queued.
    const live$ = commands$.pipe(filter(isLive), exhaustMap(liveUpdate));
    return merge(concat(cached$, initial$), writes$, live$);
  };
  return Object.assign(run, { busy: () => busy > 0 });
}

/**
 * One batch, retried whole until it succeeds or fails for good, reporting every
 * failed attempt. Retries live inside this inner observable, so the outer
 * stream never dies. A 401 retries at once (the client dropped its
 * credentials and signs afresh), once; everything else retryable backs off.
 */
export function writeBatchWithRetry(
  client: Pick<SheetsPort, 'writeBatch'>,
  command: WriteBatch,
  options: Pick<SheetsDriverOptions, 'scheduler' | 'random'>,
  attempt = 1,
): Observable<SyncEvent> {
  const { scheduler } = options;
  const now = (): number => scheduler.now();
  const keys = command.entries.map((entry) => entry.key);
  return defer(() => from(client.writeBatch(command.entries, now()))).pipe(
    map((requests): SyncEvent => ({ type: 'batchSynced', at: now(), keys, requests })),
    catchError((error: unknown) => {
      const failure = error instanceof SheetError ? error : new SheetError(String(error), 'retry');
      const failed = (final: boolean, retryInMs: number | null): BatchFailed => ({
        type: 'batchFailed',
        at: now(),
        keys,
        reason: failure.message,
        final,
        retryInMs,
      });
      if (failure.kind === 'final') return of(failed(true, null));
      const delay =
        failure.kind === 'auth' && attempt === 1
          ? 0
          : backoffDelay(attempt, options.random, failure.retryAfterMs);
      return concat(
        of(failed(false, delay)),
        timer(delay, scheduler).pipe(
          mergeMap(() => writeBatchWithRetry(client, command, options, attempt + 1)),
        ),
      );
    }),
  );
}

function loadCache(file: string, warn: (message: string) => void): Person[] | null {
  if (!existsSync(file)) return null;
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(value) ? (value as Person[]) : null;
  } catch (error) {
    warn(`ignoring the People cache ${file}: ${(error as Error).message}`);
    return null;
  }
}

function saveCache(file: string, people: Person[], warn: (message: string) => void): void {
  try {
    const text = JSON.stringify(people);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  } catch (error) {
    warn(`could not write the People cache ${file}: ${(error as Error).message}`);
  }
}
