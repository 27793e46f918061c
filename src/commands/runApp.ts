/**
 * The program's one subscribe, and how a running command stops: on an error, on
 * completion, or on SIGINT/SIGTERM.
 */
import type { Observable, Subscription } from 'rxjs';

import { StoreError } from '../drivers/store/store';
import { DrainError } from '../replay/drainOutbox';
import { ReaderCheckError } from '../readerTest';
import { EXIT_FAILURE, fail, log } from './common';

/** How long a stopping clock waits for a sheet request in flight. */
const SHUTDOWN_GRACE_MS = 10_000;

/** The program's one subscribe: runs an app until it completes, fails or the process is stopped. */
export function runApp(app$: Observable<unknown>, onEnd: () => void): Subscription {
  return app$.subscribe({
    // RxJS tears the subscription down (drivers release what they hold) only after this
    // callback returns, so the exit waits for the next turn.
    error: (error: unknown) => {
      const message =
        error instanceof DrainError || error instanceof ReaderCheckError
          ? error.message
          : error instanceof StoreError
            ? `${error.message}\nThe clock stopped so that no tap is shown as taken without being stored.`
            : `stopped by an unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      setImmediate(() => {
        onEnd();
        fail(message, EXIT_FAILURE);
      });
    },
    complete: onEnd,
  });
}

/** What a running clock gives its shutdown. */
export interface RunningClock {
  /** The running app, from {@link runApp}. */
  subscription: Subscription;
  /** Asks the app to stop reading. */
  stop: () => void;
  /** Whether a sheet request is in flight. */
  busy: () => boolean;
  /** Closes the store. */
  close: () => void;
}

/**
 * Graceful shutdown on SIGINT or SIGTERM: stop the reader, let a sheet request in flight
 * finish or time out (bounded), close the store, exit 0. A second signal exits at once.
 * Every accepted tap is already committed either way: commits are synchronous and fsynced.
 */
export function stopGracefullyOnSignals(clock: RunningClock): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      // Not waiting, but still ending the drivers: a gpioset left behind holds the buzzer and
      // LED lines (busy at the next start), a reader helper its grab.
      clock.subscription.unsubscribe();
      clock.close();
      process.exit(1);
    }
    stopping = true;
    clock.stop();
    // On the monotonic clock: NTP setting the wall clock back meanwhile must not stretch the wait.
    const deadline = performance.now() + SHUTDOWN_GRACE_MS;
    if (clock.busy()) {
      log.info(
        `${signal}: stopping; waiting up to ${SHUTDOWN_GRACE_MS / 1000} s for the sheet request in flight`,
      );
    }
    const finish = (): void => {
      if (clock.busy() && performance.now() < deadline) {
        setTimeout(finish, 50);
        return;
      }
      clock.subscription.unsubscribe();
      clock.close();
      log.info('badgeclock stopped');
      process.exit(0);
    };
    finish();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** On SIGINT or SIGTERM: end the app and exit 0 (nothing to save). */
export function stopOnSignals(subscription: Subscription): void {
  const stop = (): void => {
    subscription.unsubscribe();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
