/**
 * Whether the system clock is synchronised. A Pi has no battery-backed clock:
 * after a power cut it starts at a stale time until NTP sets it. Until then
 * taps are still accepted and stored, but marked, and corrected when the
 * clock synchronises (see `onTimeSync` in streams/sessions.ts).
 */
import { execFile } from 'node:child_process';
import {
  distinctUntilChanged,
  exhaustMap,
  filter,
  from,
  map,
  tap,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { TimeSyncChanged } from '../../../streams/events';
import type { Log } from '../../log';

export interface TimeSyncOptions {
  /** true / false, or null when it cannot be told (no systemd): then the clock is trusted. */
  readonly check: () => Promise<boolean | null>;
  readonly intervalMs: number;
  readonly scheduler: SchedulerLike;
  /** Monotonic milliseconds (performance.now()). */
  readonly mono: () => number;
  /** Told of each change, for the operator. */
  readonly log?: Pick<Log, 'info' | 'warn'>;
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
    tap((change) => {
      if (change.synced) options.log?.info('system clock synchronised');
      else
        options.log?.warn(
          'system clock not synchronised: taps are kept, marked, and corrected once it is',
        );
    }),
  );
}

/** How long a check may run before it counts as "cannot tell". */
const CHECK_TIMEOUT_MS = 10_000;

/** `timedatectl show -p NTPSynchronized --value`: yes/no, or null where there is no systemd. */
export function timedatectlSynchronised(): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(
      'timedatectl',
      ['show', '-p', 'NTPSynchronized', '--value'],
      { timeout: CHECK_TIMEOUT_MS },
      (error, stdout) => {
        if (error !== null) {
          resolve(null);
          return;
        }
        const value = stdout.trim();
        resolve(value === 'yes' ? true : value === 'no' ? false : null);
      },
    );
  });
}

/**
 * A configured check (`timeSyncCommand`, run by /bin/sh): exit 0 is
 * synchronised, exit 1 not yet; anything else (not found, killed, timed out)
 * cannot tell, and the clock trusts its time as it would without systemd.
 * For systems whose sync state timedatectl does not know (e.g.
 * `chronyc waitsync 1 0.1`).
 */
export function commandSynchronised(command: string): () => Promise<boolean | null> {
  return () =>
    new Promise((resolve) => {
      execFile('/bin/sh', ['-c', command], { timeout: CHECK_TIMEOUT_MS }, (error) => {
        if (error === null) resolve(true);
        else resolve(error.code === 1 ? false : null);
      });
    });
}

/** The configured way to tell whether the clock is synchronised; undefined when it is always trusted. */
export function timeSyncCheckOf(config: {
  readonly timeSync: 'timedatectl' | 'command' | 'off';
  readonly timeSyncCommand?: string | undefined;
}): (() => Promise<boolean | null>) | undefined {
  switch (config.timeSync) {
    case 'timedatectl':
      return timedatectlSynchronised;
    case 'command':
      return config.timeSyncCommand === undefined
        ? undefined
        : commandSynchronised(config.timeSyncCommand);
    case 'off':
      return undefined;
  }
}
