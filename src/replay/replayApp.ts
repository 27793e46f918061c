/**
 * Replay: a tap log through the same pipeline, in virtual time. Minute ticks
 * happen between taps, so auto clock-outs fire as they would have live.
 */
import {
  concat,
  EMPTY,
  filter,
  mergeMap,
  NEVER,
  of,
  VirtualTimeScheduler,
  type Observable,
} from 'rxjs';
import { clockOutputs, clockSteps } from '../../streams/clock';
import { commits } from '../../streams/commit';
import type { Person } from '../../streams/directory';
import type { CardRead, DirectoryLoaded, DomainEvent } from '../../streams/events';
import { isDomainEvent } from '../../streams/events';
import { shiftedScheduler } from '../../streams/shiftedScheduler';
import { rulesOf, type Config } from '../config';
import type { Store } from '../drivers/store/store';
import { makeStoreDriver } from '../drivers/store/storeDriver';
import { readsInTime } from './replayReads';

export interface ReplayPlan {
  readonly reads: readonly CardRead[];
  /** Virtual time runs until here: late enough for every open session to reach its auto clock-out, never past `now`. */
  readonly until: number;
  /** Who each card is: the People the clock would use (src/commands/lastPeople.ts, `replayPeople`). */
  readonly people: readonly Person[];
}

/** Where replay stops: the last tap plus the auto clock-out limit (and a minute for its tick), capped at now. */
export function replayUntil(reads: readonly CardRead[], config: Config, now: number): number {
  const last = reads.at(-1)?.at ?? now;
  return Math.max(last, Math.min(now, last + rulesOf(config).limitMs + 60_000));
}

/** How far a replay has got, for a progress display. */
export interface ReplayProgress {
  /** After each slice: how many of the log's taps have been replayed. */
  readonly update: (done: number, total: number) => void;
  /** Before each slice: its output is about to be written. */
  readonly clear?: () => void;
}

export interface Replay {
  readonly events$: Observable<DomainEvent>;
  /** Runs virtual time to `plan.until` at once, synchronously. */
  readonly flush: () => void;
  /**
   * Runs virtual time to `plan.until` in slices of taps, returning to the event
   * loop between them (so output drains, progress shows and a signal is heard).
   */
  readonly run: (progress?: ReplayProgress) => Promise<void>;
}

/** Taps per slice of `run`: a few milliseconds of work each. */
const SLICE_TAPS = 2_000;

/**
 * Builds the replay: `events$` is every domain event in order once `flush` (or
 * `run`) runs virtual time to `plan.until`. Subscribe first, then flush.
 * People are the plan's, read once by the caller. With a `store`, every step is
 * committed to it (replay uses an in-memory one, so the sheet can be fed from
 * its outbox); the local store of the clock is never touched.
 */
export function prepareReplay(
  plan: ReplayPlan,
  config: Config,
  warn: (message: string) => void,
  store?: Store,
): Replay {
  const first = plan.reads[0];
  if (first === undefined) {
    return { events$: EMPTY, flush: () => undefined, run: () => Promise.resolve() };
  }
  const origin = Math.floor(first.at / 60_000) * 60_000;
  const virtual = new VirtualTimeScheduler();
  virtual.maxFrames = plan.until - origin;
  const scheduler = shiftedScheduler(virtual, origin);

  const { people } = plan;
  const directory$ = concat(
    of<DirectoryLoaded>({ type: 'directoryLoaded', at: origin, people }),
    NEVER,
  );
  // One tap timer pending at a time (not one per tap): the replay stays linear in the log.
  const reads$ = readsInTime(plan.reads, scheduler);
  const sources = { reads$, directory$ };
  const rules = rulesOf(config);
  // With a store, events are taken from what it committed, exactly as live.
  const events$: Observable<DomainEvent> =
    store === undefined
      ? clockOutputs(sources, rules, scheduler).pipe(filter(isDomainEvent))
      : makeStoreDriver(store, () => scheduler.now())
          .commit(clockSteps(sources, rules, scheduler).pipe(commits()))
          .pipe(mergeMap((commit) => commit.events));
  const total = plan.reads.length;
  return {
    events$,
    flush: () => {
      virtual.flush();
    },
    run: async (progress) => {
      let done = 0;
      for (;;) {
        const sliceEnd = Math.min(plan.until, plan.reads[done + SLICE_TAPS - 1]?.at ?? plan.until);
        progress?.clear?.();
        virtual.maxFrames = sliceEnd - origin;
        virtual.flush();
        while (done < total && (plan.reads[done]?.at ?? Infinity) <= sliceEnd) done += 1;
        progress?.update(done, total);
        if (sliceEnd >= plan.until) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}
