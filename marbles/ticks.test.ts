import type { SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { minuteTicks } from '../streams/ticks';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A wall clock on virtual time whose setting a test can change, as NTP or a person does. */
function settableClock(scheduler: SchedulerLike, origin: number) {
  let offset = origin;
  const clock = shiftedScheduler(scheduler, () => offset);
  return {
    clock,
    /** Steps the wall clock by `ms` at virtual time `when` (delays stay monotonic, as timers are). */
    stepAt: (when: number, ms: number): void => {
      scheduler.schedule(() => {
        offset += ms;
      }, when);
    },
  };
}

describe('minuteTicks', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('ticks on wall-clock minute boundaries, not a minute after subscribing', () => {
    scheduler.run(({ expectObservable }) => {
      const subscription = '  30s ^ 149s !';
      const expected = '      60s a 59999ms b';
      expectObservable(minuteTicks(scheduler), subscription).toBe(expected, {
        a: { type: 'minuteElapsed', at: 60_000 },
        b: { type: 'minuteElapsed', at: 120_000 },
      });
    });
  });

  it('subscribed exactly on a boundary waits for the next one', () => {
    scheduler.run(({ expectObservable }) => {
      const subscription = '  ^ 121s !';
      const expected = '      60s a 59999ms b';
      expectObservable(minuteTicks(scheduler), subscription).toBe(expected, {
        a: { type: 'minuteElapsed', at: 60_000 },
        b: { type: 'minuteElapsed', at: 120_000 },
      });
    });
  });

  it('each subscriber gets its own aligned ticks', () => {
    scheduler.run(({ expectObservable }) => {
      expectObservable(minuteTicks(scheduler), '10s ^ 60s !').toBe('60s a', {
        a: { type: 'minuteElapsed', at: 60_000 },
      });
      expectObservable(minuteTicks(scheduler), '50s ^ 80s !').toBe('60s a 59999ms b', {
        a: { type: 'minuteElapsed', at: 60_000 },
        b: { type: 'minuteElapsed', at: 120_000 },
      });
    });
  });

  it('the wall clock stepped back an hour: the next minute after the step is ticked a minute later, not 61', () => {
    const T0 = Date.parse('2026-03-23T08:00:00Z');
    scheduler.run(({ expectObservable }) => {
      const { clock, stepAt } = settableClock(scheduler, T0);
      stepAt(150_000, -HOUR);
      // The timer set before the step still fires at its boundary (timers run on monotonic
      // time); then the ticks follow the wall clock as it now reads, one a minute.
      expectObservable(minuteTicks(clock), '^ 300s !').toBe(
        '60s a 59999ms b 59999ms c 59999ms d 59999ms e',
        {
          a: { type: 'minuteElapsed', at: T0 + MINUTE },
          b: { type: 'minuteElapsed', at: T0 + 2 * MINUTE },
          c: { type: 'minuteElapsed', at: T0 + 3 * MINUTE },
          d: { type: 'minuteElapsed', at: T0 + 4 * MINUTE - HOUR },
          e: { type: 'minuteElapsed', at: T0 + 5 * MINUTE - HOUR },
        },
      );
    });
  });

  it('a timer that fires early never ticks a minute twice, and the wall clock stepped back by less than a minute skips nothing', () => {
    const T0 = Date.parse('2026-03-23T08:00:00Z');
    scheduler.run(({ expectObservable }) => {
      const { clock, stepAt } = settableClock(scheduler, T0);
      // Just after the first tick the clock reads 30 s earlier: that minute must not tick twice.
      stepAt(60_000, -30_000);
      expectObservable(minuteTicks(clock), '^ 200s !').toBe('60s a 89999ms b', {
        a: { type: 'minuteElapsed', at: T0 + MINUTE },
        b: { type: 'minuteElapsed', at: T0 + 2 * MINUTE },
      });
    });
  });

  it('with a monotonic clock, each tick carries its reading when it fired', () => {
    scheduler.run(({ expectObservable }) => {
      // A monotonic clock counted from a boot 5 s before the virtual epoch.
      const mono = () => scheduler.now() + 5_000;
      expectObservable(minuteTicks(scheduler, mono), '^ 121s !').toBe('60s a 59999ms b', {
        a: { type: 'minuteElapsed', at: 60_000, mono: 65_000 },
        b: { type: 'minuteElapsed', at: 120_000, mono: 125_000 },
      });
    });
  });
});
