/** Enrolment at the reader (rule 14) through the whole core, in virtual time. */
import { merge, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOutputs } from '../streams/clock';
import type { Enrolment, Output } from '../streams/events';
import { restoreState, type Snapshot } from '../streams/sessions';
import {
  clockIn,
  clockOut,
  directory,
  listCard,
  rulesUtc,
  stampReaderInput,
  tap,
  unknown,
} from './support';

const ADMIN = 'AD000001';
const ALICE = '04A3C6CAE26180';
const BOB = 'B0B0B0B0';
const NEW = '04112233445566';
const DECIMAL = '0012345678';
const people = [
  { card: ADMIN, name: 'Manager', admin: true },
  { card: ALICE, name: 'Alice' },
  { card: BOB, name: 'Bob' },
];

function enrol(
  step: Enrolment['step'],
  at: number,
  card: string,
  name: string | null,
  extra: { reason?: string; target?: string } = {},
  reader = 'door',
): Output {
  return { type: 'enrol', step, at, card, name, reader, ...extra };
}

describe('enrolment at the reader', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  /** The core with reads at `door` and, optionally, at `desk`; only what a person would see or the store keeps. */
  function run(door: string, values: Record<string, string>, desk = ''): Observable<Output> {
    const reads$ = merge(
      scheduler.createHotObservable(door, values).pipe(stampReaderInput(scheduler, 'door')),
      scheduler.createHotObservable(desk, values).pipe(stampReaderInput(scheduler, 'desk')),
    );
    const directory$ = scheduler.createColdObservable('d', { d: directory(0, people) });
    return clockOutputs({ reads$, directory$ }, rulesUtc, scheduler);
  }

  it('admin card, then an unknown card: listed as New 1 with a note, never clocked; the mode closes', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '  1s m 4s n 10s n';
      const expected = '1s (to) 3997ms (uLl) 9996ms (vi)';
      expectObservable(run(reads, { m: ADMIN, n: NEW }), '^ 30s !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        u: tap(5001, NEW),
        L: enrol('listed', 5001, NEW, 'New 1'),
        l: { ...listCard(5001, NEW), name: 'New 1', note: 'enrolled at door' },
        // The mode closed with the listing: the card's next tap clocks in, as New 1 at once.
        v: tap(15_002, NEW, 'New 1'),
        i: clockIn(15_002, NEW, 'New 1'),
      });
    });
  });

  it("admin card, then a person's card, then another card: the other card is the person's alias at once", () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '  1s m 4s a 4s d 10s d';
      const expected = '1s (to) 3997ms (uc) 3997ms (vAx) 9996ms (wi)';
      expectObservable(run(reads, { m: ADMIN, a: ALICE, d: DECIMAL }), '^ 30s !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        // Choosing Alice does not clock her.
        u: tap(5001, ALICE, 'Alice'),
        c: enrol('chosen', 5001, ALICE, 'Alice'),
        v: tap(9002, DECIMAL),
        A: enrol('aliased', 9002, DECIMAL, 'Alice', { target: ALICE }),
        x: { type: 'addAlias', at: 9002, card: ALICE, alias: DECIMAL },
        // The new id clocks Alice in, before People shows the alias.
        w: tap(19_003, ALICE, 'Alice'),
        i: clockIn(19_003, ALICE, 'Alice'),
      });
    });
  });

  it('the admin card again closes the mode; admin taps never clock in or out', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '  1s m 4s m 4s a 70s m 4s m';
      const expected = '1s (to) 3997ms (uc) 3997ms (vi) 69997ms (wO) 3997ms (xC)';
      expectObservable(run(reads, { m: ADMIN, a: ALICE }), '^ 120s !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        u: tap(5001, ADMIN, 'Manager'),
        c: enrol('closed', 5001, ADMIN, 'Manager', { reason: 'admin card' }),
        // Closed: Alice's card clocks her in as usual.
        v: tap(9002, ALICE, 'Alice'),
        i: clockIn(9002, ALICE, 'Alice'),
        w: tap(79_003, ADMIN, 'Manager'),
        O: enrol('opened', 79_003, ADMIN, 'Manager'),
        x: tap(83_004, ADMIN, 'Manager'),
        C: enrol('closed', 83_004, ADMIN, 'Manager', { reason: 'admin card' }),
      });
    });
  });

  it('the mode closes 30 s after its last step: a card after that is an ordinary tap, and the close is told first', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '  1s m 35s n';
      const expected = '1s (to) 34997ms (cuUli)';
      expectObservable(run(reads, { m: ADMIN, n: NEW }), '^ 2m !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        u: tap(36_001, NEW),
        U: unknown(36_001, NEW),
        l: listCard(36_001, NEW),
        i: clockIn(36_001, NEW),
        c: enrol('closed', 31_000, ADMIN, 'Manager', { reason: 'time ran out' }),
      });
    });
  });

  it('with no card after it, the mode closes at the next minute, dated when its time ran out', () => {
    scheduler.run(({ expectObservable }) => {
      const expected = '1s (to) 58996ms c';
      expectObservable(run('1s m', { m: ADMIN }), '^ 2m !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        c: enrol('closed', 31_000, ADMIN, 'Manager', { reason: 'time ran out' }),
      });
    });
  });

  it('a card that is already someone else’s is refused as an alias, and the mode closes', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = '  1s m 4s a 4s b 10s b';
      const expected = '1s (to) 3997ms (uc) 3997ms (vr) 9997ms (wi)';
      expectObservable(run(reads, { m: ADMIN, a: ALICE, b: BOB }), '^ 30s !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        u: tap(5001, ALICE, 'Alice'),
        c: enrol('chosen', 5001, ALICE, 'Alice'),
        v: tap(9002, BOB, 'Bob'),
        r: enrol('refused', 9002, BOB, 'Bob', { reason: `card ${BOB} belongs to Bob` }),
        w: tap(19_003, BOB, 'Bob'),
        i: clockIn(19_003, BOB, 'Bob'),
      });
    });
  });

  it('enrolment open at one reader leaves the other reader as it was', () => {
    scheduler.run(({ expectObservable }) => {
      const door = ' 1s m 4s n';
      const desk = ' 3s a';
      const expected = '1s (to) 1996ms (vi) 1997ms (uLl)';
      expectObservable(run(door, { m: ADMIN, a: ALICE, n: NEW }, desk), '^ 30s !').toBe(expected, {
        t: tap(1000, ADMIN, 'Manager'),
        o: enrol('opened', 1000, ADMIN, 'Manager'),
        v: tap(3000, ALICE, 'Alice', 'desk'),
        i: clockIn(3000, ALICE, 'Alice', 'desk'),
        u: tap(5001, NEW),
        L: enrol('listed', 5001, NEW, 'New 1'),
        l: { ...listCard(5001, NEW), name: 'New 1', note: 'enrolled at door' },
      });
    });
  });

  /**
   * The core restarted with enrolment open at `door` when it stopped (the store's snapshot),
   * its monotonic clock counted from a boot 100 s before the virtual epoch.
   */
  function restarted(
    door: string,
    values: Record<string, string>,
    mode: NonNullable<Snapshot['enrolModes']>[number],
  ): Observable<Output> {
    const start = restoreState({
      open: [],
      lastAccepted: [],
      recent: [],
      listed: [],
      enrolModes: [mode],
    });
    const reads$ = scheduler
      .createHotObservable(door, values)
      .pipe(stampReaderInput(scheduler, 'door'));
    const directory$ = scheduler.createColdObservable('d', { d: directory(0, people) });
    const mono = () => scheduler.now() + 100_000;
    return clockOutputs({ reads$, directory$ }, rulesUtc, scheduler, { start, mono });
  }

  it('a restart in the same boot keeps enrolment open for the rest of its 30 s: the next new card is listed', () => {
    scheduler.run(({ expectObservable }) => {
      // The admin card was tapped 10 s before the start, by both clocks.
      const mode = { reader: 'door', admin: ADMIN, at: -10_000, mono: 90_000 };
      const reads = '  5s n';
      const expected = '5s (uLl)';
      expectObservable(restarted(reads, { n: NEW }, mode), '^ 30s !').toBe(expected, {
        u: tap(5000, NEW),
        L: enrol('listed', 5000, NEW, 'New 1'),
        l: { ...listCard(5000, NEW), name: 'New 1', note: 'enrolled at door' },
      });
    });
  });

  it('a restart in the same boot after the 30 s ran out closes enrolment at the start, dated when it ran out', () => {
    scheduler.run(({ expectObservable }) => {
      // The admin card was tapped 40 s before the start.
      const mode = { reader: 'door', admin: ADMIN, at: -40_000, mono: 60_000 };
      const reads = '  5s n';
      const expected = 'c 4999ms (uUli)';
      expectObservable(restarted(reads, { n: NEW }, mode), '^ 30s !').toBe(expected, {
        c: enrol('closed', -10_000, ADMIN, null, { reason: 'time ran out' }),
        u: tap(5000, NEW),
        U: unknown(5000, NEW),
        l: listCard(5000, NEW),
        i: clockIn(5000, NEW),
      });
    });
  });

  it('enrolment open before a restart into another boot is closed at the start: how long it was open cannot be told', () => {
    scheduler.run(({ expectObservable }) => {
      // No monotonic time of the admin tap in this boot.
      const mode = { reader: 'door', admin: ADMIN, at: -5_000 };
      const reads = '  5s n';
      const expected = 'c 4999ms (uUli)';
      expectObservable(restarted(reads, { n: NEW }, mode), '^ 30s !').toBe(expected, {
        c: enrol('closed', 0, ADMIN, null, { reason: 'the clock restarted' }),
        u: tap(5000, NEW),
        U: unknown(5000, NEW),
        l: listCard(5000, NEW),
        i: clockIn(5000, NEW),
      });
    });
  });

  it("a restart in the same boot keeps a chosen person: the next card becomes the person's alias", () => {
    scheduler.run(({ expectObservable }) => {
      const mode = { reader: 'door', admin: ADMIN, at: -10_000, mono: 90_000, target: ALICE };
      const reads = '  5s d';
      const expected = '5s (vAx)';
      expectObservable(restarted(reads, { d: DECIMAL }, mode), '^ 30s !').toBe(expected, {
        v: tap(5000, DECIMAL),
        A: enrol('aliased', 5000, DECIMAL, 'Alice', { target: ALICE }),
        x: { type: 'addAlias', at: 5000, card: ALICE, alias: DECIMAL },
      });
    });
  });

  it('clocked in at one reader and out at another: the clock-out names both', () => {
    scheduler.run(({ expectObservable }) => {
      const door = ' 1s a';
      const desk = ' 2m a';
      const expected = '1s (ti) 118996ms (uo)';
      expectObservable(run(door, { a: ALICE }, desk), '^ 3m !').toBe(expected, {
        t: tap(1000, ALICE, 'Alice'),
        i: clockIn(1000, ALICE, 'Alice'),
        u: tap(120_000, ALICE, 'Alice', 'desk'),
        o: { ...clockOut(120_000, ALICE, 1000, 'Alice'), reader: 'desk', inReader: 'door' },
      });
    });
  });
});
