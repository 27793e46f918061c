/**
 * This door's own sources, as the app wires them: its readers' reads, and the time-sync checks
 * they wait for at a start.
 */
import { takeUntil, type Observable } from 'rxjs';
import type { CardRead, ReadRejected, TimeSyncChanged } from '../streams/events';
import { heldUntil } from '../streams/heldUntil';
import type { AppIo } from './app';
import type { Config } from './config';
import { timeSyncChecks, type TimeSyncAnswered } from './drivers/clock/timeSync';
import { makeConfiguredReaders } from './drivers/reader/readers';

/**
 * How long this door's reads wait at a start for the first time-sync answer (timedatectl answers
 * in milliseconds; a check that hangs must not hold the first taps' feedback longer).
 */
const FIRST_ANSWER_MS = 2_000;

export interface DoorSources {
  /** Every configured reader's reads, held at a start until the first time-sync answer. */
  readonly reads$: Observable<CardRead | ReadRejected>;
  /** Whether the system clock is synchronised, as it changes. */
  readonly clockSync$: Observable<TimeSyncChanged>;
  /** Each time-sync check answered (one poll feeds all three). */
  readonly answered$: Observable<TimeSyncAnswered>;
}

/**
 * The reads wait for the first answer (FIRST_ANSWER_MS at most: feedback at once), so a tap in a
 * start's first milliseconds is marked for the clock it was taken on. On shutdown the reader
 * stops first; the rest finishes what it has.
 */
export function doorSources(config: Config, io: AppIo, stop$: Observable<void>): DoorSources {
  const { changes$, answered$ } = timeSyncChecks(
    io.timeSynced === undefined
      ? undefined
      : {
          check: io.timeSynced,
          intervalMs: config.timeSyncSeconds * 1000,
          log: io.log,
          scheduler: io.scheduler,
          mono: io.mono ?? (() => io.scheduler.now()),
        },
  );
  const reads$ =
    io.reads$ ??
    makeConfiguredReaders(config, {
      stdin: io.stdin,
      now: () => io.scheduler.now(),
      ...(io.mono === undefined ? {} : { mono: io.mono }),
    });
  return {
    // takeUntil last (the house's rule): a read still held when the clock stops in its first
    // two seconds is dropped; it was given no feedback, so no tap is lost that a person saw taken.
    reads$: reads$.pipe(heldUntil(answered$, FIRST_ANSWER_MS, io.scheduler), takeUntil(stop$)),
    clockSync$: changes$,
    answered$,
  };
}
