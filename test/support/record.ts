/** Subscribes to an observable and records what it does, for tests of drivers on real I/O. */
import type { Observable, Subscription } from 'rxjs';

export interface Recording<T> {
  readonly values: T[];
  /** True once the source completed. */
  readonly completed: () => boolean;
  /** The error the source failed with, if it did. */
  readonly error: () => unknown;
  readonly subscription: Subscription;
}

/** Subscribes at once and records every value, completion and error. */
export function record<T>(source$: Observable<T>): Recording<T> {
  const values: T[] = [];
  let completed = false;
  let failure: unknown = undefined;
  const subscription = source$.subscribe({
    next: (value) => values.push(value),
    error: (error: unknown) => {
      failure = error;
    },
    complete: () => {
      completed = true;
    },
  });
  return { values, completed: () => completed, error: () => failure, subscription };
}
