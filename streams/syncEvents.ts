/**
 * The sheet's side of the core's inputs: what the store's outbox holds, and
 * the sheet driver's acknowledgements of batches and live updates, which the
 * sync slice (sync.ts) scans. events.ts re-exports all of it.
 */
import type { OutboxEntry } from './commit';

/** The store's outbox changed: its oldest pending entries (a batch at most) and its depth. */
export interface OutboxChanged {
  readonly type: 'outboxChanged';
  readonly at: number;
  readonly head: readonly OutboxEntry[];
  readonly depth: number;
  /** Entries set aside so far, counted in the store (in the first report after a start). */
  readonly setAside?: number;
}

/** The sheet confirmed a batch of outbox entries. */
export interface BatchSynced {
  readonly type: 'batchSynced';
  readonly at: number;
  readonly keys: readonly string[];
  /** Requests the batch took, reads and writes. */
  readonly requests: number;
  /**
   * Entries of the batch the sheet refused for good (a 400, or an error of our own that
   * persisted), found by writing the batch in halves: not in `keys`, set aside with the reason.
   */
  readonly setAside?: readonly { readonly key: string; readonly reason: string }[];
  /**
   * Entries of the batch the sheet refused where the fault may not be theirs (it took no other
   * write of their kind meanwhile), and the later entries that build on them (heldBack.ts): not in
   * `keys`, not written, kept in the outbox and sent again after a park.
   */
  readonly kept?: { readonly keys: readonly string[]; readonly reason: string };
}

/**
 * A batch write failed. Retryable failures are being retried by the driver
 * (with backoff) and the batch stays in flight; a final failure ends it.
 */
export interface BatchFailed {
  readonly type: 'batchFailed';
  readonly at: number;
  readonly keys: readonly string[];
  readonly reason: string;
  readonly final: boolean;
  /** When the driver tries again (retryable failures). */
  readonly retryInMs: number | null;
}

/** The per-minute live update of the sheet finished (or failed). */
export interface LiveSynced {
  readonly type: 'liveSynced';
  readonly at: number;
  readonly open: number;
}
/** A live update failed; or the People tab could not be read at start (`peopleReadFailed`). */
export interface LiveFailed {
  readonly type: 'liveFailed';
  readonly at: number;
  readonly reason: string;
  /** The server's Retry-After (capped), when it gave one: no request to it before then. */
  readonly retryInMs?: number;
}
export type PeopleReadFailed = Omit<LiveFailed, 'type' | 'retryInMs'> & {
  readonly type: 'peopleReadFailed';
};

export type SyncEvent =
  OutboxChanged | BatchSynced | BatchFailed | LiveSynced | LiveFailed | PeopleReadFailed;
