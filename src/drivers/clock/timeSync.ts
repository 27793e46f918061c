/**
 * Whether the system clock is synchronised. A Pi has no battery-backed clock:
 * after a power cut it starts at a stale time until NTP sets it. Until then
 * taps are still accepted and stored, but marked, and corrected when the
 * clock synchronises (see `onTimeSync` in streams/sessions.ts).
 */
import { execFile } from 'node:child_process';
import {
  concat,
  concatMap,
  EMPTY,
  exhaustMap,
  filter,
  from,
  of,
  scan,
  share,
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

/** A check answered (after its change, if any): the clock's reads wait for the first one. */
export interface TimeSyncAnswered {
  readonly type: 'timeSyncAnswered';
  /** Whether the clock is taken as synchronised after it: trusted unless known not to be. */
  readonly synced: boolean;
}

/**
 * Makes the time-sync source: an event whenever synchronisation starts or stops, and after
 * every check that it answered, whatever it found (even "cannot tell").
 */
export function makeTimeSyncSource(
  options: TimeSyncOptions,
): Observable<TimeSyncChanged | TimeSyncAnswered> {
  return timer(0, options.intervalMs, options.scheduler).pipe(
    // exhaustMap: a check still running makes the next poll pointless.
    exhaustMap(() => from(options.check())),
    // Each answer against the last one that could tell (null cannot): a change, or none.
    scan(
      (last: { synced: boolean | null; changed: boolean }, synced: boolean | null) =>
        synced === null || synced === last.synced
          ? { synced: last.synced, changed: false }
          : { synced, changed: true },
      { synced: null, changed: false },
    ),
    // concatMap: the change reaches the subscribers before the answer does.
    concatMap(({ synced, changed }) =>
      concat(
        changed && synced !== null ? of(changeOf(options, synced)) : EMPTY,
        of<TimeSyncAnswered>({ type: 'timeSyncAnswered', synced: synced !== false }),
      ),
    ),
  );
}

/** The time-sync checks for their listeners: the changes, and each check answered. */
export interface TimeSyncChecks {
  readonly changes$: Observable<TimeSyncChanged>;
  readonly answered$: Observable<TimeSyncAnswered>;
}

/**
 * The time-sync source (none without a check: then nothing changes, and the first answer is
 * there at once) split for its listeners; `share`: they hear one poll.
 */
export function timeSyncChecks(options: TimeSyncOptions | undefined): TimeSyncChecks {
  if (options === undefined)
    return { changes$: EMPTY, answered$: of({ type: 'timeSyncAnswered', synced: true }) };
  const checks$ = makeTimeSyncSource(options).pipe(share());
  return {
    changes$: checks$.pipe(filter((e): e is TimeSyncChanged => e.type === 'timeSyncChanged')),
    answered$: checks$.pipe(filter((e): e is TimeSyncAnswered => e.type === 'timeSyncAnswered')),
  };
}

function changeOf(options: TimeSyncOptions, synced: boolean): TimeSyncChanged {
  if (synced) options.log?.info('system clock synchronised');
  else
    options.log?.warn(
      'system clock not synchronised: taps are kept, marked, and corrected once it is',
    );
  return {
    type: 'timeSyncChanged',
    at: options.scheduler.now(),
    synced,
    mono: options.mono(),
  };
}

/** How long a check may run before it counts as "cannot tell". */
const CHECK_TIMEOUT_MS = 10_000;

/** `timedatectl show -p NTPSynchronized --value`: yes/no, or null where there is no systemd. */
export function timedatectlSynchronised(): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(
      'timedatectl',
      ['show', '-p', 'NTPSynchronized', '--value'],
      { timeout: CHECK_TIMEOUT_MS, killSignal: 'SIGKILL' },
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
      execFile(
        '/bin/sh',
        ['-c', command],
        { timeout: CHECK_TIMEOUT_MS, killSignal: 'SIGKILL' },
        (error) => {
          if (error === null) resolve(true);
          else resolve(error.code === 1 ? false : null);
        },
      );
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
