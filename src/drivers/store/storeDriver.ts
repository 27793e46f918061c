import { concatMap, defer, filter, map, of, share, startWith, type Observable } from 'rxjs';
import type { Commit } from '../../../streams/commit';
import type { PendingEntry, Store } from './store';

export interface StoreSources {
  /** Each commit once it is durable: feedback and commands are taken from here, never earlier. */
  readonly committed$: Observable<Commit>;
  /** The pending outbox, oldest first: at subscription and after every commit that added to it. */
  readonly outbox$: Observable<readonly PendingEntry[]>;
}

/**
 * Makes the store driver: it commits every step the core decided and reports
 * it as committed. A commit that fails (disk full, database gone) errors the
 * stream: the clock stops rather than give feedback for a tap it could not
 * keep, and restarts from what the store holds.
 */
export function makeStoreDriver(
  store: Store,
  now: () => number,
): (commits$: Observable<Commit>) => StoreSources {
  return (commits$) => {
    const committed$ = commits$.pipe(
      // concatMap: commits must be neither dropped nor reordered; each inner is synchronous.
      concatMap((commit) =>
        defer(() => {
          store.commit(commit, now());
          return of(commit);
        }),
      ),
      share(),
    );
    const outbox$ = committed$.pipe(
      filter((commit) => commit.outbox.length > 0),
      startWith(null),
      map(() => store.pending()),
    );
    return { committed$, outbox$ };
  };
}
