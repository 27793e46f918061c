import { type Observable, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOutputs } from '../streams/clock';
import type { DirectoryLoaded, Output } from '../streams/events';
import { defaultRules, type Rules } from '../streams/rules';
import { shiftedScheduler } from '../streams/shiftedScheduler';
import { toHours } from '../streams/zoned';
import {
  HOUR,
  autoOut,
  clockIn,
  clockOut,
  directory,
  ignored,
  instant,
  listCard,
  nameCard,
  readerFault,
  rulesUtc,
  stampReaderInput,
  tap,
  unknown,
  type ReaderInput,
} from './support';

const ALICE = '04A3C6CAE26180';
const BOB = 'B0B0B0B0';
const alice = { card: ALICE, name: 'Alice', aliases: ['0012345678'] };
const bob = { card: BOB, name: 'Bob' };
const people = [alice, bob];
const BERLIN = 'Europe/Berlin';

/** A held card's sighting kept for a restart (the raw id the reader saw). */
function keep(at: number, card: string, reader = 'door'): Output {
  return { type: 'keepSighting', at, card, reader };
}

interface RunOptions {
  readonly rules?: Rules;
  /** Defaults to a cold directory of `people` at frame 0. */
  readonly directory$?: Observable<DirectoryLoaded>;
  /** The clock the core and the reader see, e.g. a shiftedScheduler on a real date. */
  readonly clockScheduler?: SchedulerLike;
}

