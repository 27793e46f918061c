import { merge, mergeMap, scan, type Observable, type SchedulerLike } from 'rxjs';
import type { ClockEvent, DirectoryLoaded, Output } from './events';
import type { Rules } from './rules';
import { initialState, makeReducer, type ClockState, type Step } from './sessions';
import { minuteTicks } from './ticks';

export interface ClockSources {
  /** Card reads and reader faults, from the reader driver. */
  readonly reads$: Observable<ClockEvent>;
  /** The People directory, from the people file or the sheet. */
  readonly directory$: Observable<DirectoryLoaded>;
}

/**
 * The reactive core: sources merged with the minute tick and scanned by the
 * one reducer into session state; what each step decided flows out in order.
 */
export function clock(
  sources: ClockSources,
  rules: Rules,
  scheduler: SchedulerLike,
  start: ClockState = initialState,
): Observable<Output> {
  const reduce = makeReducer(rules);
  const events$: Observable<ClockEvent> = merge(
    sources.reads$,
    sources.directory$,
    minuteTicks(scheduler),
  );
  return events$.pipe(
    scan((step: Step, event: ClockEvent) => reduce(step.state, event), { state: start, out: [] }),
    // mergeMap: each inner is the step's synchronous array, so nothing can interleave or reorder.
    mergeMap((step) => step.out),
  );
}
