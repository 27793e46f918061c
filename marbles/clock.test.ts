import { type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clock } from '../streams/clock';
import type { DirectoryLoaded, Output } from '../streams/events';
import { type Rules } from '../streams/rules';
import {
  HOUR,
  autoOut,
  clockIn,
  clockOut,
  directory,
  ignored,
  listCard,
  rulesUtc,
  stampReads,
  tap,
  unknown,
} from './support';

const ALICE = '04A3C6CAE26180';
const BOB = 'B0B0B0B0';
const people = [
  { card: ALICE, name: 'Alice', aliases: ['0012345678'] },
  { card: BOB, name: 'Bob' },
];

describe('clock', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** Runs the core with card ids from a hot marble and the directory at frame 0. */
  function run(
    readsMarble: string,
    values: Record<string, string>,
    rules: Rules = rulesUtc,
    directory$?: Observable<DirectoryLoaded>,
  ): Observable<Output> {
    const reads$ = scheduler.createHotObservable(readsMarble, values).pipe(stampReads(scheduler));
    return clock(
      {
        reads$,
        directory$: directory$ ?? scheduler.createColdObservable('d', { d: directory(0, people) }),
      },
      rules,
      scheduler,
    );
  }

  it('a card held on the reader is one tap, however long', () => {
    scheduler.run(({ expectObservable }) => {
      // A sighting every 500 ms for 10 s: every read is within 3 s of the previous one.
      const reads = '1s ' + 'a 499ms '.repeat(20);
      const expected = '1s (ti)';
      expectObservable(run(reads, { a: ALICE }), '^ 30s !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
      });
    });
  });

  it('the debounce window slides: a gap of 3 s or more starts a new presentation', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s a 2998ms a 2998ms a 3s a';
      const expected = '  1s (ti) 8995ms (ux)';
      //                 reads at 1000, 3999, 6998 are one presentation; 9999 is the next (a double tap)
      expectObservable(run(reads, { a: ALICE }), '^ 30s !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        u: tap(9999, ALICE, 'Alice'),
        x: ignored(9999, ALICE, 'Alice'),
      });
    });
  });

  it('a tap toggles: in, then out with the real elapsed time', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '   1s a 120m a';
      const expected = ' 1s (ti) 7199997ms (so)';
      expectObservable(run(reads, { a: ALICE }), '^ 180m !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        s: tap(7_201_001, ALICE, 'Alice'),
        o: clockOut(7_201_001, ALICE, 1000, 'Alice'),
      });
    });
  });

  it('a second tap within the guard is ignored after clocking in and after clocking out', () => {
    scheduler.run(({ expectObservable }) => {
      //                 in    double tap   out        double tap
      const reads = '    1s a  10s a       5m a       59s a';
      const expected = ' 1s (ti) 9997ms (ux) 299997ms (so) 58997ms (vy)';
      const inAt = 1000;
      const dbl1 = 11_001;
      const outAt = 311_002;
      const dbl2 = 370_003;
      expectObservable(run(reads, { a: ALICE }), '^ 10m !').toBe(expected, {
        t: tap(inAt, ALICE, 'Alice'),
        i: clockIn(inAt, ALICE, 'Alice'),
        u: tap(dbl1, ALICE, 'Alice'),
        x: ignored(dbl1, ALICE, 'Alice'),
        s: tap(outAt, ALICE, 'Alice'),
        o: clockOut(outAt, ALICE, inAt, 'Alice'),
        v: tap(dbl2, ALICE, 'Alice'),
        y: ignored(dbl2, ALICE, 'Alice'),
      });
    });
  });

  it('the guard counts from the last accepted tap, not from ignored ones', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s a 40s a 40s a';
      const expected = ' 1s (ti) 39997ms (ux) 39997ms (so)';
      expectObservable(run(reads, { a: ALICE }), '^ 2m !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        u: tap(41_001, ALICE, 'Alice'),
        x: ignored(41_001, ALICE, 'Alice'),
        s: tap(81_002, ALICE, 'Alice'),
        o: clockOut(81_002, ALICE, 1000, 'Alice'),
      });
    });
  });

  it('two people tapping in turn keep separate sessions', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s a 1s b 60m a 60m b';
      const expected = ' 1s (ti) 997ms (uj) 3599997ms (so) 3599997ms (vp)';
      const aIn = 1000;
      const bIn = 2001;
      const aOut = 3_602_002;
      const bOut = 7_202_003;
      expectObservable(run(reads, { a: ALICE, b: BOB }), '^ 180m !').toBe(expected, {
        t: tap(aIn, ALICE, 'Alice'),
        i: clockIn(aIn, ALICE, 'Alice'),
        u: tap(bIn, BOB, 'Bob'),
        j: clockIn(bIn, BOB, 'Bob'),
        s: tap(aOut, ALICE, 'Alice'),
        o: clockOut(aOut, ALICE, aIn, 'Alice'),
        v: tap(bOut, BOB, 'Bob'),
        p: clockOut(bOut, BOB, bIn, 'Bob'),
      });
    });
  });

  it("a wedge reader's decimal id listed as an alias is the same person", () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s a 60m w';
      const expected = ' 1s (ti) 3599997ms (so)';
      expectObservable(run(reads, { a: ALICE, w: '0012345678' }), '^ 120m !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        s: tap(3_601_001, ALICE, 'Alice'),
        o: clockOut(3_601_001, ALICE, 1000, 'Alice'),
      });
    });
  });

  it('a forgotten clock-out is closed at the limit by the next minute tick', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    30s a';
      // in at 30 s; the limit falls at 12h00m30s; the tick at 12h01m closes it there.
      const expected = ' 30s (ti) 43229996ms z';
      expectObservable(run(reads, { a: ALICE }), '^ 780m !').toBe(expected, {
        t: tap(30_000, ALICE, 'Alice'),
        i: clockIn(30_000, ALICE, 'Alice'),
        z: autoOut(12 * HOUR + 30_000, ALICE, 30_000, 'limit', 'Alice'),
      });
    });
  });

  it('a tap that reaches a session past its limit before the tick closes it at the limit, then clocks in', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    30s a 720m 14999ms a';
      const expected = ' 30s (ti) 43214996ms (szj)';
      const second = 12 * HOUR + 45_000;
      expectObservable(run(reads, { a: ALICE }), '^ 780m !').toBe(expected, {
        t: tap(30_000, ALICE, 'Alice'),
        i: clockIn(30_000, ALICE, 'Alice'),
        s: tap(second, ALICE, 'Alice'),
        z: autoOut(12 * HOUR + 30_000, ALICE, 30_000, 'limit', 'Alice'),
        j: clockIn(second, ALICE, 'Alice'),
      });
    });
  });

  it('an unknown card is clocked in under its id and listed once for naming (accept)', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s c 60m c 60m c';
      const expected = ' 1s (tuli) 3599995ms (so) 3599997ms (wvj)';
      const card = 'DEADBEEF';
      expectObservable(run(reads, { c: card }), '^ 180m !').toBe(expected, {
        t: tap(1000, card),
        u: unknown(1000, card),
        l: listCard(1000, card),
        i: clockIn(1000, card),
        s: tap(3_601_001, card),
        o: clockOut(3_601_001, card, 1000),
        w: tap(7_201_002, card),
        v: unknown(7_201_002, card),
        j: clockIn(7_201_002, card),
      });
    });
  });
});
