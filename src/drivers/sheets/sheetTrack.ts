/**
 * What the sheet has been seen to take and refuse, across batches: how a
 * batch tells one bad entry (the sheet takes other writes of its kind: set it
 * aside) from a sheet that refuses a kind of write, or every write (keep the
 * entry, and send it again later). A full workbook refuses every new row while
 * it takes the closes: that is no fault of a clock-in.
 */
import type { OutboxEntry } from '../../../streams/commit';

/** What the sheet has been seen to do with entries and with their kinds. */
export interface SheetTrack {
  /** The sheet took these entries (a batch, or part of one): their refusals are over. */
  took(entries: readonly OutboxEntry[]): void;
  /** The sheet refused a write holding these entries: their refusal begins, unless it had. */
  refused(entries: readonly OutboxEntry[]): void;
  /** The entry is refused, and the sheet took another of its kind since its refusal began. */
  takesItsKind(entry: OutboxEntry): boolean;
  /** The entry is refused, and the sheet took none of its kind since its refusal began. */
  refusesItsKind(entry: OutboxEntry): boolean;
  /** The entry was set aside: its refusal is over. */
  setAside(key: string): void;
}

/** A fresh track: nothing refused, nothing taken. */
export function makeSheetTrack(): SheetTrack {
  let seen = 0;
  const tookKindAt = new Map<OutboxEntry['kind'], number>();
  const refusedAt = new Map<string, number>();
  const kindTakenSince = (entry: OutboxEntry): boolean | null => {
    const since = refusedAt.get(entry.key);
    return since === undefined ? null : (tookKindAt.get(entry.kind) ?? 0) > since;
  };
  return {
    took: (entries) => {
      seen += 1;
      for (const entry of entries) {
        tookKindAt.set(entry.kind, seen);
        refusedAt.delete(entry.key);
      }
    },
    refused: (entries) => {
      seen += 1;
      for (const entry of entries) if (!refusedAt.has(entry.key)) refusedAt.set(entry.key, seen);
    },
    takesItsKind: (entry) => kindTakenSince(entry) === true,
    refusesItsKind: (entry) => kindTakenSince(entry) === false,
    setAside: (key) => {
      refusedAt.delete(key);
    },
  };
}
