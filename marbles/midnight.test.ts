import { type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOutputs } from '../streams/clock';
import type { Output } from '../streams/events';
import { defaultRules } from '../streams/rules';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { autoOut, clockIn, directory, stampReads, tap } from './support';

const BOB = 'B0B0B0B0';
// Virtual time on real dates: frame 0 is 2026-03-28 20:00 in Berlin (19:00Z), a minute boundary.
const ORIGIN = Date.parse('2026-03-28T19:00:00Z');

describe('clock across midnight and a DST change (Europe/Berlin)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  function run(reads: string, cutoff: string | null): Observable<Output> {
    const shifted = shiftedScheduler(scheduler, ORIGIN);
    const reads$ = scheduler.createHotObservable(reads, { b: BOB }).pipe(stampReads(shifted));
    const directory$ = scheduler.createColdObservable('d', {
      d: directory(ORIGIN, [{ card: BOB, name: 'Bob' }]),
    });
    return clockOutputs(
      { reads$, directory$ },
      { ...defaultRules('Europe/Berlin'), dailyCutoff: cutoff },
      shifted,
    );
  }

  it('a forgotten clock-out across midnight is closed 12 real hours later, across the spring-forward night', () => {
    scheduler.run(({ expectObservable }) => {
      // In at 22:00 local (21:00Z). 12 real hours later is 09:00Z = 11:00 CEST on 2026-03-29 (the
      // clocks went forward at 02:00), closed by the tick at that minute.
      const reads = '   120m b';
      const inAt = ORIGIN + 2 * 3_600_000;
      const expected = '120m (ti) 719m 59996ms z';
      expectObservable(run(reads, null), '^ 900m !').toBe(expected, {
        t: tap(inAt, BOB, 'Bob'),
        i: clockIn(inAt, BOB, 'Bob'),
        z: autoOut(Date.parse('2026-03-29T09:00:00Z'), BOB, inAt, 'limit', 'Bob'),
      });
    });
  });

  it('the daily cut-off at midnight closes a session at local midnight, by the tick at that minute', () => {
    scheduler.run(({ expectObservable }) => {
      // In at 22:00 local; cut-off 00:00 local = 23:00Z, two hours after the clock-in.
      const reads = '   120m b';
      const inAt = ORIGIN + 2 * 3_600_000;
      const expected = '120m (ti) 119m 59996ms z';
      expectObservable(run(reads, '00:00'), '^ 300m !').toBe(expected, {
        t: tap(inAt, BOB, 'Bob'),
        i: clockIn(inAt, BOB, 'Bob'),
        z: autoOut(Date.parse('2026-03-28T23:00:00Z'), BOB, inAt, 'cutoff', 'Bob'),
      });
    });
  });
});

describe('the daily cut-off on the fall-back night (Europe/Berlin)', () => {
  // Frame 0 is 2026-10-25 01:00 CEST (23:00Z on the 24th). The clocks go back at 03:00 CEST to
  // 02:00 CET, so 02:30 happens at 00:30Z and again at 01:30Z.
  const FALL_ORIGIN = Date.parse('2026-10-24T23:00:00Z');
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  function run(reads: string): Observable<Output> {
    const shifted = shiftedScheduler(scheduler, FALL_ORIGIN);
    const reads$ = scheduler.createHotObservable(reads, { b: BOB }).pipe(stampReads(shifted));
    const directory$ = scheduler.createColdObservable('d', {
      d: directory(FALL_ORIGIN, [{ card: BOB, name: 'Bob' }]),
    });
    return clockOutputs(
      { reads$, directory$ },
      { ...defaultRules('Europe/Berlin'), dailyCutoff: '02:30' },
      shifted,
    );
  }

  it('a session open before the first 02:30 is closed at the first 02:30 (CEST)', () => {
    scheduler.run(({ expectObservable }) => {
      // In at 01:10 CEST (23:10Z); the first 02:30 is 80 minutes later.
      const reads = '   10m b';
      const inAt = FALL_ORIGIN + 10 * 60_000;
      const expected = '10m (ti) 79m 59996ms z';
      expectObservable(run(reads), '^ 300m !').toBe(expected, {
        t: tap(inAt, BOB, 'Bob'),
        i: clockIn(inAt, BOB, 'Bob'),
        z: autoOut(Date.parse('2026-10-25T02:30:00+02:00'), BOB, inAt, 'cutoff', 'Bob'),
      });
    });
  });

  it('a session opened in the repeated hour after the first 02:30 is closed at the second 02:30 (CET)', () => {
    scheduler.run(({ expectObservable }) => {
      // In at 02:10 CET (01:10Z), the second time the clock shows 02:10; the second 02:30 is
      // 20 minutes later. The cut-off is not skipped to the next night.
      const reads = '   130m b';
      const inAt = FALL_ORIGIN + 130 * 60_000;
      const expected = '130m (ti) 19m 59996ms z';
      expectObservable(run(reads), '^ 300m !').toBe(expected, {
        t: tap(inAt, BOB, 'Bob'),
        i: clockIn(inAt, BOB, 'Bob'),
        z: autoOut(Date.parse('2026-10-25T02:30:00+01:00'), BOB, inAt, 'cutoff', 'Bob'),
      });
    });
  });
});
