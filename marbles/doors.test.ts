/**
 * Another door's taps in the reactive core (docs/multi-door.md): merged with
 * this door's reads, folded at once when in order for their person, answered
 * with `tap-late` and a `refold` command when late; the store's history for a
 * refold, when it comes back, is one `refolded` step. Virtual time, exact.
 */
import { merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOutputs } from '../streams/clock';
import type { CardRead, ClockEvent, CorrectionJudged, Output } from '../streams/events';
import { sessionId } from '../streams/sessions';
import { clockIn, clockOut, directory, rulesUtc, stampReaderInput, tap } from './support';

const ALICE = '04A3C6CAE26180';
const BOB = 'B0B0B0B0';
const people = [
  { card: ALICE, name: 'Alice' },
  { card: BOB, name: 'Bob' },
];

const remote = (at: number, card: string, seq: number): CardRead => ({
  type: 'cardRead',
  at,
  card,
  reader: 'back',
  origin: `back:${seq}`,
});

describe('another door’s taps in the core', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('folds one in order at once, and answers a late one with tap-late and a refold', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const local$ = hot('1s a', { a: ALICE }).pipe(stampReaderInput(scheduler, 'front'));
      // Back's taps arrive later than they were taken: Bob's in order, Alice's before her 1 s tap.
      const remote$ = hot<ClockEvent>('2s b 999ms l', {
        b: remote(1500, BOB, 1),
        l: remote(500, ALICE, 2),
      });
      const directory$ = cold('d', { d: directory(0, people) });
      const out$ = clockOutputs(
        { reads$: merge(local$, remote$), directory$ },
        rulesUtc,
        scheduler,
      );
      expectObservable(out$, '^ 5s !').toBe('1s (ti) 996ms (TI) 996ms (LR)', {
        t: tap(1000, ALICE, 'Alice', 'front'),
        i: clockIn(1000, ALICE, 'Alice', 'front'),
        T: { ...tap(1500, BOB, 'Bob', 'back'), origin: 'back:1' },
        I: clockIn(1500, BOB, 'Bob', 'back'),
        L: {
          type: 'tap-late',
          at: 500,
          card: ALICE,
          name: null,
          reader: 'back',
          origin: 'back:2',
        } satisfies Output,
        R: { type: 'refold', at: 500, card: ALICE, ids: [ALICE] } satisfies Output,
      });
    });
  });

  it('takes the store’s history back as one refolded step', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const local$ = hot('1s a', { a: ALICE }).pipe(stampReaderInput(scheduler, 'front'));
      const open = sessionId(ALICE, 1000);
      const history$ = hot<ClockEvent>('3s h', {
        h: {
          type: 'refoldHistory',
          at: 3000,
          card: ALICE,
          from: 500,
          before: { recent: [] },
          taps: [
            { id: 'front:1', at: 1000, card: ALICE, reader: 'front' },
            { id: 'back:2', at: 500, card: ALICE, reader: 'back', late: true },
          ],
          stored: [
            {
              id: open,
              card: ALICE,
              name: 'Alice',
              inAt: 1000,
              outAt: null,
              status: 'in',
              reason: null,
              reader: 'front',
              outReader: null,
            },
          ],
          supersededIds: [],
          openId: open,
        },
      });
      const directory$ = cold('d', { d: directory(0, people) });
      const out$ = clockOutputs(
        { reads$: merge(local$, history$), directory$ },
        { ...rulesUtc, guardMs: 0 },
        scheduler,
      );
      expectObservable(out$, '^ 5s !').toBe('1s (ti) 1996ms r', {
        t: tap(1000, ALICE, 'Alice', 'front'),
        i: clockIn(1000, ALICE, 'Alice', 'front'),
        r: expect.objectContaining({
          type: 'refolded',
          superseded: [expect.objectContaining({ id: open })],
          added: [
            expect.objectContaining({
              id: sessionId(ALICE, 500),
              inAt: 500,
              outAt: 1000,
              status: 'out',
            }),
          ],
        }) as Output,
      });
    });
  });

  /** The hub's correction of Alice's session of 1 s: an Out at 1.5 s, typed at 2.5 s. */
  const hubClose: CorrectionJudged = {
    type: 'correctionJudged',
    at: 2500,
    session: sessionId(ALICE, 1000),
    card: ALICE,
    name: 'Alice',
    source: 'fix',
    why: 'forgot to clock out',
    applied: true,
    changes: [{ field: 'out', old: null, new: 1500 }],
    inAt: 1000,
    outAt: 1500,
    voided: false,
    status: 'out',
    closes: true,
    origin: 'hub:1',
  };

  it('applies the hub’s close of a session open here: the person’s next tap clocks in', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const local$ = hot('1s a 3999ms a', { a: ALICE }).pipe(stampReaderInput(scheduler, 'front'));
      const corrections$ = hot('3s c', { c: hubClose });
      const directory$ = cold('d', { d: directory(0, people) });
      const out$ = clockOutputs(
        { reads$: local$, directory$, corrections$ },
        { ...rulesUtc, guardMs: 0 },
        scheduler,
      );
      expectObservable(out$, '^ 6s !').toBe('1s (ti) 1996ms c 1999ms (TI)', {
        t: tap(1000, ALICE, 'Alice', 'front'),
        i: clockIn(1000, ALICE, 'Alice', 'front'),
        c: { ...hubClose, type: 'correction' } satisfies Output,
        T: tap(5000, ALICE, 'Alice', 'front'),
        I: clockIn(5000, ALICE, 'Alice', 'front'),
      });
    });
  });

  it('asks for a refold when the hub closed a session a tap here closed first', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      // Alice clocked out here at 40 s; the hub, cut off, had her in when the manager closed it.
      const local$ = hot('1s a 38999ms a', { a: ALICE }).pipe(stampReaderInput(scheduler, 'front'));
      const corrections$ = hot('41s c', { c: hubClose });
      const directory$ = cold('d', { d: directory(0, people) });
      const out$ = clockOutputs(
        { reads$: local$, directory$, corrections$ },
        { ...rulesUtc, guardMs: 0 },
        scheduler,
      );
      expectObservable(out$, '^ 42s !').toBe('1s (ti) 38996ms (To) 996ms (cR)', {
        t: tap(1000, ALICE, 'Alice', 'front'),
        T: tap(40_000, ALICE, 'Alice', 'front'),
        i: clockIn(1000, ALICE, 'Alice', 'front'),
        o: clockOut(40_000, ALICE, 1000, 'Alice', undefined, 'front'),
        c: { ...hubClose, type: 'correction', refolds: true } satisfies Output,
        R: { type: 'refold', at: 2500, card: ALICE, ids: [ALICE] } satisfies Output,
      });
    });
  });
});
