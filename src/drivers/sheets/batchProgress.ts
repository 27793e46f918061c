/**
 * Where one batch's writing stands between two attempts, and the steps that
 * move it on: a piece written, the batch written (entries perhaps set aside or
 * kept back), the batch failed whole. Pure apart from the sheet's track;
 * `writeBatchWithRetry` drives them.
 */
import type { OutboxEntry } from '../../../streams/commit';
import type { SyncEvent } from '../../../streams/events';
import { heldBack } from '../../../streams/heldBack';
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
  /**
   * Entries held back: refused where the fault may not be theirs, with the later entries that
   * build on them (heldBack.ts), in the batch's order. Tried again once at the end of the
   * batch; those still held then are kept in the outbox.
   */
  readonly held: readonly OutboxEntry[];
  /** Why the first held entry was refused. */
  readonly heldReason: string | null;
  /** True once the held entries were tried again. */
  readonly retried: boolean;
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
    held: [],
    heldReason: null,
    retried: false,
    requests: 0,
    report: [],
    done: false,
  };
}

/**
 * Goes on with the next piece; when none is left, tries the held entries again once (those
 * whose kind the sheet took since they were refused), or reports how the batch ended.
 */
export function onward(ctx: BatchContext, progress: Progress, report: SyncEvent[]): Progress {
  const next: Progress = { ...progress, failed: 0, bugs: 0, waitMs: null, report };
  if (next.pieces.length > 0) return next;
  if (!next.retried) {
    // An entry whose kind the sheet still refuses stays held, and the entries that build on
    // it with it; the others go again, in order, as one piece.
    const { go, wait } = heldBack(next.held, (entry) => ctx.track.refusesItsKind(entry));
    if (go.length > 0) return { ...next, pieces: [go], held: wait, retried: true };
  }
  return ended(ctx, next, report);
}

/** The batch is over: written, some entries perhaps set aside or kept (all of them, even). */
function ended(ctx: BatchContext, progress: Progress, report: SyncEvent[]): Progress {
  const { written, requests, setAside, held } = progress;
  const reason =
    `${progress.heldReason ?? 'refused'} (the sheet took no other change of its kind while ` +
    'refusing it, so the fault may not be in the change; it is sent again later)';
  const synced: SyncEvent = {
    type: 'batchSynced',
    at: ctx.now(),
    keys: written,
    requests,
    ...(setAside.length > 0 ? { setAside } : {}),
    ...(held.length > 0 ? { kept: { keys: keysOf(held), reason } } : {}),
  };
  return { ...progress, report: [...report, synced], done: true };
}

/** The first piece is written, in `requests` requests. */
export function succeeded(ctx: BatchContext, progress: Progress, requests: number): Progress {
  const [piece = [], ...rest] = progress.pieces;
  ctx.track.took(piece);
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
