/**
 * A batch the sheet refuses for good: written in halves until the entry at
 * fault is alone, and that entry set aside, but only when the sheet took some
 * other write since its refusals began (else the fault is likely not in the
 * entry, and the batch fails whole, to be sent again after the block).
 */
import {
  attemptFailed,
  failsWhole,
  onward,
  type BatchContext,
  type Progress,
} from './batchProgress';
import type { SheetError } from './sheetError';

/** Errors of our own a piece of a batch may meet before its entries are taken for the cause. */
const BUGS_BEFORE_REFUSAL = 3;

/** A 400, or an error of ours met again and again: the entries themselves may be at fault. */
export function isRefusal(failure: SheetError, progress: Progress): boolean {
  return (
    (failure.kind === 'final' && failure.status === 400) ||
    (failure.kind === 'bug' && progress.bugs >= BUGS_BEFORE_REFUSAL)
  );
}

/** The first piece was refused: halve it, or set its one entry aside, or fail the batch whole. */
export function refused(ctx: BatchContext, progress: Progress, failure: SheetError): Progress {
  ctx.track.refused();
  const [piece = [], ...rest] = progress.pieces;
  const [entry, ...others] = piece;
  if (others.length > 0) {
    const half = Math.ceil(piece.length / 2);
    const halves = [piece.slice(0, half), piece.slice(half)];
    return onward(ctx, { ...progress, pieces: [...halves, ...rest] }, [
      attemptFailed(ctx, progress, failure, 0),
    ]);
  }
  if (entry === undefined) return onward(ctx, { ...progress, pieces: rest }, []);
  if (!ctx.track.takesOthers()) {
    return failsWhole(
      ctx,
      progress,
      `${failure.message} (the sheet has taken no other write since it began refusing, ` +
        'so the fault may not be in one entry: the batch is kept whole and sent again later)',
    );
  }
  const setAside = [...progress.setAside, { key: entry.key, reason: failure.message }];
  return onward(ctx, { ...progress, pieces: rest, setAside }, [
    attemptFailed(ctx, progress, failure, null),
  ]);
}
