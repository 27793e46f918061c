/**
 * Where one batch's writing stands between two attempts, and the steps that
 * move it on: a piece written, the batch written, the batch failed whole.
 * Pure apart from the sheet's track; `writeBatchWithRetry` drives them.
 */
import type { OutboxEntry } from '../../../streams/commit';
import type { SyncEvent } from '../../../streams/events';
import type { SheetError } from './sheetError';
import type { SheetTrack } from './sheetTrack';

/** Where one batch's writing stands between two attempts. */
export interface Progress {
  /** The batch's parts still to write, in order; the first is written next. */
  readonly pieces: readonly (readonly OutboxEntry[])[];
  /** Failed attempts of the first piece (for the backoff). */
  readonly failed: number;
  /** Errors of our own the first piece met. */
  readonly bugs: number;
  /** Wait before the next attempt, or null for none. */
  readonly waitMs: number | null;
  readonly written: readonly string[];
  readonly setAside: readonly { readonly key: string; readonly reason: string }[];
  readonly requests: number;
  /** What this step reports. */
  readonly report: readonly SyncEvent[];
  /** True once the batch is written (some entries perhaps set aside) or failed for good. */
  readonly done: boolean;
}

/** What every step of one batch needs: the clock, the sheet's track, the whole batch's keys. */
export interface BatchContext {
  readonly now: () => number;
  readonly track: SheetTrack;
  /** Every key of the batch, reported when it fails whole. */
  readonly keys: string[];
}

export const keysOf = (entries: readonly OutboxEntry[]): string[] =>
  entries.map((entry) => entry.key);

/** A batch before its first attempt: one piece, the whole of it. */
export function startProgress(entries: readonly OutboxEntry[]): Progress {
  return {
    pieces: [entries],
    failed: 0,
    bugs: 0,
    waitMs: null,
    written: [],
    setAside: [],
    requests: 0,
    report: [],
    done: false,
  };
}

/** Goes on with the next piece, or reports the batch written when none is left. */
export function onward(ctx: BatchContext, progress: Progress, report: SyncEvent[]): Progress {
  const next: Progress = { ...progress, failed: 0, bugs: 0, waitMs: null, report };
  if (next.pieces.length > 0) return next;
  ctx.track.settled();
  const { written, requests, setAside } = next;
  const synced: SyncEvent = {
    type: 'batchSynced',
    at: ctx.now(),
    keys: written,
    requests,
    ...(setAside.length > 0 ? { setAside } : {}),
  };
  return { ...next, report: [...report, synced], done: true };
}

/** The first piece is written, in `requests` requests. */
export function succeeded(ctx: BatchContext, progress: Progress, requests: number): Progress {
  ctx.track.took();
  const [piece = [], ...rest] = progress.pieces;
  return onward(
    ctx,
    {
      ...progress,
      pieces: rest,
      written: [...progress.written, ...keysOf(piece)],
      requests: progress.requests + requests,
    },
    [],
  );
}

/** One failed attempt at the first piece; `retryInMs` null when it is not retried. */
export function attemptFailed(
  ctx: BatchContext,
  progress: Progress,
  failure: SheetError,
  retryInMs: number | null,
): SyncEvent {
  const [piece = []] = progress.pieces;
  return {
    type: 'batchFailed',
    at: ctx.now(),
    keys: keysOf(piece),
    reason: failure.message,
    final: false,
    retryInMs,
  };
}

/** The batch fails for good, whole: every key of it is reported, none written. */
export function failsWhole(ctx: BatchContext, progress: Progress, reason: string): Progress {
  return {
    ...progress,
    report: [
      { type: 'batchFailed', at: ctx.now(), keys: ctx.keys, reason, final: true, retryInMs: null },
    ],
    done: true,
  };
}
