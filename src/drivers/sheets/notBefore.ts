/**
 * One "not before" instant for the whole Sheets client (rule 8). A Retry-After
 * answered to any call, a batch's or a live update's, holds every later call of
 * either path until then: the server asked the client, not one request, for quiet.
 */
import {
  concatMap,
  defer,
  from,
  tap,
  timer,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { sheetBackoff } from '../../../streams/backoff';
import { SheetError } from './sheetError';

/** The client's "not before" instant, and calls made no sooner. */
export interface NotBefore {
  /** The call, made no sooner than the instant; a Retry-After it meets moves the instant on. */
  paced<T>(call: () => ObservableInput<T>): Observable<T>;
  /** How long from now until the instant (0 once it has passed). */
  waitMs(): number;
}

/**
 * A fresh instant (already passed). A Retry-After counts for at most `maxMs` (the backoff's
 * cap: a server asking for days must not stop the clock's sheet). The instant is on the wall
 * clock: one set back before the moment it was set ends the wait at once, as it ends a park
 * (streams/sync.ts), or every call would wait the cap again until the clock caught up.
 */
export function makeNotBefore(
  scheduler: SchedulerLike,
  maxMs: number = sheetBackoff.maxRetryAfterMs,
): NotBefore {
  let setAt = Number.NEGATIVE_INFINITY;
  let until = Number.NEGATIVE_INFINITY;
  const waitMs = (): number => {
    const now = scheduler.now();
    return now < setAt ? 0 : Math.max(0, Math.min(until - now, maxMs));
  };
  const heed = (error: unknown): void => {
    if (!(error instanceof SheetError) || error.retryAfterMs === null) return;
    const now = scheduler.now();
    const asked = now + Math.min(error.retryAfterMs, maxMs);
    if (asked <= until && now >= setAt) return;
    setAt = now;
    until = asked;
  };
  return {
    paced: <T>(call: () => ObservableInput<T>): Observable<T> =>
      defer(() => {
        const call$ = defer(() => from(call())).pipe(tap({ error: heed }));
        const wait = waitMs();
        // concatMap: the one call, after the one wait.
        return wait > 0 ? timer(wait, scheduler).pipe(concatMap(() => call$)) : call$;
      }),
    waitMs,
  };
}
