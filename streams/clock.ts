import {
  concat,
  defer,
  filter,
  map,
  merge,
  mergeMap,
  of,
  scan,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { ClockEvent, ClockStarted, DirectoryLoaded, Output } from './events';
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
 * The reactive core, one array per reducer step that decided anything: the
 * sources merged with the minute tick and scanned by the one reducer into
 * session state. A step is what the store commits in one transaction.
 * `start` is the state restored from the store; a `clockStarted` event first
 * closes what fell due while the clock was off.
 */
export function clockSteps(
  sources: ClockSources,
  rules: Rules,
  scheduler: SchedulerLike,
  start: ClockState = initialState,
): Observable<readonly Output[]> {
  const reduce = makeReducer(rules);
  const started$ = defer(() => of<ClockStarted>({ type: 'clockStarted', at: scheduler.now() }));
  const events$: Observable<ClockEvent> = concat(
    started$,
    merge(sources.reads$, sources.directory$, minuteTicks(scheduler)),
  );
  return events$.pipe(
    scan((step: Step, event: ClockEvent) => reduce(step.state, event), { state: start, out: [] }),
    map((step) => step.out),
    filter((outputs) => outputs.length > 0),
  );
}

/** The same core with every output on its own, in order. */
export function clock(
  sources: ClockSources,
  rules: Rules,
  scheduler: SchedulerLike,
  start: ClockState = initialState,
): Observable<Output> {
  // mergeMap: each inner is the step's synchronous array, so nothing can interleave or reorder.
  return clockSteps(sources, rules, scheduler, start).pipe(mergeMap((outputs) => outputs));
}
