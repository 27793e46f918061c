/**
 * Values held back until a signal: the reads of a clock just started wait for its first answer
 * on whether the system clock is synchronised, so a tap in those milliseconds is marked for the
 * clock it was taken on (streams/timeCorrection.ts), not taken as synchronised.
 */
import {
  buffer,
  connect,
  defaultIfEmpty,
  defer,
  merge,
  mergeMap,
  race,
  shareReplay,
  skipUntil,
  take,
  timer,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';

/**
 * Holds the source's values until `open$` first emits or ends, or `withinMs` passed, then lets
 * them go in order, and every later one at once. Nothing held is lost: values still held when
 * the source ends go then.
 */
export function heldUntil<T>(
  open$: Observable<unknown>,
  withinMs: number,
  scheduler: SchedulerLike,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    defer(() => {
      // One opening for both halves below: the held values go, then the gate stays open.
      const opened$ = race(
        open$.pipe(take(1), defaultIfEmpty(true)),
        timer(withinMs, scheduler),
      ).pipe(take(1), shareReplay({ bufferSize: 1, refCount: true }));
      return source.pipe(
        connect((shared) =>
          merge(
            // mergeMap: the held array is let go at once, in its order.
            shared.pipe(
              buffer(opened$),
              take(1),
              mergeMap((held) => held),
            ),
            shared.pipe(skipUntil(opened$)),
          ),
        ),
      );
    });
}
