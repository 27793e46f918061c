import { concatMap, defer, filter, map, of, share, startWith, type Observable } from 'rxjs';
import type { Commit } from '../../../streams/commit';
import type { OutboxChanged } from '../../../streams/events';
import type { Store } from './store';

/** How often, at most, the outbox is pruned of entries the sheet confirmed long ago. */
const PRUNE_EVERY_MS = 3_600_000;
/** Rows deleted in one go: a few milliseconds, so a tap never waits behind a prune. */
const PRUNE_BATCH = 500;

export interface StoreDriver {
  /** Commits every step; emits each commit once it is durable. Feedback and commands leave only from here. */
  readonly commit: (commits$: Observable<Commit>) => Observable<Commit>;
  /**
   * The pending outbox's head (a batch at most, oldest first) and depth, at
   * subscription and after every commit that moved it (new entries, or entries
   * marked done). Fed with the committed commits coming back round the loop.
   * It also prunes what the sheet confirmed long ago (`Store.prune`): at the
   * start and after a commit that marks entries done, at most once an hour,
   * one small batch (at each such commit while more is waiting); never in a
   * commit of a tap.
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
        let prunedAt: number | null = null;
        let moreToPrune = false;
        const marksDone = (commit: Commit): boolean =>
          commit.commands.some((command) => command.type === 'markDone');
        const pruneWhenDue = (at: number): void => {
          // Either way round: a wall clock set back a day must not hold pruning for a day.
          if (!moreToPrune && prunedAt !== null && Math.abs(at - prunedAt) < PRUNE_EVERY_MS) return;
          prunedAt = at;
          try {
            moreToPrune = store.prune(at, PRUNE_BATCH) === PRUNE_BATCH;
          } catch {
            // Housekeeping only: tried again within the hour. A store that really fails
            // (disk full, file gone) stops the clock at its next commit, with the message.
            moreToPrune = false;
          }
        };
        return committed$.pipe(
          filter((commit) => commit.outbox.length > 0 || marksDone(commit)),
          startWith(null),
          map((commit): OutboxChanged => {
            if (commit === null || marksDone(commit)) pruneWhenDue(now());
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
