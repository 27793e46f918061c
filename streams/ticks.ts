import { defer, map, repeat, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { MinuteElapsed } from './events';

const MINUTE = 60_000;

/**
 * A tick at every wall-clock minute boundary of `scheduler`'s clock.
 * Each tick re-aligns from the clock (rather than a fixed period), so timer
 * drift and wall-clock jumps are absorbed at the next minute. `at` is the
 * boundary itself; a late tick still names the minute it belongs to. A tick
 * after the wall clock was set back names an earlier minute than the one
 * before it: the reducers take that in their stride. With `mono`, each tick
 * is stamped with the monotonic clock, so the reducer can tell how much time
 * really passed when the wall clock jumps.
 */
export function minuteTicks(
  scheduler: SchedulerLike,
  mono?: () => number,
): Observable<MinuteElapsed> {
  return defer(() => {
    // Per subscription: the last boundary ticked, so an early timer never ticks a minute twice.
    let last = -Infinity;
    return defer(() => {
      const now = scheduler.now();
      // The wall clock went back more than a minute (a person, or NTP): the memory of the last
      // boundary belongs to the old setting and would hold the next tick back for as long.
      if (now < last - MINUTE) last = -Infinity;
      const boundary = (Math.floor(Math.max(now, last) / MINUTE) + 1) * MINUTE;
      return timer(boundary - now, scheduler).pipe(
        map((): MinuteElapsed => {
          last = boundary;
          return {
            type: 'minuteElapsed',
            at: boundary,
            ...(mono === undefined ? {} : { mono: mono() }),
          };
        }),
      );
    }).pipe(repeat());
  });
}
