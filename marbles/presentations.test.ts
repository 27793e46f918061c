import { TestScheduler } from 'rxjs/testing';
import type { CardRead, ReadRejected } from '../streams/events';
import { presentations } from '../streams/presentations';
import { stampReaderInput, stampReads, type ReaderInput } from './support';

const read = (card: string, at: number): CardRead => ({
  type: 'cardRead',
  at,
  card,
  reader: 'door',
});

describe('presentations', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('a card held on the reader, seen every 100 ms for 10 s, is one presentation', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const held = ['a', ...Array.from({ length: 100 }, () => '99ms a')].join(' ');
      const reads$ = hot(held, { a: 'A1A1A1A1' }).pipe(stampReads(scheduler));
      expectObservable(reads$.pipe(presentations(1_000))).toBe('a', { a: read('A1A1A1A1', 0) });
    });
  });

  it('a card away for the whole gap is presented again; a shorter absence is the same presentation', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = '    a 99ms a 999ms a 998ms a';
      const expected = ' a 1099ms    b';
      expectObservable(
        hot(reads, { a: 'A1A1A1A1' }).pipe(stampReads(scheduler), presentations(1_000)),
      ).toBe(expected, { a: read('A1A1A1A1', 0), b: read('A1A1A1A1', 1_100) });
    });
  });

  it('cards are presented independently: a second card on the antenna is its own presentation', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = '    a 99ms b 99ms a 99ms b';
      const expected = ' a 99ms b';
      expectObservable(
        hot(reads, { a: 'A1A1A1A1', b: '04A3C6CAE26180' }).pipe(
          stampReads(scheduler),
          presentations(1_000),
        ),
      ).toBe(expected, { a: read('A1A1A1A1', 0), b: read('04A3C6CAE26180', 100) });
    });
  });

  it('every rejection passes, and one between sightings does not split a presentation', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = '    a 99ms f 99ms a 99ms f';
      const expected = ' a 99ms f 199ms g';
      const fault = (at: number): ReadRejected => ({
        type: 'readRejected',
        at,
        reader: 'door',
        reason: 'noise',
      });
      expectObservable(
        hot<ReaderInput>(reads, { a: 'A1A1A1A1', f: { fault: 'noise' } }).pipe(
          stampReaderInput(scheduler),
          presentations(1_000),
        ),
      ).toBe(expected, { a: read('A1A1A1A1', 0), f: fault(100), g: fault(300) });
    });
  });
});
