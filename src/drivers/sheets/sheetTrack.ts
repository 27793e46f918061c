/**
 * What the sheet has been seen to take and refuse, across batches and live
 * updates: how a batch tells one bad entry (set it aside) from a sheet that
 * refuses everything (keep the batch whole and wait).
 */

/**
 * What the sheet has been seen to do, to tell one bad entry from a sheet that
 * refuses everything (a 400 about a range or a token, a bug hitting every write).
 */
export interface SheetTrack {
  /** The sheet took a write: a batch, part of one, or a live update. */
  took(): void;
  /** The sheet refused a write for good. */
  refused(): void;
  /** True when the sheet took some other write after its refusals began. */
  takesOthers(): boolean;
  /** A batch is settled: the refusals it met are over. */
  settled(): void;
}

/** A fresh track: no refusal yet, nothing taken. */
export function makeSheetTrack(): SheetTrack {
  let seen = 0;
  let tookAt = 0;
  let refusingSince: number | null = null;
  return {
    took: () => {
      tookAt = ++seen;
    },
    refused: () => {
      refusingSince ??= ++seen;
    },
    takesOthers: () => refusingSince !== null && tookAt > refusingSince,
    settled: () => {
      refusingSince = null;
    },
  };
}
