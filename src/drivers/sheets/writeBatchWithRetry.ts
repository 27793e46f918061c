/**
 * One batch written to the sheet, retried with backoff until it is written or
 * fails for good, every failed attempt reported. The steps are in
 * batchProgress.ts, the halving and setting aside of refused entries in
 * batchRefusal.ts.
 */
import { catchError, concatMap, defer, EMPTY, expand, from, map, mergeMap, of, timer } from 'rxjs';
import type { Observable } from 'rxjs';
import { backoffDelay } from '../../../streams/backoff';
import type { SyncEvent, WriteBatch } from '../../../streams/events';
import {
  attemptFailed,
  failsWhole,
  keysOf,
  startProgress,
  succeeded,
  type BatchContext,
  type Progress,
} from './batchProgress';
import { isRefusal, refused } from './batchRefusal';
import { SheetError } from './sheetError';
import type { SheetsDriverOptions, SheetsPort } from './sheetsDriver';
import { makeSheetTrack, type SheetTrack } from './sheetTrack';

/**
 * One batch, retried until it is written or fails for good, reporting every
 * failed attempt. Retries live inside this inner observable, so the outer
 * stream never dies, and each attempt starts from the last one's outcome
 * (`expand`), so the subscription chain is as deep after 5,000 failures as
 * after one. A 401 retries at once (the client dropped its credentials and
 * signs afresh), once; everything else retryable backs off.
 *
 * A batch the sheet refuses for good with a 400, or that meets an error of our
 * own more than three times, is written in halves until the entry at fault is
 * alone: the rest is written, and that entry set aside (`batchSynced.setAside`)
 * when the sheet took another write of its kind while refusing it, else kept
 * in the outbox (`batchSynced.kept`: all of it, when the sheet took none), the
 * fault perhaps the sheet's (see batchRefusal.ts). Other final failures (403,
 * 404, headers moved) fail the batch whole at once: those are a person's fix,
 * not a bad entry.
 */
export function writeBatchWithRetry(
  client: Pick<SheetsPort, 'writeBatch'>,
  command: WriteBatch,
  options: Pick<SheetsDriverOptions, 'scheduler' | 'random'>,
  track: SheetTrack = makeSheetTrack(),
): Observable<SyncEvent> {
  const { scheduler } = options;
  const ctx: BatchContext = { now: () => scheduler.now(), track, keys: keysOf(command.entries) };

  const attempt = (progress: Progress): Observable<Progress> => {
    const [piece = []] = progress.pieces;
    const write$ = defer(() => from(client.writeBatch(piece, ctx.now())));
    const waited$ =
      progress.waitMs === null
        ? write$
        : timer(progress.waitMs, scheduler).pipe(concatMap(() => write$));
    return waited$.pipe(
      map((requests) => succeeded(ctx, progress, requests)),
      catchError((error: unknown) => of(failed(ctx, progress, error, options.random))),
    );
  };

  return of(startProgress(command.entries)).pipe(
    // expand: the next attempt is subscribed by this one operator, not inside the last attempt,
    // so the depth stays constant however many attempts a long outage takes.
    expand((progress) => (progress.done ? EMPTY : attempt(progress))),
    // mergeMap: each inner is a step's synchronous list of reports, so order is kept.
    mergeMap((progress) => progress.report),
  );
}

/**
 * The first piece failed: refused (see batchRefusal.ts), failed for good
 * (the whole batch), or retried after a backoff (at once for a first 401).
 */
function failed(
  ctx: BatchContext,
  progress: Progress,
  error: unknown,
  random: () => number,
): Progress {
  const failure = error instanceof SheetError ? error : new SheetError(String(error), 'bug');
  const refusal = isRefusal(failure, progress);
  if (failure.kind === 'final' && !refusal) return failsWhole(ctx, progress, failure.message);
  if (refusal) return refused(ctx, progress, failure);
  const attempt = progress.failed + 1;
  const waitMs =
    failure.kind === 'auth' && attempt === 1
      ? 0
      : backoffDelay(attempt, random, failure.retryAfterMs);
  return {
    ...progress,
    failed: attempt,
    bugs: progress.bugs + (failure.kind === 'bug' ? 1 : 0),
    waitMs,
    report: [attemptFailed(ctx, progress, failure, waitMs)],
  };
}
