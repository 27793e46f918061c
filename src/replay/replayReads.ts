import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { CardRead } from '../../streams/events';

/**
 * Each read at its own instant on `scheduler`, with one timer pending at a time.
 * The next timer is scheduled only when the one before has fired, so a year of
 * taps keeps the virtual scheduler's queue (which it re-sorts on every insert)
 * at one tap, not one per tap. `reads` must be in time order; reads at the same
 * instant are emitted together, in order. Each timer is a fresh action: a
 * rescheduled `VirtualAction` would chain every tap onto the one before and
 * overflow the stack when the chain is torn down.
 */
export function readsInTime(
  reads: readonly CardRead[],
  scheduler: SchedulerLike,
): Observable<CardRead> {
  return new Observable<CardRead>((subscriber) => {
    let next = 0;
    let pending: Subscription | undefined;
    const emitDue = (): void => {
      const now = scheduler.now();
      let read = reads[next];
      while (read !== undefined && read.at <= now && !subscriber.closed) {
        subscriber.next(read);
        next += 1;
        read = reads[next];
      }
      if (read === undefined) subscriber.complete();
      else if (!subscriber.closed) pending = scheduler.schedule(emitDue, read.at - now);
    };
    const first = reads[0];
    pending = scheduler.schedule(emitDue, Math.max(0, (first?.at ?? 0) - scheduler.now()));
    return () => pending?.unsubscribe();
  });
}
