/**
 * Whether the system clock is synchronised. A Pi has no battery-backed clock:
 * after a power cut it starts at a stale time until NTP sets it. Until then
 * taps are still accepted and stored, but marked, and corrected when the
 * clock synchronises (see `onTimeSync` in streams/sessions.ts).
 */
import {
  distinctUntilChanged,
  exhaustMap,
  filter,
  from,
  map,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { TimeSyncChanged } from '../../../streams/events';

export interface TimeSyncOptions {
  /** true / false, or null when it cannot be told (no systemd): then the clock is trusted. */
  readonly check: () => Promise<boolean | null>;
  readonly intervalMs: number;
  readonly scheduler: SchedulerLike;
  /** Monotonic milliseconds (performance.now()). */
  readonly mono: () => number;
}

/** Makes the time-sync source: an event whenever synchronisation starts or stops. */
export function makeTimeSyncSource(options: TimeSyncOptions): Observable<TimeSyncChanged> {
  return timer(0, options.intervalMs, options.scheduler).pipe(
    // exhaustMap: a check still running makes the next poll pointless.
    exhaustMap(() => from(options.check())),
    filter((synced): synced is boolean => synced !== null),
    distinctUntilChanged(),
    map((synced): TimeSyncChanged => ({
      type: 'timeSyncChanged',
      at: options.scheduler.now(),
      synced,
      mono: options.mono(),
    })),
  );
}
