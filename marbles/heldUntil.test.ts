import { TestScheduler } from 'rxjs/testing';
import { heldUntil } from '../streams/heldUntil';

describe('heldUntil', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });
  });

  it('holds the values until the signal, lets them go in order then, and later ones at once', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = ' ^-a-b------c-|';
      const told = '  ^-----t-------';
      const expected = '------(ab)-c-|';
      expectObservable(hot(reads).pipe(heldUntil(hot(told), 10_000, scheduler))).toBe(expected);
    });
  });

  it('lets them go when the signal has not come within its time', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = ' ^-a---------------b-';
      const told = '  ^-------------------';
      const unsub = ' ^--------------------!';
      const expected = '----------a-------b-';
      expectObservable(hot(reads).pipe(heldUntil(hot(told), 10, scheduler)), unsub).toBe(expected);
    });
  });

  it('holds nothing when the signal came before the first value', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const told = cold('t');
      const reads = ' ^-a-b-|';
      const expected = '--a-b-|';
      expectObservable(hot(reads).pipe(heldUntil(told, 10_000, scheduler))).toBe(expected);
    });
  });

  it('takes a signal that ends without a value as the signal', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = ' ^-a---b-|';
      const told = '  ^---|';
      const expected = '----a-b-|';
      expectObservable(hot(reads).pipe(heldUntil(hot(told), 10_000, scheduler))).toBe(expected);
    });
  });

  it('loses nothing held when the values end before the signal', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const reads = ' ^-a-b-|';
      const told = '  ^---------t';
      const expected = '------(ab|)';
      expectObservable(hot(reads).pipe(heldUntil(hot(told), 10_000, scheduler))).toBe(expected);
    });
  });
});
