/**
 * The Totals table's provider for the sheet driver, over the store: the
 * sessions of the previous and the current pay period are read, and the
 * closed ones tallied, only when the store committed something since (or a
 * new period began); each minute then adds the open sessions up to now. So a
 * quiet minute costs the open sessions' days and building the rows, never a
 * query (bench/totals.ts measures both).
 */
import type { PayPeriod } from '../../../streams/payPeriod';
import {
  tallySessions,
  totalsFrame,
  totalsTable,
  type Tally,
  type TotalsFrame,
  type TotalsSession,
  type TotalsTable,
} from '../../../streams/totals';

/** What the provider reads: the store's sessions (corrections applied) and its change count. */
export interface TotalsStore {
  sessionsBetween(from: number, to: number): readonly TotalsSession[];
  changes(): number;
}

/** Makes `totalsOf(at)`, remembering the closed sessions' tally while the store is unchanged. */
export function makeTotalsSource(
  store: TotalsStore,
  payPeriod: PayPeriod,
  zone: string,
): (at: number) => TotalsTable {
  let memo: {
    readonly changes: number;
    readonly frame: TotalsFrame;
    readonly closed: Tally;
    readonly open: readonly TotalsSession[];
  } | null = null;
  return (at) => {
    const changes = store.changes();
    const current = memo?.frame.periods[0].bounds;
    if (
      memo === null ||
      memo.changes !== changes ||
      current === undefined ||
      at < current.from ||
      at >= current.to
    ) {
      const frame = totalsFrame(at, payPeriod, zone);
      const sessions = store.sessionsBetween(
        frame.periods[1].bounds.from,
        frame.periods[0].bounds.to,
      );
      const closed = tallySessions(
        sessions.filter((s) => s.outAt !== null),
        frame,
        (s) => s.outAt ?? at,
      );
      memo = { changes, frame, closed, open: sessions.filter((s) => s.outAt === null) };
    }
    return totalsTable(memo.frame, memo.closed, memo.open, at);
  };
}
