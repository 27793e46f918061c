import {
  concat,
  defer,
  EMPTY,
  filter,
  map,
  merge,
  mergeMap,
  of,
  scan,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type {
  ClockEvent,
  ClockStarted,
  DirectoryLoaded,
  Output,
  SyncEvent,
  TimeSyncChanged,
  CorrectionJudged,
} from './events';
import type { Rules } from './rules';
import { initialState, makeReducer, type ClockState } from './sessions';
import {
  initialSyncState,
  makeSyncReducer,
  syncDisabled,
  type SyncOptions,
  type SyncState,
} from './sync';
import { minuteTicks } from './ticks';

export interface ClockSources {
  /** Card reads and reader faults, from the reader driver. */
  readonly reads$: Observable<ClockEvent>;
  /** The People directory, from the people file or the sheet. */
  readonly directory$: Observable<DirectoryLoaded>;
  /** The sheet's side: the outbox, and the sheet's acknowledgements (the sync slice's events). */
  readonly sheet$?: Observable<SyncEvent>;
  /** Whether the system clock is synchronised (NTP), for the time-correction slice. */
  readonly clockSync$?: Observable<TimeSyncChanged>;
  /** A manager's corrections, judged against the store (rule 13). */
  readonly corrections$?: Observable<CorrectionJudged>;
}

/** The whole state: the sessions slice and the sync slice. */
export interface RootState {
  readonly clock: ClockState;
  readonly sync: SyncState;
}

export interface RootStep {
  readonly state: RootState;
  readonly out: readonly Output[];
}

/**
 * The one reducer: the sessions slice decides taps and auto clock-outs, then
 * the sync slice sees the same event and the sessions as they now are.
 */
export function makeRootReducer(
  rules: Rules,
  sync: SyncOptions,
): (state: RootState, event: ClockEvent) => RootStep {
  const reduceClock = makeReducer(rules);
  const reduceSync = makeSyncReducer(sync);
  return (state, event) => {
    const clockStep = reduceClock(state.clock, event);
    const syncStep = reduceSync(state.sync, event, clockStep.state);
    return {
      state: { clock: clockStep.state, sync: syncStep.state },
      out: syncStep.out.length === 0 ? clockStep.out : [...clockStep.out, ...syncStep.out],
    };
  };
}

export interface ClockOptions {
  /** The sessions state restored from the store. */
  readonly start?: ClockState;
  readonly sync?: SyncOptions;
  /**
   * Monotonic milliseconds, stamped on the start and on every minute tick so
   * auto clock-outs measure real elapsed time across wall-clock steps.
   */
  readonly mono?: () => number;
}

/**
 * The reactive core, one array per reducer step that decided anything: the
 * sources merged with the minute tick and scanned by the one reducer. A step
 * is what the store commits in one transaction. A `clockStarted` event first
 * closes what fell due while the clock was off.
 */
export function clockSteps(
  sources: ClockSources,
  rules: Rules,
  scheduler: SchedulerLike,
  start: ClockState | ClockOptions = initialState,
): Observable<readonly Output[]> {
  const options: ClockOptions = 'open' in start ? { start } : start;
  const reduce = makeRootReducer(rules, options.sync ?? syncDisabled);
  const { mono } = options;
  const started$ = defer(() =>
    of<ClockStarted>({
      type: 'clockStarted',
      at: scheduler.now(),
      ...(mono === undefined ? {} : { mono: mono() }),
    }),
  );
  const events$: Observable<ClockEvent> = concat(
    started$,
    merge(
      sources.reads$,
      sources.directory$,
      sources.clockSync$ ?? EMPTY,
      sources.sheet$ ?? EMPTY,
      sources.corrections$ ?? EMPTY,
      minuteTicks(scheduler, mono),
    ),
  );
  const initial: RootStep = {
    state: { clock: options.start ?? initialState, sync: initialSyncState },
    out: [],
  };
  return events$.pipe(
    scan((step: RootStep, event: ClockEvent) => reduce(step.state, event), initial),
    map((step) => step.out),
    filter((outputs) => outputs.length > 0),
  );
}

/** The same core with every output on its own, in order (replay, marble tests). */
export function clockOutputs(
  sources: ClockSources,
  rules: Rules,
  scheduler: SchedulerLike,
  start: ClockState | ClockOptions = initialState,
): Observable<Output> {
  // mergeMap: each inner is the step's synchronous array, so nothing can interleave or reorder.
  return clockSteps(sources, rules, scheduler, start).pipe(mergeMap((outputs) => outputs));
}
