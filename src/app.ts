/**
 * The wiring: drivers around the pure core. This is the one place the loop
 * closes (commands from the core reach the drivers whose sources feed it) and
 * it returns one observable for the entry point to subscribe to.
 */
import type { Readable, Writable } from 'node:stream';
import {
  asapScheduler,
  filter,
  ignoreElements,
  merge,
  observeOn,
  share,
  Subject,
  tap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { clock } from '../streams/clock';
import { isCommand, isDomainEvent, type Command } from '../streams/events';
import { rulesOf, type Config } from './config';
import { makePeopleFileDriver } from './drivers/directory/peopleFile';
import { makeFeedbackDriver } from './drivers/feedback/feedbackDriver';
import { makeKeyboardReader } from './drivers/reader/keyboardReader';

export interface AppIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly scheduler: SchedulerLike;
  readonly json: boolean;
}

/** The running clock: keyboard reader, people file, console feedback. Never completes. */
export function clockApp(config: Config, io: AppIo): Observable<never> {
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
  const outputs$ = clock({ reads$, directory$ }, rulesOf(config), io.scheduler).pipe(share());
  const feedback$ = makeFeedbackDriver({
    json: io.json,
    zone: config.tz,
    stdout: io.stdout,
    stderr: io.stderr,
  })(outputs$.pipe(filter(isDomainEvent)));
  const loop$ = outputs$.pipe(
    filter(isCommand),
    tap((command) => {
      commandProxy$.next(command);
    }),
  );
  return merge(feedback$, loop$.pipe(ignoreElements()));
}
