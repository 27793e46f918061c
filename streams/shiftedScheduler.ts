import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * A scheduler whose clock reads `origin` ms later than `scheduler`'s.
 * Virtual-time schedulers start at 0 (1970); this lets the same pipeline run
 * in virtual time on real dates (replaying a tap log, DST tests) while delays
 * stay relative. A function as `origin` is read at every `now()`: a wall
 * clock a test sets, as NTP or a person does, while delays stay monotonic.
 */
export function shiftedScheduler(
  scheduler: SchedulerLike,
  origin: number | (() => number),
): SchedulerLike {
  const offset = typeof origin === 'number' ? (): number => origin : origin;
  return {
    now: () => scheduler.now() + offset(),
    schedule<T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription {
      return scheduler.schedule(work, delay, state);
    },
  };
}
