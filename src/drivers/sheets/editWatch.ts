/**
 * Which `Log` rows the minute's live update reads back for corrections typed
 * into the sheet (rule 13): the sessions of the previous and the current pay
 * period (what Totals shows and payroll is about), a tenth of them each
 * minute in turn, so every row is read at least every WATCH_ROUND_MINUTES
 * (up to 3,000 recent sessions; more make the round longer, not the minute
 * heavier) and a manager's edit is picked up within 15 minutes. The rows are
 * read through their tags inside the live update's one read: no request of
 * its own, and the bytes follow the number of recent sessions, never the
 * length of `Log` (bench/sheetBytes.ts measures it at 1,000 and 50,000 rows). Sessions the sheet is behind
 * on (outbox entries pending or set aside) are left out: their row shows an
 * older state, which is no edit.
 */
import { previousPeriod, type PayPeriod } from '../../../streams/payPeriod';
import type { WatchedRow } from '../../../streams/sheetEdits';
import type { WatchCursor } from '../store/watchedRows';

/** Every watched row is read within this many minutes (a live update a minute). */
export const WATCH_ROUND_MINUTES = 10;

/**
 * At most this many rows a minute (about 100 KiB of answer): a site with more than 3,000
 * sessions in its two pay periods gets a longer round, not a heavier minute.
 */
export const WATCH_MAX_ROWS_PER_MINUTE = 300;

/** What the watch reads of the store. */
export interface WatchStore {
  watchCount(from: number): number;
  watchedRows(
    from: number,
    after: WatchCursor | null,
    limit: number,
  ): { readonly rows: readonly WatchedRow[]; readonly next: WatchCursor | null };
}

/** The rows to read back at a minute (`at`): the next slice of the watched sessions. */
export type EditWatch = (at: number) => readonly WatchedRow[];

/** Makes the watch; it remembers where its round is. */
export function makeEditWatch(store: WatchStore, payPeriod: PayPeriod, zone: string): EditWatch {
  let cursor: WatchCursor | null = null;
  return (at) => {
    const { from } = previousPeriod(at, payPeriod, zone);
    const size = Math.min(
      Math.ceil(store.watchCount(from) / WATCH_ROUND_MINUTES),
      WATCH_MAX_ROWS_PER_MINUTE,
    );
    if (size === 0) return [];
    const { rows, next } = store.watchedRows(from, cursor, size);
    cursor = next;
    return rows;
  };
}
