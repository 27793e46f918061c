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

/** Where one batch's writing stands between two attempts. */
interface Progress {
  /** Failed attempts so far (for the backoff). */
  readonly failed: number;
  /** Wait before the next attempt, or null for none. */
  readonly waitMs: number | null;
  /** What this step reports. */
  readonly report: readonly SyncEvent[];
  /** True once the batch is written or failed for good. */
  readonly done: boolean;
}

/**
 * One batch, retried whole until it succeeds or fails for good, reporting every
 * failed attempt. Retries live inside this inner observable, so the outer
 * stream never dies, and each attempt starts from the last one's outcome
 * (`expand`), so the subscription chain is as deep after 5,000 failures as
 * after one. A 401 retries at once (the client dropped its credentials and
 * signs afresh), once; everything else retryable backs off.
 */
export function writeBatchWithRetry(
  client: Pick<SheetsPort, 'writeBatch'>,
  command: WriteBatch,
  options: Pick<SheetsDriverOptions, 'scheduler' | 'random'>,
): Observable<SyncEvent> {
  const { scheduler } = options;
  const now = (): number => scheduler.now();
  const keys = command.entries.map((entry) => entry.key);

  const succeeded = (requests: number): Progress => ({
    failed: 0,
    waitMs: null,
    report: [{ type: 'batchSynced', at: now(), keys, requests }],
    done: true,
  });

  const failed = (progress: Progress, error: unknown): Progress => {
    const failure = error instanceof SheetError ? error : new SheetError(String(error), 'retry');
    const report = (final: boolean, retryInMs: number | null): SyncEvent[] => [
      { type: 'batchFailed', at: now(), keys, reason: failure.message, final, retryInMs },
    ];
    if (failure.kind === 'final') {
      return { ...progress, report: report(true, null), done: true };
    }
    const attempt = progress.failed + 1;
    const waitMs =
      failure.kind === 'auth' && attempt === 1
        ? 0
        : backoffDelay(attempt, options.random, failure.retryAfterMs);
    return { failed: attempt, waitMs, report: report(false, waitMs), done: false };
  };

  const attempt = (progress: Progress): Observable<Progress> => {
    const write$ = defer(() => from(client.writeBatch(command.entries, now())));
    const waited$ =
      progress.waitMs === null
        ? write$
        : timer(progress.waitMs, scheduler).pipe(concatMap(() => write$));
    return waited$.pipe(
      map(succeeded),
      catchError((error: unknown) => of(failed(progress, error))),
    );
  };

  const start: Progress = { failed: 0, waitMs: null, report: [], done: false };
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
