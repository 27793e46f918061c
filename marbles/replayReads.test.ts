import { TestScheduler } from 'rxjs/testing';
import type { CardRead } from '../streams/events';
import { readsInTime } from '../src/replay/replayReads';

const read = (at: number, card: string): CardRead => ({
  type: 'cardRead',
  at,
  card,
  reader: 'import',
});

describe('readsInTime (a tap log on the replay scheduler)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('emits each read at its own instant, equal instants together in log order, and completes after the last', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = { a: read(2, 'A'), b: read(5, 'B'), c: read(5, 'C'), d: read(9, 'D') };
      const expected = '--a--(bc)(d|)';
      expectObservable(readsInTime(Object.values(reads), scheduler)).toBe(expected, reads);
    });
  });

  it('a read already due when it subscribes is emitted at once', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = { a: read(-5, 'A'), b: read(0, 'B'), c: read(6, 'C') };
      const expected = '(ab)--(c|)';
      expectObservable(readsInTime(Object.values(reads), scheduler)).toBe(expected, reads);
    });
  });

  it('an empty log completes at once', () => {
    scheduler.run(({ expectObservable }) => {
      expectObservable(readsInTime([], scheduler)).toBe('|');
    });
  });

  it('stops scheduling when unsubscribed', () => {
    scheduler.run(({ expectObservable }) => {
      const reads = { a: read(2, 'A'), b: read(8, 'B') };
      const unsubscribe = '^----!';
      const expected = '   --a---';
      expectObservable(readsInTime(Object.values(reads), scheduler), unsubscribe).toBe(
        expected,
        reads,
      );
      // Nothing is left on the scheduler for the read after the unsubscription.
    });
    expect(scheduler.actions).toHaveLength(0);
  });
});
