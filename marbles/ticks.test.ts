import { TestScheduler } from 'rxjs/testing';
import { minuteTicks } from '../streams/ticks';

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
});