describe('clock', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** Runs the core with card ids (or reader faults) from a hot marble. */
  function run(
    readsMarble: string,
    values: Record<string, ReaderInput>,
    options: RunOptions = {},
  ): Observable<Output> {
    const clockScheduler = options.clockScheduler ?? scheduler;
    const reads$ = scheduler
      .createHotObservable(readsMarble, values)
      .pipe(stampReaderInput(clockScheduler));
    const directory$ =
      options.directory$ ??
      scheduler.createColdObservable('d', { d: directory(clockScheduler.now(), people) });
    return clockOutputs({ reads$, directory$ }, options.rules ?? rulesUtc, clockScheduler);
  }

  it('a card held on the reader is one tap, however long', () => {
    scheduler.run(({ expectObservable }) => {
      // A sighting every 500 ms for 10 s: every read is within 3 s of the previous one.
      // It is kept (for a restart) at its first sighting after the tap, then once a second.
      const reads = '1s ' + 'a 499ms '.repeat(20);
      const expected =
        '1s (ti) 496ms A 999ms B 999ms C 999ms D 999ms E 999ms F 999ms G 999ms H 999ms I 999ms J';
      expectObservable(run(reads, { a: ALICE }), '^ 30s !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        ...Object.fromEntries(
          ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J'].map((k, n) => [
            k,
            keep(1500 + n * 1000, ALICE),
          ]),
        ),
      });
    });
  });

  it('the debounce window slides: a gap of 3 s or more starts a new presentation', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s a 2998ms a 2998ms a 3s a';
      const expected = '  1s (ti) 2995ms k 2998ms l 3s (ux)';
      //                 reads at 1000, 3999, 6998 are one presentation; 9999 is the next (a double tap)
      expectObservable(run(reads, { a: ALICE }), '^ 30s !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        k: keep(3999, ALICE),
        l: keep(6998, ALICE),
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

  it('an unknown card under policy reject gets feedback only, is listed once and never clocks in', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '    1s  c 60m           c';
      const expected = ' 1s (tul) 3599996ms (sv)';
      // The window runs past 12 h: a session opened silently would be auto-closed in it.
      const card = 'DEADBEEF';
      const rules: Rules = { ...rulesUtc, unknownCards: 'reject' };
      expectObservable(run(reads, { c: card }, { rules }), '^ 780m !').toBe(expected, {
        t: tap(1000, card),
        u: unknown(1000, card, 'reject'),
        l: listCard(1000, card),
        s: tap(3_601_001, card),
        v: unknown(3_601_001, card, 'reject'),
      });
    });
  });

  it('a card listed in People with a blank name is still unknown and is not listed again', () => {
    scheduler.run(({ expectObservable }) => {
      const card = 'CAFEF00D';
      const directory$ = scheduler.createColdObservable('d', {
        d: directory(0, [...people, { card, name: '   ' }]),
      });
      const reads = '    1s  c 60m           c';
      const expected = ' 1s (tui) 3599996ms (so)';
      expectObservable(run(reads, { c: card }, { directory$ }), '^ 180m !').toBe(expected, {
        t: tap(1000, card),
        u: unknown(1000, card),
        i: clockIn(1000, card),
        s: tap(3_601_001, card),
        o: clockOut(3_601_001, card, 1000),
      });
    });
  });

  it('a deactivated card cannot clock in, but a session open when its card was deactivated can still clock out', () => {
    scheduler.run(({ expectObservable }) => {
      const bobOff = { ...bob, active: false };
      const aliceOff = { ...alice, active: false };
      // e: People reloaded with Alice deactivated too, while her session is open.
      const people$ = '   d 30m              e';
      const reads = '     1s  a 1s       b 60m          a 2m          a';
      const expected = '  1s (ti) 997ms (uy) 3599997ms (so) 119997ms (vx)';
      const directory$ = scheduler.createHotObservable(people$, {
        d: directory(0, [alice, bobOff]),
        e: directory(1_800_001, [aliceOff, bobOff]),
      });
      expectObservable(run(reads, { a: ALICE, b: BOB }, { directory$ }), '^ 180m !').toBe(
        expected,
        {
          t: tap(1000, ALICE, 'Alice'),
          i: clockIn(1000, ALICE, 'Alice'),
          u: tap(2001, BOB, 'Bob'),
          y: ignored(2001, BOB, 'Bob', 'inactive'),
          s: tap(3_602_002, ALICE, 'Alice'),
          o: clockOut(3_602_002, ALICE, 1000, 'Alice'),
          v: tap(3_722_003, ALICE, 'Alice'),
          x: ignored(3_722_003, ALICE, 'Alice', 'inactive'),
        },
      );
    });
  });

  it('a name typed into People while a session is open is filled in and appears on its clock-out', () => {
    scheduler.run(({ expectObservable }) => {
      const card = 'DEADBEEF';
      const named = directory(1_800_001, [...people, { card, name: 'Dana' }]);
      const people$ = '   d 30m               e';
      const reads = '     1s  c 60m                        c';
      const expected = '  1s (tuli) 1798995ms n 1800999ms (so)';
      const directory$ = scheduler.createHotObservable(people$, {
        d: directory(0, people),
        e: named,
      });
      expectObservable(run(reads, { c: card }, { directory$ }), '^ 180m !').toBe(expected, {
        t: tap(1000, card),
        u: unknown(1000, card),
        l: listCard(1000, card),
        i: clockIn(1000, card),
        n: nameCard(1_800_001, card, 'Dana'),
        s: tap(3_601_001, card, 'Dana'),
        o: clockOut(3_601_001, card, 1000, 'Dana'),
      });
    });
  });

  it('a daily cut-off at midnight in Berlin closes a session open across it at midnight, by the tick of that minute', () => {
    scheduler.run(({ expectObservable }) => {
      const origin = instant('2026-01-15T22:00:00+01:00');
      const clockScheduler = shiftedScheduler(scheduler, origin);
      const rules: Rules = { ...defaultRules(BERLIN), dailyCutoff: '00:00' };
      //                     22:00:01                  00:30:01 the next day: a new session, not a clock-out
      const reads = '    1s  a 150m                     a';
      const expected = ' 1s (ti) 7198996ms z 1801000ms (sj)';
      //                                   z: the tick at 00:00 local closes it at 00:00
      const inAt = origin + 1000;
      const midnight = instant('2026-01-16T00:00:00+01:00');
      const again = origin + 9_001_001;
      expectObservable(run(reads, { a: ALICE }, { rules, clockScheduler }), '^ 180m !').toBe(
        expected,
        {
          t: tap(inAt, ALICE, 'Alice'),
          i: clockIn(inAt, ALICE, 'Alice'),
          z: autoOut(midnight, ALICE, inAt, 'cutoff', 'Alice'),
          s: tap(again, ALICE, 'Alice'),
          j: clockIn(again, ALICE, 'Alice'),
        },
      );
    });
  });

  it('a session forgotten overnight in Berlin is closed at the 12 h limit the next morning, and that part counts for the new day', () => {
    scheduler.run(({ expectObservable }) => {
      const origin = instant('2026-01-15T20:00:00+01:00');
      const clockScheduler = shiftedScheduler(scheduler, origin);
      const rules = defaultRules(BERLIN);
      //                      20:00:30                    09:00:00        17:00:00.001
      const reads = '    30s  a 779m 29999ms              a 480m          a';
      const expected = ' 30s (ti) 43229996ms z 3539999ms (sj) 28799997ms (vo)';
      //                                     z: the tick at 08:01 closes it at 08:00:30
      const inAt = instant('2026-01-15T20:00:30+01:00');
      const limit = instant('2026-01-16T08:00:30+01:00');
      const nineAm = instant('2026-01-16T09:00:00+01:00');
      const fivePm = origin + 75_600_001;
      const sinceMidnight = limit - instant('2026-01-16T00:00:00+01:00');
      expectObservable(run(reads, { a: ALICE }, { rules, clockScheduler }), '^ 1320m !').toBe(
        expected,
        {
          t: tap(inAt, ALICE, 'Alice'),
          i: clockIn(inAt, ALICE, 'Alice'),
          z: autoOut(limit, ALICE, inAt, 'limit', 'Alice'),
          s: tap(nineAm, ALICE, 'Alice'),
          j: clockIn(nineAm, ALICE, 'Alice'),
          v: tap(fivePm, ALICE, 'Alice'),
          o: clockOut(
            fivePm,
            ALICE,
            nineAm,
            'Alice',
            toHours(sinceMidnight + fivePm - nineAm),
            'door',
            // Thursday night and Friday are one week: the whole auto session counts.
            toHours(limit - inAt + fivePm - nineAm),
          ),
        },
      );
    });
  });

  it('a night shift across the spring-forward night in Berlin lasts 9 real hours from 22:00 to 08:00', () => {
    scheduler.run(({ expectObservable }) => {
      const origin = instant('2026-03-28T21:59:00+01:00');
      const clockScheduler = shiftedScheduler(scheduler, origin);
      //                     22:00 CET         08:00 CEST
      const reads = '    1m  a 539m 59999ms    a';
      const expected = ' 1m (ti) 539m 59996ms (so)';
      const inAt = instant('2026-03-28T22:00:00+01:00');
      const outAt = instant('2026-03-29T08:00:00+02:00');
      const rules = defaultRules(BERLIN);
      expectObservable(run(reads, { a: ALICE }, { rules, clockScheduler }), '^ 720m !').toBe(
        expected,
        {
          t: tap(inAt, ALICE, 'Alice'),
          i: clockIn(inAt, ALICE, 'Alice'),
          s: tap(outAt, ALICE, 'Alice'),
          // 00:00 to 08:00 on the 29th is only 7 real hours: 02:00-03:00 does not exist.
          o: { ...clockOut(outAt, ALICE, inAt, 'Alice'), hours: 9, todayHours: 7 },
        },
      );
    });
  });

  it('a night shift across the fall-back night in Berlin lasts 11 real hours from 22:00 to 08:00', () => {
    scheduler.run(({ expectObservable }) => {
      const origin = instant('2026-10-24T21:59:00+02:00');
      const clockScheduler = shiftedScheduler(scheduler, origin);
      //                     22:00 CEST        08:00 CET
      const reads = '    1m  a 659m 59999ms    a';
      const expected = ' 1m (ti) 659m 59996ms (so)';
      const inAt = instant('2026-10-24T22:00:00+02:00');
      const outAt = instant('2026-10-25T08:00:00+01:00');
      const rules = defaultRules(BERLIN);
      expectObservable(run(reads, { a: ALICE }, { rules, clockScheduler }), '^ 720m !').toBe(
        expected,
        {
          t: tap(inAt, ALICE, 'Alice'),
          i: clockIn(inAt, ALICE, 'Alice'),
          s: tap(outAt, ALICE, 'Alice'),
          // 00:00 to 08:00 on the 25th is 9 real hours: 02:00-03:00 happens twice.
          o: { ...clockOut(outAt, ALICE, inAt, 'Alice'), hours: 11, todayHours: 9 },
        },
      );
    });
  });

  it('a reader fault comes out as a reader-fault and neither taps nor disturbs the sessions', () => {
    scheduler.run(({ expectObservable }) => {
      // A fault in the middle of a held card: the card is still one presentation.
      const reads = '    1s  a 499ms   f 499ms a 60m a';
      const expected = ' 1s (ti) 496ms r 499ms k 60m (so)';
      const reason = 'not a card id: "%%" (expected hex or decimal digits)';
      expectObservable(run(reads, { a: ALICE, f: { fault: reason } }), '^ 180m !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        r: readerFault(1500, reason),
        k: keep(2000, ALICE),
        s: tap(3_602_001, ALICE, 'Alice'),
        o: clockOut(3_602_001, ALICE, 1000, 'Alice'),
      });
    });
  });
});
