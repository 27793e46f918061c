/**
 * A batch the sheet refuses: written in halves until the entry at fault is
 * alone. That entry is set aside only when the sheet took another write of its
 * kind while refusing it (a clock-in, for a clock-in): then the fault is the
 * entry's, and the rest must not wait for it. Otherwise the fault may be the
 * sheet's (a full workbook refuses every new row, yet takes the closes): the
 * entry is held back with the later entries that build on it (heldBack.ts),
 * the rest of the batch is written, and the held ones are kept in the outbox,
 * to be sent again later.
 */
import { heldBack } from '../../../streams/heldBack';
import type { OutboxEntry } from '../../../streams/commit';
import { attemptFailed, onward, type BatchContext, type Progress } from './batchProgress';
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

/** The first piece was refused: halve it, or set its one entry aside, or hold it back. */
export function refused(ctx: BatchContext, progress: Progress, failure: SheetError): Progress {
  const [piece = [], ...rest] = progress.pieces;
  ctx.track.refused(piece);
  const [entry, ...others] = piece;
  if (others.length > 0) {
    const half = Math.ceil(piece.length / 2);
    const halves = [piece.slice(0, half), piece.slice(half)];
    return onward(ctx, { ...progress, pieces: [...halves, ...rest] }, [
      attemptFailed(ctx, progress, failure, 0),
    ]);
  }
  if (entry === undefined) return onward(ctx, { ...progress, pieces: rest }, []);
  const report = [attemptFailed(ctx, progress, failure, null)];
  if (ctx.track.takesItsKind(entry)) {
    ctx.track.setAside(entry.key);
    const setAside = [...progress.setAside, { key: entry.key, reason: failure.message }];
    return onward(ctx, { ...progress, pieces: rest, setAside }, report);
  }
  return onward(ctx, heldWith(ctx, { ...progress, pieces: rest }, entry, failure), report);
}

/**
 * Holds `entry` back, with the later entries that build on it (its session's, a name for its card). When the sheet refused
 * another of its kind and took none since, it refuses that kind of write, not these entries:
 * every entry of the kind left in the batch is held too, untried, so that a full workbook
 * costs a few requests a batch, not two for each entry.
 */
function heldWith(
  ctx: BatchContext,
  progress: Progress,
  entry: OutboxEntry,
  failure: SheetError,
): Progress {
  const kindRefused = progress.held.some(
    (held) => held.kind === entry.kind && ctx.track.refusesItsKind(held),
  );
  const { wait } = heldBack([entry, ...progress.pieces.flat()], (e) =>
    kindRefused ? e.kind === entry.kind : e === entry,
  );
  // Those of the refused kind are refused from now on, untried; the others only wait.
  if (kindRefused) ctx.track.refused(wait.filter((e) => e.kind === entry.kind));
  const waiting = new Set(wait.map((e) => e.key));
  const order = (e: OutboxEntry): number => ctx.keys.indexOf(e.key);
  return {
    ...progress,
    pieces: progress.pieces
      .map((piece) => piece.filter((e) => !waiting.has(e.key)))
      .filter((piece) => piece.length > 0),
    held: [...progress.held, ...wait].sort((a, b) => order(a) - order(b)),
    heldReason: progress.heldReason ?? failure.message,
  };
}
