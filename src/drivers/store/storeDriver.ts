import { concatMap, defer, filter, map, of, share, startWith, type Observable } from 'rxjs';
import type { Commit } from '../../../streams/commit';
import type { OutboxChanged } from '../../../streams/events';
import type { Store } from './store';

export interface StoreDriver {
  /** Commits every step; emits each commit once it is durable. Feedback and commands leave only from here. */
  readonly commit: (commits$: Observable<Commit>) => Observable<Commit>;
  /**
   * The pending outbox's head (a batch at most, oldest first) and depth, at
   * subscription and after every commit that moved it (new entries, or entries
   * marked done). Fed with the committed commits coming back round the loop.
   */
  readonly outbox: (committed$: Observable<Commit>) => Observable<OutboxChanged>;
}

/**
 * Makes the store driver. A commit that fails (disk full, database gone)
 * errors the stream: the clock stops rather than give feedback for a tap it
 * could not keep, and restarts from what the store holds. `boot` names the
 * boot the monotonic times in the commits belong to.
 */
export function makeStoreDriver(
  store: Store,
  now: () => number,
  batchSize = 500,
  boot?: string,
): StoreDriver {
  return {
    commit: (commits$) =>
      commits$.pipe(
        // concatMap: commits must be neither dropped nor reordered; each inner is synchronous.
        concatMap((commit) =>
          defer(() => {
            store.commit(commit, now(), boot);
            return of(commit);
          }),
        ),
        share(),
      ),
    outbox: (committed$) =>
      defer(() => {
        let last: OutboxChanged | null = null;
        const marksDone = (commit: Commit): boolean =>
          commit.commands.some((command) => command.type === 'markDone');
        return committed$.pipe(
          filter((commit) => commit.outbox.length > 0 || marksDone(commit)),
          startWith(null),
          map((commit): OutboxChanged => {
            // Entries are immutable and new ones join the tail: a full head stays the head
            // until some are marked done. During an outage with a backlog, a tap then costs
            // a count, not a re-read of a whole batch.
            const headStays =
              commit !== null && last?.head.length === batchSize && !marksDone(commit);
            last = {
              type: 'outboxChanged',
              at: now(),
              head:
                headStays && last !== null
                  ? last.head
                  : store.pending(batchSize).map((pending) => pending.entry),
              depth: store.depth(),
              // The count of entries set aside survives a restart: read once, at the start.
              ...(commit === null ? { setAside: store.setAsideCount() } : {}),
            };
            return last;
          }),
        );
      }),
  };
}
