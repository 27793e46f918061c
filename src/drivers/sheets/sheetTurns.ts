/**
 * How the sheet driver's two paths take turns: batches in order, live updates
 * skipped while busy, and the two never overlapping, or a live update's Hours
 * could land after a close and leave Hours ≠ Out − In.
 */
import {
  concat,
  concatMap,
  defer,
  EMPTY,
  exhaustMap,
  filter,
  finalize,
  ignoreElements,
  merge,
  share,
  tap,
  type Observable,
} from 'rxjs';
import type { Command, LiveUpdate, WriteBatch } from '../../../streams/events';

const isWrite = (c: Command): c is WriteBatch => c.type === 'writeBatch';
const isLive = (c: Command): c is LiveUpdate => c.type === 'liveUpdate';

/**
 * Carries out the commands' batches and live updates: a batch waits for the
 * live update in flight, and an update is skipped while a batch is queued or
 * in flight.
 */
export function takeTurns<B, L>(
  commands$: Observable<Command>,
  writeBatch: (command: WriteBatch) => Observable<B>,
  liveUpdate: (command: LiveUpdate) => Observable<L>,
): Observable<B | L> {
  let batches = 0;
  let liveInFlight$: Observable<unknown> | null = null;
  // concatMap: ordered writes, never dropped or reordered.
  const writes$ = commands$.pipe(
    filter(isWrite),
    tap(() => {
      batches += 1;
    }),
    concatMap((command) =>
      defer(() => concat(liveInFlight$?.pipe(ignoreElements()) ?? EMPTY, writeBatch(command))).pipe(
        finalize(() => {
          batches -= 1;
        }),
      ),
    ),
  );
  const startLive = (command: LiveUpdate): Observable<L> =>
    defer(() => {
      const update$ = liveUpdate(command).pipe(
        finalize(() => {
          liveInFlight$ = null;
        }),
        // Shared with a batch that waits for it; never re-run for a subscriber that comes late.
        share({ resetOnComplete: false }),
      );
      liveInFlight$ = update$;
      return update$;
    });
  // exhaustMap: a tick during an update is dropped, not queued; so is one during a batch.
  const live$ = commands$.pipe(
    filter(isLive),
    exhaustMap((command) => (batches > 0 ? EMPTY : startLive(command))),
  );
  return merge(writes$, live$);
}
