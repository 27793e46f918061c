import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';

/**
 * A scheduler whose clock reads `origin` ms later than `scheduler`'s.
 * Virtual-time schedulers start at 0 (1970); this lets the same pipeline run
 * in virtual time on real dates (replaying a tap log, DST tests) while delays
 * stay relative.
 */
export function shiftedScheduler(scheduler: SchedulerLike, origin: number): SchedulerLike {
  return {
    now: () => scheduler.now() + origin,
    schedule<T>(
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay?: number,
      state?: T,
    ): Subscription {
      return scheduler.schedule(work, delay, state);
    },
  };
}
