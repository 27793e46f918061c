/**
 * Drains a store's outbox to the sheet in real time, batch after batch in
 * order, each retried with backoff; ends when the outbox is empty. Used by
 * `replay` with a sheet configured, which must not exit before the sheet has
 * everything (or must say why, after a bounded wait).
 */
import {
  concat,
  defer,
  EMPTY,
  expand,
  from,
  mergeMap,
  of,
  takeUntil,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { BatchFailed, BatchSynced, DomainEvent, SyncEvent } from '../../streams/events';
import { writeBatchWithRetry, type SheetsPort } from '../drivers/sheets/sheetsDriver';
import type { Store } from '../drivers/store/store';
import { listProblems } from '../formats/problemList';

export interface DrainOptions {
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly batchSize: number;
  /** The longest the whole drain may take. */
  readonly deadlineMs: number;
}

export class DrainError extends Error {
  override name = 'DrainError';
}

/** An entry the sheet refused for good, with why. */
type Refused = NonNullable<BatchSynced['setAside']>[number];

/**
 * Sync events as the feedback shows them, until the outbox is empty; errors with
 * a DrainError otherwise. An entry the sheet refused for good is set aside as
 * the running clock does it (streams/sync.ts): marked done with the reason and
 * said once, so the rest flows; the drain then ends with a DrainError naming it.
 * Entries the sheet refused where the fault may not be theirs (kept, not set
 * aside) end the drain like a final failure: what was written is marked done,
 * and they stay in the outbox for the clock, or the next replay.
 */
export function drainOutbox(
  store: Store,
  port: Pick<SheetsPort, 'writeBatch'>,
  options: DrainOptions,
): Observable<DomainEvent> {
  const now = (): number => options.scheduler.now();
  return defer(() => {
    const setAside: Refused[] = [];
    const batch = (): Observable<SyncEvent> => nextBatch(store, port, options);
    const drained$ = batch().pipe(
      // expand: the next batch leaves only when this one is confirmed and marked done.
      expand((event) => {
        if (event.type !== 'batchSynced') return EMPTY;
        markTaken(store, event, now);
        setAside.push(...(event.setAside ?? []));
        return event.kept === undefined ? batch() : EMPTY;
      }),
      mergeMap((event) => feedbackOf(event, store.depth(), now)),
    );
    // takeUntil goes last: the whole drain is bounded; whatever is left is said, not waited for.
    const finished$ = defer(() => finished(store.depth(), setAside, options.deadlineMs));
    return concat(
      drained$.pipe(takeUntil(timer(options.deadlineMs, options.scheduler))),
      finished$,
    );
  });
}

/** Writes the outbox's oldest pending entries as one batch, with retries; nothing when it is empty. */
function nextBatch(
  store: Store,
  port: Pick<SheetsPort, 'writeBatch'>,
  options: DrainOptions,
): Observable<SyncEvent> {
  return defer(() => {
    const entries = store.pending(options.batchSize).map((pending) => pending.entry);
    return entries.length === 0
      ? EMPTY
      : writeBatchWithRetry(
          port,
          { type: 'writeBatch', at: options.scheduler.now(), entries },
          options,
        );
  });
}

/** Marks what the sheet took done, and what it refused for good done with the reason. */
function markTaken(store: Store, event: BatchSynced, now: () => number): void {
  store.markDone(event.keys, now());
  for (const { key, reason } of event.setAside ?? []) store.markDone([key], now(), reason);
}

/**
 * What the feedback says of a sync event, with the backlog left; a final
 * failure ends the drain. `depth` is the outbox's depth before a batch taken is
 * marked done (expand hands the event on before it marks it), so what the batch
 * wrote or set aside is taken off: the backlog said is what is left after it,
 * as the running clock says it (streams/sync.ts).
 */
function feedbackOf(event: SyncEvent, depth: number, now: () => number): Observable<DomainEvent> {
  if (event.type === 'batchSynced') {
    const left = Math.max(0, depth - event.keys.length - (event.setAside?.length ?? 0));
    const synced = from(syncedFeedback(event, left, now));
    if (event.kept === undefined) return synced;
    return concat(synced, refusedError(event.kept.reason, left));
  }
  if (event.type === 'batchFailed') return failedFeedback(event, depth, now);
  return EMPTY;
}

/** A batch taken: how many entries were written (when any), and each one set aside. */
function syncedFeedback(event: BatchSynced, backlog: number, now: () => number): DomainEvent[] {
  const synced: DomainEvent = {
    type: 'synced',
    at: now(),
    what: 'outbox',
    count: event.keys.length,
    backlog,
  };
  const refused = (event.setAside ?? []).map(({ key, reason }): DomainEvent => ({
    type: 'sync-failed',
    at: now(),
    what: 'outbox',
    reason: `${key} was set aside, not written to the sheet: ${reason}`,
    backlog,
    retryInMs: null,
  }));
  return event.keys.length > 0 ? [synced, ...refused] : refused;
}

/** A batch failed: said while it is retried, a DrainError once the failure is final. */
function failedFeedback(
  event: BatchFailed,
  backlog: number,
  now: () => number,
): Observable<DomainEvent> {
  const failed: DomainEvent = {
    type: 'sync-failed',
    at: now(),
    what: 'outbox',
    reason: event.reason,
    backlog,
    retryInMs: event.retryInMs,
  };
  return event.final ? refusedError(event.reason, backlog) : of(failed);
}

/** The drain ends: the sheet refused what is left (`backlog` changes), for `reason`. */
function refusedError(reason: string, backlog: number): Observable<never> {
  return throwError(
    () =>
      new DrainError(
        `the sheet refused the replayed sessions: ${reason} (${backlog} change(s) not written)`,
      ),
  );
}

/**
 * How the drain ends: a DrainError when `left` changes are still pending (the
 * deadline cut it short), or when entries were set aside; otherwise quietly.
 */
function finished(
  left: number,
  setAside: readonly Refused[],
  deadlineMs: number,
): Observable<never> {
  if (left > 0) {
    return throwError(
      () =>
        new DrainError(
          `gave up after ${Math.round(deadlineMs / 1000)} s with ${left} change(s) still not in the sheet; run the replay again later (it does not duplicate rows)`,
        ),
    );
  }
  if (setAside.length === 0) return EMPTY;
  const n = setAside.length;
  return throwError(
    () =>
      new DrainError(
        `the sheet refused ${n} replayed change(s) for good; set aside, not written (everything else is in the sheet):\n` +
          `${listProblems(setAside.map(({ key, reason }) => `${key}: ${reason}`))}\n` +
          `Fix what the reason${n === 1 ? '' : 's'} name${n === 1 ? 's' : ''}, then run the replay again (it does not duplicate rows).`,
      ),
  );
}
