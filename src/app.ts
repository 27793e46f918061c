/**
 * The wiring: drivers around the pure core. This is the one place the loop
 * closes (commands from the core reach the drivers whose sources feed it) and
 * it returns one observable for the entry point to subscribe to.
 */
import type { Readable, Writable } from 'node:stream';
import {
  asapScheduler,
  ignoreElements,
  merge,
  mergeMap,
  observeOn,
  Subject,
  tap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { clockSteps } from '../streams/clock';
import { commits } from '../streams/commit';
import type { Command } from '../streams/events';
import { restoreState } from '../streams/sessions';
import { rulesOf, type Config } from './config';
import { makePeopleFileDriver } from './drivers/directory/peopleFile';
import { makeFeedbackDriver } from './drivers/feedback/feedbackDriver';
import { makeKeyboardReader } from './drivers/reader/keyboardReader';
import type { Store } from './drivers/store/store';
import { makeStoreDriver } from './drivers/store/storeDriver';

export interface AppIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly scheduler: SchedulerLike;
  readonly json: boolean;
}

/**
 * The running clock: keyboard reader, people file, the store, console
 * feedback. Carries on from the store's snapshot. Never completes.
 */
export function clockApp(config: Config, store: Store, io: AppIo): Observable<never> {
  const now = (): number => io.scheduler.now();
  const warn = (message: string): void => {
    io.stderr.write(`badgeclock: ${message}\n`);
  };

  // The loop closes here: commands leave the core, reach the drivers, and what
  // the drivers report comes back in as sources. The proxy delivers on the
  // asap scheduler so no driver re-enters the reducer synchronously.
  const commandProxy$ = new Subject<Command>();
  const commands$ = commandProxy$.pipe(observeOn(asapScheduler));

  const reads$ = makeKeyboardReader({ input: io.stdin, reader: config.readerName, now });
  // Every command so far is a ListCard for the directory; filter here when the store's arrive.
  const directory$ = makePeopleFileDriver({ file: config.peopleFile, now, warn })(commands$);
  const start = restoreState(store.snapshot(now()));
  const steps$ = clockSteps({ reads$, directory$ }, rulesOf(config), io.scheduler, start);
  // Feedback and commands leave only from what the store has made durable.
  const { committed$ } = makeStoreDriver(store, now)(steps$.pipe(commits()));
  const feedback$ = makeFeedbackDriver({
    json: io.json,
    zone: config.tz,
    stdout: io.stdout,
    stderr: io.stderr,
  })(committed$.pipe(mergeMap((commit) => commit.events)));
  const loop$ = committed$.pipe(
    mergeMap((commit) => commit.commands),
    tap((command) => {
      commandProxy$.next(command);
    }),
  );
  return merge(feedback$, loop$.pipe(ignoreElements()));
}
