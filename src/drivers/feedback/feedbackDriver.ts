import type { Writable } from 'node:stream';
import { ignoreElements, tap, type Observable } from 'rxjs';
import type { DomainEvent } from '../../../streams/events';
import type { Log } from '../../log';
import { formatFeedback, formatJson } from './formatFeedback';

export interface FeedbackOptions {
  readonly json: boolean;
  readonly zone: string;
  readonly stdout: Writable;
  readonly log: Log;
}

/** Makes the feedback driver: one console (or JSON) line per domain event, written at once. */
export function makeFeedbackDriver(
  options: FeedbackOptions,
): (events$: Observable<DomainEvent>) => Observable<never> {
  return (events$) =>
    events$.pipe(
      tap((event) => {
        const line = options.json ? formatJson(event) : formatFeedback(event, options.zone);
        if (line === null) return;
        if (line.stream === 'stdout') options.stdout.write(`${line.text}\n`);
        else options.log[line.level](line.text);
        // With --json a failed sheet write goes to stdout as an event for programs, and to the
        // log as well, for the person watching it (journalctl).
        if (options.json && event.type === 'sync-failed') {
          const said = formatFeedback(event, options.zone);
          if (said?.stream === 'log') options.log[said.level](said.text);
        }
      }),
      ignoreElements(),
    );
}
