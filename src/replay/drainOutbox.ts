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
import type { DomainEvent, SyncEvent } from '../../streams/events';
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

/**
 * Sync events as the feedback shows them, until the outbox is empty; errors with
 * a DrainError otherwise. An entry the sheet refused for good is set aside as
 * the running clock does it (streams/sync.ts): marked done with the reason and
 * said once, so the rest flows; the drain then ends with a DrainError naming it.
 */
export function drainOutbox(
  store: Store,
  port: Pick<SheetsPort, 'writeBatch'>,
  options: DrainOptions,
): Observable<DomainEvent> {
  const now = (): number => options.scheduler.now();
  return defer(() => {
    const setAside: { readonly key: string; readonly reason: string }[] = [];
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
        for (const { key, reason } of event.setAside ?? []) store.markDone([key], now(), reason);
        setAside.push(...(event.setAside ?? []));
        return batch();
      }),
      mergeMap((event): Observable<DomainEvent> => {
        const backlog = store.depth();
        if (event.type === 'batchSynced') {
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
          return from(event.keys.length > 0 ? [synced, ...refused] : refused);
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
      if (left > 0) {
        return throwError(
          () =>
            new DrainError(
              `gave up after ${Math.round(options.deadlineMs / 1000)} s with ${left} change(s) still not in the sheet; run the replay again later (it does not duplicate rows)`,
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
    });
    return concat(
      drained$.pipe(takeUntil(timer(options.deadlineMs, options.scheduler))),
      finished$,
    );
  });
}
