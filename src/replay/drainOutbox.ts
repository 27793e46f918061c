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
  mergeMap,
  of,
  takeUntil,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { DomainEvent, SyncEvent } from '../../streams/events';
import { writeBatchWithRetry, type SheetsPort } from '../drivers/sheets/sheetsDriver';
import type { Store } from '../drivers/store/store';

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

/** Sync events as the feedback shows them, until the outbox is empty; errors with a DrainError otherwise. */
export function drainOutbox(
  store: Store,
  port: Pick<SheetsPort, 'writeBatch'>,
  options: DrainOptions,
): Observable<DomainEvent> {
  const now = (): number => options.scheduler.now();
  const batch = (): Observable<SyncEvent> =>
    defer(() => {
      const entries = store.pending(options.batchSize).map((pending) => pending.entry);
      return entries.length === 0
        ? EMPTY
        : writeBatchWithRetry(port, { type: 'writeBatch', at: now(), entries }, options);
    });
  const drained$ = batch().pipe(
    // expand: the next batch leaves only when this one is confirmed and marked done.
    expand((event) => {
      if (event.type !== 'batchSynced') return EMPTY;
      store.markDone(event.keys, now());
      return batch();
    }),
    mergeMap((event): Observable<DomainEvent> => {
      const backlog = store.depth();
      if (event.type === 'batchSynced') {
        return of({ type: 'synced', at: now(), what: 'outbox', count: event.keys.length, backlog });
      }
      if (event.type === 'batchFailed') {
        const failed: DomainEvent = {
          type: 'sync-failed',
          at: now(),
          what: 'outbox',
          reason: event.reason,
          backlog,
          retryInMs: event.retryInMs,
        };
        return event.final
          ? throwError(
              () =>
                new DrainError(
                  `the sheet refused the replayed sessions: ${event.reason} (${backlog} change(s) not written)`,
                ),
            )
          : of(failed);
      }
      return EMPTY;
    }),
  );
  // takeUntil goes last: the whole drain is bounded; whatever is left is said, not waited for.
  const finished$ = defer(() => {
    const left = store.depth();
    return left === 0
      ? EMPTY
      : throwError(
          () =>
            new DrainError(
              `gave up after ${Math.round(options.deadlineMs / 1000)} s with ${left} change(s) still not in the sheet; run the replay again later (it does not duplicate rows)`,
            ),
        );
  });
  return concat(drained$.pipe(takeUntil(timer(options.deadlineMs, options.scheduler))), finished$);
}
