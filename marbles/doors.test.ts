/**
 * Another door's taps in the reactive core (docs/multi-door.md): merged with
 * this door's reads, folded at once when in order for their person, answered
 * with `tap-late` and a `refold` command when late; the store's history for a
 * refold, when it comes back, is one `refolded` step. Virtual time, exact.
 */
import { merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { clockOutputs } from '../streams/clock';
import type { CardRead, ClockEvent, Output } from '../streams/events';
import { sessionId } from '../streams/sessions';
import { clockIn, directory, rulesUtc, stampReaderInput, tap } from './support';

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
});
