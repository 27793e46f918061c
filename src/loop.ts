/**
 * The loop, closed in one place: Cycle.js's `run(main, drivers)`, for this
 * clock. `main` is the whole clock between its sources and the store: handed
 * what was committed (coming round again, for the drivers and the core), it
 * returns what it commits. Listeners (feedback at the reader, the buzzer)
 * see each commit once it is made.
 *
 * The ordering contract, kept here in code rather than in comments:
 * - every listener is subscribed before `main` starts, so each sees `main`'s
 *   first, synchronous commits (a restart's auto clock-outs, the outbox's
 *   first batch);
 * - what goes round is delivered asynchronously (on `scheduler`, asap by
 *   default), so nothing re-enters the reducer synchronously, and a driver
 *   that subscribes while `main` is being subscribed (which is when every
 *   driver does) misses nothing: the first delivery comes after the whole
 *   wiring has subscribed;
 * - one way of multicasting: a Subject for what is committed, one for what
 *   goes round. `main` is subscribed once.
 *
 * An error in `main` or in a listener errors the whole; it never completes
 * by itself (a clock runs until it is stopped); unsubscribing stops it all.
 */
import {
  asapScheduler,
  Observable,
  observeOn,
  Subject,
  Subscription,
  type SchedulerLike,
} from 'rxjs';

export type Listener<T> = (committed$: Observable<T>) => Observable<unknown>;

export function runLoop<T>(
  main: (fedBack$: Observable<T>) => Observable<T>,
  listeners: readonly Listener<T>[],
  scheduler: SchedulerLike = asapScheduler,
): Observable<never> {
  return new Observable<never>((subscriber) => {
    const committed = new Subject<T>();
    const fedBack = new Subject<T>();
    const all = new Subscription();
    const fail = (error: unknown): void => {
      subscriber.error(error);
    };
    // 1. The listeners, before anything is committed.
    for (const listener of listeners)
      all.add(listener(committed.asObservable()).subscribe({ error: fail }));
    // 2. What goes round, always a turn later.
    all.add(committed.pipe(observeOn(scheduler)).subscribe(fedBack));
    // 3. The clock itself: its drivers subscribe to `fedBack` as it is subscribed.
    all.add(
      main(fedBack.asObservable()).subscribe({
        next: (value) => {
          committed.next(value);
        },
        error: fail,
      }),
    );
    return all;
  });
}
